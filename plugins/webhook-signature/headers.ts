/**
 * Request headers as the schemes read them: one lower-cased map from the single
 * `kong.request.getHeaders()` call, and the rule that a header a scheme reads must be sent
 * exactly once (two timestamps or two signature headers are ambiguous, so malformed).
 */
import { multiValues, type MultiMap } from '../shared/pdk';
import { fail, type Result } from './failures';

export type HeaderMap = ReadonlyMap<string, readonly string[]>;

/** RFC 9110 §5.6.2 token: what a configured header name must look like. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function headerMap(headers: MultiMap | undefined): HeaderMap {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), ...multiValues(value)]);
  }
  return out;
}

/** The header's only value, trimmed; `display` names it in the failure. */
export function singleHeader(headers: HeaderMap, display: string): Result<string> {
  const values = headers.get(display.toLowerCase()) ?? [];
  if (values.length === 0) return fail('missing_header', display);
  if (values.length > 1) return fail('malformed_header', display);
  const value = values[0]!.trim();
  if (value === '') return fail('malformed_header', display);
  return { ok: true, value };
}
