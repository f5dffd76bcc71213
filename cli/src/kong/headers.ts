/**
 * `--header 'Name: value'` parsing. Malformed headers are a usage error at start-up, not a
 * confusing 401 from Kong later: an unset `$TOKEN` in `--header "Kong-Admin-Token: $TOKEN"`
 * yields an empty value, which we refuse with a hint instead of sending.
 */
import { KongCtlError } from '../model/errors';

/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHeader(raw: string): [string, string] {
  const i = raw.indexOf(':');
  if (i <= 0) {
    throw new KongCtlError('E_USAGE', `invalid --header '${raw}': expected 'Name: value', e.g. 'Kong-Admin-Token: secret'`);
  }
  const name = raw.slice(0, i).trim();
  const value = raw.slice(i + 1).trim();
  if (!HEADER_NAME.test(name)) {
    throw new KongCtlError('E_USAGE', `invalid --header '${raw}': '${name}' is not a valid header name`);
  }
  if (/[\r\n\0]/.test(value)) {
    throw new KongCtlError('E_USAGE', `invalid --header '${name}': the value contains a line break or NUL`);
  }
  if (value === '') {
    throw new KongCtlError(
      'E_USAGE',
      `invalid --header '${name}': the value is empty (is the environment variable you meant to use unset?)`,
    );
  }
  return [name, value];
}

/**
 * axios skips these exact keys wherever it merges objects (its prototype-pollution guard), so a
 * header spelled so would silently never be sent. Header names are case-insensitive (RFC 9110
 * §5.1): the upper-case spelling is the same header, and axios keeps it.
 */
const DROPPED_BY_AXIOS = new Set(['__proto__', 'constructor', 'prototype']);

/** Later headers of the same name (case-insensitively) replace earlier ones, so the command line wins over KONG_CTL_HEADERS. */
export function parseHeaders(raws: string[]): Record<string, string> {
  const out = new Map<string, [string, string]>();
  for (const raw of raws) {
    const [parsed, value] = parseHeader(raw);
    const name = DROPPED_BY_AXIOS.has(parsed) ? parsed.toUpperCase() : parsed;
    out.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries([...out.values()]);
}
