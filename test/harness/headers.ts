/**
 * An nginx header list: ordered, case preserved, repeated names kept apart. Lookups follow
 * ngx.req.get_headers()/ngx.resp.get_headers() as Kong's PDK uses them: names are
 * case-insensitive and `_` matches `-` (kong/pdk/request.lua get_header, kong/pdk/response.lua
 * get_header); tables are keyed by the lower-cased name with a string for one value and an
 * array for repeated ones (`headers.x_another[1]`).
 */
export type LuaHeaderTable = Record<string, string | string[]>;

export function normalizeHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
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

  /** From Node's `rawHeaders` (name, value, name, value, ...), which keeps duplicates. */
  static fromRaw(raw: string[]): HeaderList {
    const list = new HeaderList();
    for (let i = 0; i + 1 < raw.length; i += 2) list.add(raw[i], raw[i + 1]);
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

  /** ngx.req.set_header / ngx.header[name] = value: replaces every value, appended at the end. */
  set(name: string, value: string | string[]): void {
    this.clear(name);
    for (const v of Array.isArray(value) ? value : [value]) this.entries.push([name, v]);
  }

  add(name: string, value: string): void {
    this.entries.push([name, value]);
  }

  clear(name: string): void {
    const n = normalized(name);
    this.entries = this.entries.filter(([k]) => normalized(k) !== n);
  }

  /** ngx.req.get_headers(max) / ngx.resp.get_headers(max): lower-cased keys, arrays for repeats. */
  toLuaTable(max = 100): LuaHeaderTable {
    const out: LuaHeaderTable = {};
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

  /** For Node's `res.writeHead`: repeated names as arrays, original case of the first occurrence. */
  toOutgoing(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const caseOf = new Map<string, string>();
    for (const [k, v] of this.entries) {
      const lower = k.toLowerCase();
      const key = caseOf.get(lower) ?? k;
      caseOf.set(lower, key);
      const prev = out[key];
      out[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
}
