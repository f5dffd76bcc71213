/**
 * Where the token comes from: configured headers (RFC 6750 §2.1 Bearer for `Authorization`),
 * cookies (parsed from the `Cookie` header, so they cost no PDK call) and query parameters
 * (one `kong.request.getQuery()`, only when configured). Every occurrence counts: RFC 6750 §2
 * says a client MUST NOT send the token more than once, and two tokens would leave it open
 * which one the upstream believes. A header's `_` spelling (`X_Api_Token`) is another
 * occurrence: nginx forwards it, and CGI-style upstreams read it as the same header.
 */
import { spellingsOf } from '../shared/header-spellings';
import { luaTable, multiValues, type MultiMap, type QueryArgs } from '../shared/pdk';

export type TokenSource =
  | { kind: 'header'; name: string }
  | { kind: 'cookie'; name: string }
  | { kind: 'query'; name: string };

export interface FoundToken {
  token: string;
  source: TokenSource;
}

const AUTHORIZATION = 'authorization';

/** Header values by lower-cased name (Kong already lower-cases; this does not rely on it). */
export function lowerCaseHeaders(headers: MultiMap): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), ...multiValues(value)]);
  }
  return out;
}

/** The token in one header value: `Bearer <token>` (scheme case-insensitive); other headers also
 *  take a bare token. `Authorization` with another scheme (Basic…) holds no bearer token. */
export function tokenInHeaderValue(headerName: string, value: string): string | undefined {
  const trimmed = value.trim();
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (!match) return headerName === AUTHORIZATION ? undefined : trimmed || undefined;
  if (match[1]!.toLowerCase() === 'bearer') return (match[2] ?? '').trim();
  return headerName === AUTHORIZATION ? undefined : trimmed;
}

/** `name=value` pairs of `Cookie` header values, in order; quoted values are unquoted. */
export function parseCookies(cookieHeaders: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const header of cookieHeaders) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const name = part.slice(0, eq).trim();
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (name) out.push([name, value]);
    }
  }
  return out;
}

/** The `Cookie` header without the named cookie, or undefined when nothing is left. */
export function cookieHeaderWithout(cookieHeaders: readonly string[], name: string): string | undefined {
  const kept: string[] = [];
  for (const header of cookieHeaders) {
    for (const part of header.split(';')) {
      const trimmed = part.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      const cookieName = (eq < 0 ? trimmed : trimmed.slice(0, eq)).trim();
      if (cookieName !== name) kept.push(trimmed);
    }
  }
  return kept.length > 0 ? kept.join('; ') : undefined;
}

export function tokensInHeaders(
  headers: Map<string, string[]>,
  headerNames: readonly string[],
  cookieNames: readonly string[],
): FoundToken[] {
  const found: FoundToken[] = [];
  for (const name of headerNames) {
    for (const sent of spellingsOf(headers.keys(), name)) {
      for (const value of headers.get(sent) ?? []) {
        const token = tokenInHeaderValue(name, value);
        if (token !== undefined) found.push({ token, source: { kind: 'header', name: sent } });
      }
    }
  }
  if (cookieNames.length > 0) {
    for (const [name, value] of parseCookies(headers.get('cookie') ?? [])) {
      if (cookieNames.includes(name)) found.push({ token: value, source: { kind: 'cookie', name } });
    }
  }
  return found;
}

export function tokensInQuery(query: QueryArgs, names: readonly string[]): FoundToken[] {
  const found: FoundToken[] = [];
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(query, name)) continue;
    // A bare flag (`?access_token`) is a token that is present but empty. Kong sends it as `[]`
    // (mp_rpc's fix_mmap turns get_query's `true` into an empty array), or as `true` in an array.
    const raw = query[name];
    const values = Array.isArray(raw) ? (raw.length === 0 ? [true] : raw) : [raw];
    for (const value of values) found.push({ token: typeof value === 'string' ? value : '', source: { kind: 'query', name } });
  }
  return found;
}

/**
 * The query without one parameter, for `kong.service.request.setQuery`. A bare flag came as `[]`
 * (fix_mmap), which set_query would encode as nothing: it goes back as `true`, a bare flag again.
 */
export function queryWithout(query: QueryArgs, name: string): QueryArgs {
  const out: QueryArgs = luaTable();
  for (const [key, value] of Object.entries(query)) {
    if (key !== name) out[key] = Array.isArray(value) && value.length === 0 ? true : value;
  }
  return out;
}
