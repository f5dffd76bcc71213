/**
 * Turning what Node/axios throw below HTTP (refused connections, TLS handshakes, timeouts)
 * into one clear KongCtlError with a hint that says what to change. The axios error itself is
 * never attached as `cause`: its config carries the request headers, Kong-Admin-Token included.
 */
import { KongCtlError } from '../model/errors';
import { RETRYABLE_NETWORK_CODES } from './retry';

export type TransportFailureKind = 'timeout' | 'tls' | 'network';

export interface TransportFailure {
  kind: TransportFailureKind;
  code: string;
  /** Node's own wording, e.g. `connect ECONNREFUSED 127.0.0.1:8001`. */
  detail: string;
  retryable: boolean;
  /** The Node-level error, safe to keep as `cause`. */
  cause?: unknown;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

const UNTRUSTED_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'INVALID_CA',
]);

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
}

/** Node 20's happy-eyeballs connect throws an AggregateError with an empty message: use its parts. */
function describe(err: ErrorLike | undefined): string {
  if (!err) return '';
  if (typeof err.message === 'string' && err.message) return err.message;
  const parts = Array.isArray(err.errors) ? err.errors : [];
  const msgs = parts.map((e: ErrorLike) => (typeof e?.message === 'string' ? e.message : '')).filter(Boolean);
  if (msgs.length) return [...new Set(msgs)].join('; ');
  const cause = err.cause as ErrorLike | undefined;
  if (cause && cause !== err) return describe(cause);
  return typeof err.code === 'string' ? err.code : '';
}

/** OpenSSL's `…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…` → `wrong version number`. */
function tidy(detail: string): string {
  const ssl = /SSL routines:[^:]*:([^:]+):/.exec(detail);
  return (ssl ? ssl[1] : detail).trim();
}

/** Undefined when the error did not come from the transport (a bug, not a failure to classify). */
export function classifyTransportError(err: unknown): TransportFailure | undefined {
  const e = err as ErrorLike | undefined;
  if (!e || typeof e !== 'object') return undefined;
  const cause = (e.cause ?? undefined) as ErrorLike | undefined;
  const code = typeof e.code === 'string' ? e.code : typeof cause?.code === 'string' ? cause.code : '';
  if (!code) return undefined;
  const detail = tidy(describe(e));
  const nodeCause = cause && typeof cause === 'object' ? cause : undefined;
  if (code === 'ETIMEDOUT' || (code === 'ECONNABORTED' && /timeout/i.test(detail))) {
    return { kind: 'timeout', code, detail, retryable: false, cause: nodeCause };
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return { kind: 'tls', code, detail, retryable: false, cause: nodeCause };
  }
  if (code.startsWith('E') && /^E[A-Z_]+$/.test(code) && !code.startsWith('ERR_')) {
    return { kind: 'network', code, detail, retryable: RETRYABLE_NETWORK_CODES.has(code), cause: nodeCause };
  }
  return undefined;
}

export interface FailureContext {
  baseUrl: string;
  method: string;
  path: string;
  idempotent: boolean;
  retries: number;
  timeoutSeconds: number;
}

function tlsHint(code: string): string {
  if (UNTRUSTED_CODES.has(code)) {
    return 'the server certificate is not trusted: pass the CA that signed it with --ca-cert FILE (or, for a throwaway lab only, --tls-skip-verify)';
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return 'the certificate does not name this host: use a --kong-addr host listed in its subjectAltName (or --tls-skip-verify for a throwaway lab only)';
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'the certificate is outside its validity period: renew it on the Admin API listener';
  }
  if (/ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE)$/.test(code)) {
    return 'the Admin API refused this client: it wants mutual TLS with a certificate it trusts (--tls-client-cert FILE --tls-client-key FILE)';
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    return 'the TLS handshake failed: is this port really an https listener (admin_listen … ssl)? Use http:// otherwise';
  }
  return 'check --ca-cert / --tls-skip-verify';
}

export function transportFailureToError(f: TransportFailure, ctx: FailureContext): KongCtlError {
  const after = ctx.retries > 0 ? ` (after ${ctx.retries} ${ctx.retries === 1 ? 'retry' : 'retries'})` : '';
  const maybeApplied = ctx.idempotent ? '' : `; ${ctx.method} ${ctx.path} may or may not have been applied`;
  const opts = f.cause ? { cause: f.cause } : undefined;
  switch (f.kind) {
    case 'timeout':
      return new KongCtlError(
        'E_KONG_TIMEOUT',
        `Kong Admin API at ${ctx.baseUrl} did not answer ${ctx.method} ${ctx.path} within ${ctx.timeoutSeconds}s${after}${maybeApplied}; raise --timeout if Kong is busy`,
        opts,
      );
    case 'tls':
      return new KongCtlError(
        'E_KONG_TLS',
        `TLS error talking to Kong Admin API at ${ctx.baseUrl}: ${f.detail} (${f.code}); ${tlsHint(f.code)}`,
        opts,
      );
    case 'network':
      if (f.code === 'ECONNRESET' || f.code === 'EPIPE') {
        return new KongCtlError(
          'E_KONG_UNREACHABLE',
          `connection to Kong Admin API at ${ctx.baseUrl} was lost during ${ctx.method} ${ctx.path}: ${f.detail}${after}${maybeApplied}`,
          opts,
        );
      }
      return new KongCtlError('E_KONG_UNREACHABLE', `cannot reach Kong Admin API at ${ctx.baseUrl}: ${f.detail}${after}`, opts);
  }
}
