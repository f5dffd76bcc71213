/**
 * One error base class with stable codes (as jose does): tests assert on `code`, and
 * `main` turns any KongCtlError into one clear line and exit code 1.
 */
import type { SourceRef } from './entity';

export type ErrorCode =
  | 'E_USAGE'
  | 'E_FILE_READ'
  | 'E_FILE_PARSE'
  | 'E_FORMAT_VERSION'
  | 'E_ENV_UNSET'
  | 'E_VALIDATION'
  | 'E_SELECT_TAGS'
  | 'E_KONG_UNREACHABLE'
  | 'E_KONG_AUTH'
  | 'E_KONG_TLS'
  | 'E_KONG_HTTP'
  | 'E_KONG_TIMEOUT'
  | 'E_OUT_OF_SCOPE'
  | 'E_DELETE_GUARD'
  | 'E_PLAN_CHANGED'
  | 'E_NO_DELETES_CONFLICT'
  | 'E_APPLY_FAILED'
  | 'E_RULESET'
  | 'E_OPENAPI';

export class KongCtlError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'KongCtlError';
  }
}

/** A problem found in the declarative file: never thrown, collected and listed. */
export interface Diagnostic {
  message: string;
  /** The class of problem, as the error `main` would raise for it (E_FILE_PARSE, E_ENV_UNSET, E_VALIDATION…). */
  code?: ErrorCode;
  source?: SourceRef;
  /** Defaults to 'error'; warnings never change the exit code. */
  severity?: 'error' | 'warning';
  /**
   * An unknown field, value, plugin or vault by the offline baseline (the Kong versions kong-ctl
   * knows): a newer Kong, or one with custom plugins, may accept it, so commands that talk to
   * Kong let the node's own schemas decide.
   */
  baseline?: boolean;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}:${d.source.column}` : '';
  const path = d.source?.path ? ` ${d.source.path}` : '';
  const sev = d.severity === 'warning' ? 'warning' : 'error';
  return `${where ? where + ': ' : ''}${sev}:${path ? path + ':' : ''} ${d.message}`;
}
