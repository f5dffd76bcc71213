/**
 * Shared by the desired-state tests: paths of the sample decK files, the recorded Kong 3.4.2
 * exchanges, and the bundled plugins' config schemas taken from those recordings.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { FieldList, FieldSchema } from '../../../cli/src/model/schema';
import type { Diagnostic } from '../../../cli/src/model/errors';

export const FILES = path.resolve(__dirname, '../../fixtures/files');
export const KONG = path.resolve(__dirname, '../../fixtures/kong-admin/3.4.2-postgres');

export function sample(...parts: string[]): string {
  return path.join(FILES, ...parts);
}

export interface Exchange {
  request: { method: string; path: string; body: unknown };
  response: { status: number; body: any };
}

/** A recorded exchange by its number prefix (`043`). */
export function exchange(prefix: string): Exchange {
  const f = readdirSync(KONG).find((x) => x.startsWith(`${prefix}_`));
  if (!f) throw new Error(`no fixture ${prefix}`);
  return JSON.parse(readFileSync(path.join(KONG, f), 'utf8')) as Exchange;
}

/** Every recorded `GET /schemas/plugins/{name}`: name → the whole plugin schema. */
export function pluginSchemas(): Record<string, { fields: FieldList; entity_checks?: unknown[] }> {
  const out: Record<string, { fields: FieldList; entity_checks?: unknown[] }> = {};
  for (const f of readdirSync(KONG)) {
    const m = /^\d+_GET_schemas-plugins-(.+)\.json$/.exec(f);
    if (!m) continue;
    out[m[1]] = JSON.parse(readFileSync(path.join(KONG, f), 'utf8')).response.body;
  }
  return out;
}

/** The `config` record's fields of a recorded plugin schema. */
export function configFields(schema: { fields: FieldList }): FieldList {
  const config = schema.fields.find((f) => 'config' in f)?.config as FieldSchema;
  return config.fields ?? [];
}

/** name → config fields, for validateDesired's `pluginSchemas`. */
export function bundledConfigSchemas(): Record<string, FieldList> {
  const out: Record<string, FieldList> = {};
  for (const [name, s] of Object.entries(pluginSchemas())) out[name] = configFields(s);
  return out;
}

/** `file:line:column path: message` with the file relative to the samples directory, for exact assertions. */
export function brief(d: Diagnostic): string {
  const s = d.source;
  const sev = d.severity === 'warning' ? 'warning ' : '';
  if (!s) return `${sev}${d.message}`;
  const file = path.isAbsolute(s.file) ? path.relative(FILES, s.file) : s.file;
  return `${sev}${file}:${s.line}:${s.column}${s.path ? ` ${s.path}` : ''}: ${d.message}`;
}
