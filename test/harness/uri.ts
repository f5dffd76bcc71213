/**
 * URI helpers with nginx/Kong semantics: kong/tools/uri.lua `normalize` (kong.request.get_path),
 * ngx.decode_args / ngx.encode_args (kong.request.get_query, kong.service.request.set_query),
 * and the router's upstream path join (kong/router/utils.lua get_upstream_uri_v0).
 */
import { luaBytes, luaString } from './lua-strings';
import { luaTable } from './lua-values';

/** RFC 3986 reserved characters keep their percent-encoding (upper-cased) in normalize(). */
const RESERVED = new Set(':/?#[]@!$&\'()*+,;='.split(''));

export function normalizePath(raw: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      const b = parseInt(raw.slice(i + 1, i + 3), 16);
      if (b < 0x80 && RESERVED.has(String.fromCharCode(b))) bytes.push(...Buffer.from(`%${raw.slice(i + 1, i + 3).toUpperCase()}`));
      else bytes.push(b);
      i += 2;
    } else {
      // a surrogate pair is one character: its halves alone would be written as U+FFFD
      const pair = /[\ud800-\udbff]/.test(ch) && /[\udc00-\udfff]/.test(raw[i + 1] ?? '');
      bytes.push(...luaBytes(pair ? raw.slice(i, i + 2) : ch));
      if (pair) i++;
    }
  }
  // the path is bytes (a percent-decoded %FC stays one byte), as a Lua string
  let path = luaString(Buffer.from(bytes)).replace(/\/{2,}/g, '/');
  // RFC 3986 5.2.4 remove_dot_segments
  const out: string[] = [];
  while (path.length > 0) {
    if (path.startsWith('../')) path = path.slice(3);
    else if (path.startsWith('./')) path = path.slice(2);
    else if (path.startsWith('/./')) path = path.slice(2);
    else if (path === '/.') path = '/';
    else if (path.startsWith('/../')) {
      path = path.slice(3);
      out.pop();
    } else if (path === '/..') {
      path = '/';
      out.pop();
    } else if (path === '.' || path === '..') path = '';
    else {
      const m = /^\/?[^/]*/.exec(path) as RegExpExecArray;
      out.push(m[0]);
      path = path.slice(m[0].length);
    }
  }
  return out.join('');
}

function unescapeComponent(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

export type LuaArgs = Record<string, string | boolean | Array<string | boolean>>;

/** ngx.decode_args(str, max): `k=v` strings, bare `k` as true, repeats as arrays; the first `max` only. */
export function decodeArgs(query: string | undefined, max = 100): LuaArgs {
  const out: LuaArgs = luaTable();
  if (!query) return out;
  let count = 0;
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (max > 0 && count >= max) break;
    const eq = part.indexOf('=');
    const key = unescapeComponent(eq < 0 ? part : part.slice(0, eq));
    if (key === '') continue;
    count++;
    const value: string | boolean = eq < 0 ? true : unescapeComponent(part.slice(eq + 1));
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function escapeArg(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * kong/pdk/service/request.lua set_query: keys in lexicographical order, `true` as a bare key,
 * `false` left out, arrays as repeated keys.
 */
export function encodeArgsSorted(args: Record<string, unknown>): string {
  // kong/pdk/service/request.lua make_ordered_args: each key encoded on its own (ngx.encode_args,
  // its values in order), then those strings sorted: "a-b=2" sorts before "a=1".
  const groups: string[] = [];
  for (const key of Object.keys(args)) {
    const values = Array.isArray(args[key]) ? (args[key] as unknown[]) : [args[key]];
    const parts: string[] = [];
    for (const v of values) {
      if (v === true) parts.push(escapeArg(key));
      else if (v === false || v === undefined || v === null) continue;
      else parts.push(`${escapeArg(key)}=${escapeArg(String(v))}`);
    }
    if (parts.length) groups.push(parts.join('&'));
  }
  return groups.sort().join('&');
}

/** kong/router/utils.lua get_upstream_uri_v0. */
export function upstreamUriV0(stripPath: boolean, requestPostfix: string, reqUri: string, upstreamBase: string): string {
  if (upstreamBase.endsWith('/')) {
    if (stripPath) {
      if (requestPostfix === '') {
        if (upstreamBase === '/') return '/';
        if (reqUri.endsWith('/')) return upstreamBase;
        return upstreamBase.slice(0, -1);
      }
      if (requestPostfix.startsWith('/')) return upstreamBase.slice(0, -1) + requestPostfix;
      return upstreamBase + requestPostfix;
    }
    return upstreamBase + reqUri.slice(1);
  }
  if (stripPath) {
    if (requestPostfix === '') {
      if (reqUri.length > 1 && reqUri.endsWith('/')) return `${upstreamBase}/`;
      return upstreamBase;
    }
    if (requestPostfix.startsWith('/')) return upstreamBase + requestPostfix;
    return `${upstreamBase}/${requestPostfix}`;
  }
  if (reqUri === '/') return upstreamBase;
  return upstreamBase + reqUri;
}
