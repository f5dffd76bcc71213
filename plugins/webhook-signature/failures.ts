/**
 * Why a delivery is refused, and the answer for each reason. Messages say which check failed and
 * name the header involved (from the scheme or the config, never from the request), and never
 * which secret was tried nor what signature was expected.
 */
import type { HeaderValues } from '../shared/pdk';

export type FailureCode =
  | 'missing_header'
  | 'malformed_header'
  | 'too_many_headers'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_supported_signature'
  | 'signature_mismatch'
  | 'body_too_large'
  | 'missing_event_id'
  | 'in_flight'
  | 'duplicate'
  | 'store_unavailable';

export interface Failure {
  code: FailureCode;
  /** A header name from the scheme or the config. */
  header?: string;
  /** Seconds, for Retry-After (in_flight: when the claim in progress expires at the latest). */
  retryAfter?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export function fail(code: FailureCode, header?: string): { ok: false; failure: Failure } {
  return { ok: false, failure: header === undefined ? { code } : { code, header } };
}

export interface Answer {
  status: number;
  message: string;
  headers?: HeaderValues;
}

/** The header that tells the sender a delivery was a duplicate of one already processed. */
export const DUPLICATE_HEADER = 'Webhook-Duplicate';

export function answerFor(failure: Failure): Answer {
  const h = failure.header ?? '';
  const retry = (): HeaderValues | undefined =>
    failure.retryAfter !== undefined ? { 'Retry-After': String(Math.max(1, Math.ceil(failure.retryAfter))) } : undefined;
  switch (failure.code) {
    case 'missing_header':
      return { status: 401, message: `Missing ${h} header` };
    case 'malformed_header':
      return { status: 401, message: `Malformed ${h} header` };
    case 'too_many_headers':
      return { status: 400, message: 'Too many request headers' };
    case 'timestamp_too_old':
      return { status: 401, message: 'Timestamp outside the tolerance zone (too old)' };
    case 'timestamp_too_new':
      return { status: 401, message: 'Timestamp outside the tolerance zone (in the future)' };
    case 'no_supported_signature':
      return { status: 401, message: `No signature of a supported version in ${h} header` };
    case 'signature_mismatch':
      return { status: 401, message: 'No matching signature' };
    case 'body_too_large':
      return { status: 413, message: 'Request body too large' };
    case 'missing_event_id':
      return { status: 400, message: h ? `Missing webhook event id (${h})` : 'Missing webhook event id' };
    case 'in_flight':
      return { status: 409, message: 'Webhook delivery already in progress', headers: retry() };
    case 'duplicate':
      return { status: 200, message: 'Webhook delivery already processed', headers: { [DUPLICATE_HEADER]: 'true' } };
    case 'store_unavailable':
      return { status: 503, message: 'Webhook de-duplication unavailable', headers: retry() };
  }
}
