/**
 * Kong 3.x route path rules (kong/db/schema/typedefs.lua `router_path` and
 * `validate_path_with_regexes`, kong/tools/uri.lua `normalize`), run offline with Kong's
 * own messages. Validators run in Kong's order and the first failure wins, as in Kong.
 */

const RESERVED = new Set("!*'();:@&=+$,/?%#[]".split('').map((c) => c.charCodeAt(0)));

/**
 * Lua strings are bytes: `%C3%A9` decodes to two bytes that together are "é". Percent triplets
 * are decoded on the UTF-8 bytes, one character per byte (latin1), then read back as UTF-8.
 */
export function onUtf8Bytes(s: string, f: (bytes: string) => string): string {
  return Buffer.from(f(Buffer.from(s, 'utf8').toString('latin1')), 'latin1').toString('utf8');
}

/** kong/tools/uri.lua `normalize(uri, merge_slashes)`. */
export function normalizeUriPath(uri: string, mergeSlashes = true): string {
  if (uri === '' || uri === '/') return uri;
  if (uri.includes('%')) {
    // Decode triplets of unreserved and "other" characters; uppercase reserved ones.
    uri = onUtf8Bytes(uri, (bytes) =>
      bytes.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
        const n = parseInt(hex, 16);
        return RESERVED.has(n) ? m.toUpperCase() : String.fromCharCode(n);
      }),
    );
  }
  if (!uri.includes('.')) {
    if (!mergeSlashes || !uri.includes('//')) return uri;
  }
  const out: string[] = [];
  while (uri.length > 0) {
    if (uri === '/.') uri = '/';
    else if (uri === '/..') {
      uri = '/';
      if (out.length > 0) out.pop();
    } else if (uri === '.' || uri === '..') uri = '';
    else if (uri.startsWith('../')) uri = uri.slice(3);
    else if (uri.startsWith('./')) uri = uri.slice(2);
    else if (uri.startsWith('/./')) uri = uri.slice(2);
    else if (uri.startsWith('/../')) {
      uri = uri.slice(3);
      if (out.length > 0) out.pop();
    } else if (mergeSlashes && uri.startsWith('//')) uri = uri.slice(1);
    else {
      const i = uri.indexOf('/', 1);
      if (i >= 0) {
        out.push(uri.slice(0, i));
        uri = uri.slice(i);
      } else {
        out.push(uri);
        uri = '';
      }
    }
  }
  return out.join('');
}

/**
 * Constructs PCRE accepts and JavaScript rejects (or reads differently): when JS fails to
 * compile a pattern using one of these, we cannot tell whether PCRE would, so we say nothing.
 */
const PCRE_ONLY =
  /\(\?(?![:=!]|<[=!]|<[A-Za-z_])|[*+?}]\+|\\[QEGAZzhHvVRXKp]|\[\[:|\(\*|\\[0-9]{3}|\\g|\\k[{']|\\[cxo]\{/;

/**
 * The error a regex path would surely get from PCRE, or null. JS is compiled without the `u`
 * flag (Annex B) because that is the lenient reading closest to PCRE.
 */
export function regexPathError(regex: string): string | null {
  try {
    new RegExp(regex);
    return null;
  } catch (e) {
    if (PCRE_ONLY.test(regex)) return null;
    const msg = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return `invalid regex: '${regex}' (${msg})`;
  }
}

/** typedefs.path's character check (`validate_path`): RFC 3986's unreserved and sub-delims, '%', ':', '@', '/'. */
export const RFC3986_PATH = /^\/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$/;

/** Regex metacharacters that hardly ever occur in a literal URL prefix. */
const REGEX_LIKE = /[()[\]{}*+?|^$\\]/;

export interface PathProblem {
  message: string;
  severity: 'error' | 'warning';
}

/** All Kong checks of one `routes[].paths[]` element, plus the missing-`~` hint. */
export function checkRoutePath(path: string): PathProblem | null {
  // match_none, then match_any, then custom_validator: Kong's validators_order.
  if (path.includes('//')) return { severity: 'error', message: 'must not have empty segments' };
  if (!path.startsWith('/') && !path.startsWith('~/'))
    return { severity: 'error', message: 'should start with: / (fixed path) or ~/ (regex path)' };
  return routePathCustomCheck(path);
}

/**
 * The part of the path rules that is Lua code in Kong (`validate_path_with_regexes`), for paths
 * that already passed the declarative `match_none`/`match_any` of the routes schema.
 */
export function routePathCustomCheck(path: string): PathProblem | null {
  // typedefs.path's validator: its character check fails for regex paths and odd characters,
  // and Kong ignores that failure here, but then the percent-encoding check never runs either.
  if (RFC3986_PATH.test(path) && path.includes('%')) {
    const raw = path.replace(/%[0-9A-Fa-f]{2}/g, '___');
    const at = raw.indexOf('%');
    if (at >= 0) return { severity: 'error', message: `invalid url-encoded value: '${raw.slice(at, at + 3)}'` };
  }
  if (!path.startsWith('~')) {
    const normalized = normalizeUriPath(path, true);
    if (normalized !== path)
      return { severity: 'error', message: `non-normalized path, consider use '${normalized}' instead` };
    if (REGEX_LIKE.test(path))
      return {
        severity: 'warning',
        message: `path '${path}' looks like a regex but has no '~' prefix: Kong 3.x matches it as a plain prefix; write '~${path}' for a regex`,
      };
    return null;
  }
  const err = regexPathError(path.slice(1));
  return err ? { severity: 'error', message: err } : null;
}
