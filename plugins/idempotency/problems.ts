/**
 * The plugin's refusals as RFC 9457 problem details (`application/problem+json`), the format the
 * IETF draft uses for its error scenarios, with the draft's titles. Problems about the key header
 * carry the draft as `type`; the server-side ones (`about:blank`) carry their status phrase as
 * title, as RFC 9457 §4.2.1 asks, and say what happened in `detail`. Nothing the client sent is
 * echoed back.
 */
import type { HeaderValues, Kong } from '../shared/pdk';

export const DRAFT_TYPE = 'https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export type ProblemCode =
  | 'key_missing'
  | 'key_malformed'
  | 'key_too_long'
  | 'key_reused'
  | 'request_outstanding'
  | 'body_too_large'
  | 'body_length_unknown'
  | 'too_many_headers'
  | 'client_header_repeated'
  | 'store_unavailable';

export interface Problem {
  status: number;
  type: string;
  title: string;
  detail: string;
  headers: HeaderValues;
}

export interface ProblemContext {
  /** The header name as configured (`Idempotency-Key`). */
  header: string;
  maxKeyLength: number;
  maxRequestBodySize: number;
  retryAfterSeconds: number;
  /** The client_header as configured; '' when none. */
  clientHeader: string;
}

export function problemFor(code: ProblemCode, c: ProblemContext): Problem {
  const retry = { 'Retry-After': String(c.retryAfterSeconds) };
  switch (code) {
    case 'key_missing':
      return { status: 400, type: DRAFT_TYPE, title: `${c.header} is missing`, detail: `This operation requires an ${c.header} header.`, headers: {} };
    case 'key_malformed':
      return {
        status: 400,
        type: DRAFT_TYPE,
        title: `${c.header} is malformed`,
        detail: `Send exactly one ${c.header} header holding a quoted string ("…") or a token of visible ASCII characters without spaces or commas.`,
        headers: {},
      };
    case 'key_too_long':
      return {
        status: 400,
        type: DRAFT_TYPE,
        title: `${c.header} is too long`,
        detail: `An ${c.header} may be at most ${c.maxKeyLength} characters long.`,
        headers: {},
      };
    case 'key_reused':
      return {
        status: 422,
        type: DRAFT_TYPE,
        title: `${c.header} is already used`,
        detail: `This ${c.header} was already used with a different request (method, path or body). Use a new key for a new request.`,
        headers: {},
      };
    case 'request_outstanding':
      return {
        status: 409,
        type: DRAFT_TYPE,
        title: `A request is outstanding for this ${c.header}`,
        detail: `The first request with this ${c.header} is still being processed. Retry after it completes.`,
        headers: retry,
      };
    case 'body_too_large':
      return {
        status: 413,
        type: 'about:blank',
        title: 'Content Too Large',
        detail: `A request with an ${c.header} may carry at most ${c.maxRequestBodySize} bytes: its body must be compared with the first request's.`,
        headers: {},
      };
    case 'body_length_unknown':
      return {
        status: 411,
        type: 'about:blank',
        title: 'Length Required',
        detail: `A request with an ${c.header} and a body must declare its Content-Length.`,
        headers: {},
      };
    case 'too_many_headers':
      return {
        status: 400,
        type: 'about:blank',
        title: 'Bad Request',
        detail: `A request with an ${c.header} may carry at most 999 header lines: a second ${c.header} must not go unseen.`,
        headers: {},
      };
    case 'client_header_repeated':
      return {
        status: 400,
        type: 'about:blank',
        title: 'Bad Request',
        detail: `The ${c.clientHeader} header identifies the client: send it at most once.`,
        headers: {},
      };
    case 'store_unavailable':
      return {
        status: 503,
        type: 'about:blank',
        title: 'Service Unavailable',
        detail: `Requests with an ${c.header} cannot be processed safely right now. Retry later with the same key.`,
        headers: retry,
      };
  }
}

export function problemBody(p: Problem): string {
  return JSON.stringify({ type: p.type, title: p.title, status: p.status, detail: p.detail });
}

/** One PDK call; never answered by Kong, so the caller returns right after it. */
export function sendProblem(kong: Kong, p: Problem): Promise<void> {
  return kong.response.exit(p.status, problemBody(p), { ...p.headers, 'Content-Type': PROBLEM_CONTENT_TYPE });
}
