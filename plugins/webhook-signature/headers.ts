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

const OWS_AROUND = /^[ \t]+|[ \t]+$/g;

/**
 * Without the optional white space around it (RFC 9110 §5.5, §5.6.3: SP and HTAB only). Other
 * white space (U+00A0, U+3000, U+FEFF...) is part of the value the sender signed, so not
 * String#trim.
 */
export function trimOws(text: string): string {
  return text.replace(OWS_AROUND, '');
}

/** The header's only value, without white space around it; `display` names it in the failure. */
export function singleHeader(headers: HeaderMap, display: string): Result<string> {
  const values = headers.get(display.toLowerCase()) ?? [];
  if (values.length === 0) return fail('missing_header', display);
  if (values.length > 1) return fail('malformed_header', display);
  const value = trimOws(values[0]!);
  if (value === '') return fail('malformed_header', display);
  return { ok: true, value };
}
