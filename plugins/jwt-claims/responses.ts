/**
 * RFC 6750 §3 answers. No token: 401 with a bare `Bearer` challenge (plus realm), no error code
 * (§3.1). Bad token: 401 `invalid_token`. Token sent more than once: 401 `invalid_request`
 * (as Kong's jwt plugin answers "Multiple tokens provided"). More headers or query arguments than
 * can be read: 400 `invalid_request`.
 * A valid token that fails a claim rule: 403 `insufficient_scope`. The body is Kong's
 * `{"message": …}` with the same text as `error_description`.
 */
import type { HeaderValues } from '../shared/pdk';
import type { Failure } from './failures';

export interface Refusal {
  status: number;
  message: string;
  headers: HeaderValues;
}

const DESCRIPTIONS: Record<Failure['code'], (detail: string) => string> = {
  no_token: () => 'Unauthorized',
  multiple_tokens: () => 'Multiple tokens provided',
  too_many_fields: () => 'Too many headers or query parameters',
  malformed: () => 'Malformed token',
  algorithm: () => 'Token algorithm not allowed',
  unknown_issuer: () => 'Untrusted token issuer',
  key_not_found: () => 'No matching signing key',
  keys_unavailable: () => 'Signing keys unavailable',
  signature: () => 'Invalid signature',
  expired: () => 'Token expired',
  not_yet_valid: () => 'Token not valid yet',
  too_old: () => 'Token too old',
  issued_in_future: () => 'Token issued in the future',
  audience: () => 'Invalid audience',
  token_type: () => 'Token type not accepted',
  missing_claim: (d) => `Missing required claim ${d}`,
  bad_claim: (d) => `Invalid ${d} claim`,
  rule: (d) => `Claim ${d} does not satisfy the required rule`,
  no_consumer: (d) => `No consumer matches claim ${d}`,
};

/** RFC 6750 §3: error_description and realm are restricted to %x20-21 / %x23-5B / %x5D-7E
 *  (no quote, no backslash, no control or non-ASCII character); anything else becomes '?'. */
export function headerSafe(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
}

export function describeFailure(failure: Failure): string {
  return headerSafe(DESCRIPTIONS[failure.code](failure.detail ?? ''));
}

function challenge(realm: string | null, params: Array<[string, string]>): string {
  const all: Array<[string, string]> = realm !== null ? [['realm', realm], ...params] : params;
  if (all.length === 0) return 'Bearer';
  return `Bearer ${all.map(([k, v]) => `${k}="${headerSafe(v)}"`).join(', ')}`;
}

export function refusalFor(failure: Failure, realm: string | null, retryAfterSeconds = 0): Refusal {
  const message = describeFailure(failure);
  switch (failure.code) {
    case 'no_token':
      return { status: 401, message, headers: { 'WWW-Authenticate': challenge(realm, []) } };
    case 'multiple_tokens':
      return {
        status: 401,
        message,
        headers: { 'WWW-Authenticate': challenge(realm, [['error', 'invalid_request'], ['error_description', message]]) },
      };
    case 'too_many_fields':
      // RFC 6750 §3.1 invalid_request: 400. Beyond what Kong lets a plugin read, a second token
      // could hide from the duplicate check and still reach the upstream.
      return {
        status: 400,
        message,
        headers: { 'WWW-Authenticate': challenge(realm, [['error', 'invalid_request'], ['error_description', message]]) },
      };
    case 'rule':
      return {
        status: 403,
        message,
        headers: {
          'WWW-Authenticate': challenge(realm, [['error', 'insufficient_scope'], ['error_description', message]]),
        },
      };
    case 'keys_unavailable':
      // Not the client's fault and not a verdict on the token: a retryable server condition.
      return { status: 503, message, headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } };
    default:
      return {
        status: 401,
        message,
        headers: { 'WWW-Authenticate': challenge(realm, [['error', 'invalid_token'], ['error_description', message]]) },
      };
  }
}
