/**
 * An nginx header list: ordered, case preserved, repeated names kept apart.
 * - Lookups follow the PDK's getters: names are case-insensitive and `_` matches `-`
 *   (kong.request.get_header reads $http_<name>, which nginx matches folding both; tables are
 *   keyed by the lower-cased name with a string for one value and an array for repeated ones,
 *   `headers.x_another[1]`).
 * - Changes follow nginx's list, not the getters: `set` and `clear` match a name ignoring case
 *   only (ngx.req.set_header / clear_header: ngx_http_set_header_helper compares with
 *   ngx_strncasecmp, and lua-nginx-module's "_" -> "-" rewrite for request headers is `#if 0`), so
 *   clearing `X-User-Id` leaves a client's `X_User_Id`, which Kong (`underscores_in_headers on`)
 *   forwards. Response headers get their `_` turned into `-` before they reach the list
 *   (lua_transform_underscores_in_response_headers, on by default): `responseHeaderName`.
 */
import { fromLatin1, toLatin1 } from './lua-strings';
import { luaTable } from './lua-values';

export type LuaHeaderTable = Record<string, string | string[]>;

export function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** ngx.header[name]: lua_transform_underscores_in_response_headers (default on) writes `_` as `-`. */
export function responseHeaderName(name: string): string {
  return name.includes('_') ? name.replace(/_/g, '-') : name;
}

// Names repeat across requests (a handful of header names); memoising the normalised form keeps
// lookups cheap in long benchmark runs. Bounded: an unusual run just stops memoising.
const NORMALIZED = new Map<string, string>();
function normalized(name: string): string {
  let n = NORMALIZED.get(name);
  if (n === undefined) {
    n = normalizeHeaderName(name);
    if (NORMALIZED.size < 10_000) NORMALIZED.set(name, n);
  }
  return n;
}

export class HeaderList {
  private entries: Array<[string, string]>;

  constructor(entries: Iterable<[string, string]> = []) {
    this.entries = [...entries];
  }

  /**
   * From Node's `rawHeaders` (name, value, name, value, ...), which keeps duplicates; Node reads
   * them as Latin-1, nginx as bytes (./lua-strings.ts).
   */
  static fromRaw(raw: string[]): HeaderList {
    const list = new HeaderList();
    for (let i = 0; i + 1 < raw.length; i += 2) list.add(fromLatin1(raw[i]), fromLatin1(raw[i + 1]));
    return list;
  }

  /** From `{name: value | [values]}` or `[[name, value], ...]`. */
  static from(init: LuaHeaderTable | Array<[string, string]> | HeaderList | undefined): HeaderList {
    if (!init) return new HeaderList();
    if (init instanceof HeaderList) return init.clone();
    if (Array.isArray(init)) return new HeaderList(init);
    const list = new HeaderList();
    for (const [k, v] of Object.entries(init)) for (const one of Array.isArray(v) ? v : [v]) list.add(k, one);
    return list;
  }

  clone(): HeaderList {
    return new HeaderList(this.entries.map(([k, v]) => [k, v] as [string, string]));
  }

  get size(): number {
    return this.entries.length;
  }

  all(): Array<[string, string]> {
    return this.entries.map(([k, v]) => [k, v] as [string, string]);
  }

  values(name: string): string[] {
    const n = normalized(name);
    const out: string[] = [];
    for (const [k, v] of this.entries) if (normalized(k) === n) out.push(v);
    return out;
  }

  first(name: string): string | undefined {
    const n = normalized(name);
    for (const [k, v] of this.entries) if (normalized(k) === n) return v;
    return undefined;
  }

  /**
   * $http_<name> (kong.request.get_header reads ngx.var): nginx >= 1.23 (OpenResty 1.25, Kong
   * >= 3.6) joins every line of a header, Cookie with "; " and the rest with ", "; older nginx
   * joins only Cookie and X-Forwarded-For, and gives the first line of any other header.
   */
  variable(name: string, joinsAll: boolean): string | undefined {
    const values = this.values(name);
    if (values.length <= 1) return values[0];
    const n = normalized(name);
    if (n === 'cookie') return values.join('; ');
    if (joinsAll || n === 'x-forwarded-for') return values.join(', ');
    return values[0];
  }

  has(name: string): boolean {
    return this.first(name) !== undefined;
  }

  /** The values of exactly this name, case aside (`_` and `-` differ): what nginx's list holds. */
  exactValues(name: string): string[] {
    const n = name.toLowerCase();
    const out: string[] = [];
    for (const [k, v] of this.entries) if (k.toLowerCase() === n) out.push(v);
    return out;
  }

  /** ngx.req.set_header / ngx.header[name] = value: replaces every value of the name, appended at the end. */
  set(name: string, value: string | string[]): void {
    this.clear(name);
    for (const v of Array.isArray(value) ? value : [value]) this.entries.push([name, v]);
  }

  add(name: string, value: string): void {
    this.entries.push([name, value]);
  }

  /** ngx.req.clear_header: every line of this name, case aside; `_` and `-` differ. */
  clear(name: string): void {
    const n = name.toLowerCase();
    this.entries = this.entries.filter(([k]) => k.toLowerCase() !== n);
  }

  /** ngx.req.get_headers(max) / ngx.resp.get_headers(max): lower-cased keys, arrays for repeats. */
  toLuaTable(max = 100): LuaHeaderTable {
    const out: LuaHeaderTable = luaTable();
    let count = 0;
    for (const [k, v] of this.entries) {
      if (count >= max) break;
      count++;
      const key = k.toLowerCase();
      const prev = out[key];
      if (prev === undefined) out[key] = v;
      else out[key] = Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }

  /**
   * For Node's `res.writeHead`: repeated names as arrays, original case of the first occurrence;
   * names and values as Latin-1, so Node writes the bytes nginx would.
   */
  toOutgoing(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = luaTable();
    const caseOf = new Map<string, string>();
    for (const [name, value] of this.entries) {
      const k = toLatin1(name);
      const v = toLatin1(value);
      const lower = k.toLowerCase();
      const key = caseOf.get(lower) ?? k;
      caseOf.set(lower, key);
      const prev = out[key];
      out[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
}
