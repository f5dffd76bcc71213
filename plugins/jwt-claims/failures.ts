/**
 * Why a request is refused. Verification returns these (it never throws for a bad token);
 * responses.ts turns them into RFC 6750 answers. `detail` only ever holds text from the plugin
 * config (a claim name), never from the token, so nothing a client sends is echoed back.
 */
export type FailureCode =
  | 'no_token'
  | 'multiple_tokens'
  | 'too_many_fields'
  | 'malformed'
  | 'algorithm'
  | 'unknown_issuer'
  | 'key_not_found'
  | 'keys_unavailable'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'too_old'
  | 'issued_in_future'
  | 'audience'
  | 'token_type'
  | 'missing_claim'
  | 'bad_claim'
  | 'rule'
  | 'no_consumer';

export interface Failure {
  code: FailureCode;
  detail?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export function fail(code: FailureCode, detail?: string): { ok: false; failure: Failure } {
  return { ok: false, failure: detail === undefined ? { code } : { code, detail } };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
