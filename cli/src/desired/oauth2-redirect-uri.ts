/**
 * The custom validator of an oauth2 credential's `redirect_uris` elements
 * (kong/plugins/oauth2/daos.lua `validate_uri`), which `/schemas` cannot show because it is a
 * function. It parses with LuaSocket's `socket.url.parse` and wants a scheme and a host and no
 * fragment; this follows that parser step by step, quirks included (a `#` inside the authority
 * is part of the host, not a fragment), so that offline validation refuses what Kong refuses.
 */

interface ParsedUrl {
  scheme?: string;
  authority?: string;
  host?: string;
  fragment?: string;
}

/** LuaSocket's url.parse, as far as validate_uri reads it; undefined for its "invalid url". */
function parseLikeLuaSocket(url: string): ParsedUrl | undefined {
  if (url === '') return undefined;
  const parsed: ParsedUrl = {};
  let rest = url;
  const scheme = /^([A-Za-z0-9][A-Za-z0-9+\-.]*):/.exec(rest);
  if (scheme) {
    parsed.scheme = scheme[1];
    rest = rest.slice(scheme[0].length);
  }
  const authority = /^\/\/([^/]*)/.exec(rest);
  if (authority) {
    parsed.authority = authority[1];
    rest = rest.slice(authority[0].length);
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) parsed.fragment = rest.slice(hash + 1);
  if (parsed.authority === undefined) return parsed;
  const host = parsed.authority.replace(/^[^@]*@/, '').replace(/:[^:\]]*$/, '');
  if (host !== '') parsed.host = /^\[(.+)\]$/.exec(host)?.[1] ?? host;
  return parsed;
}

/** Kong's message for a redirect URI it refuses, or undefined when it takes it. */
export function redirectUriProblem(uri: string): string | undefined {
  const parsed = parseLikeLuaSocket(uri);
  if (!parsed || !parsed.host || !parsed.scheme) return `cannot parse '${uri}'`;
  if (parsed.fragment !== undefined) return `fragment not allowed in '${uri}'`;
  return undefined;
}
