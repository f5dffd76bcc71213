/**
 * Values as Kong's Lua side holds and re-sends them. A value a plugin hands to Kong goes
 * through lua-MessagePack (decode into Lua tables) and, when it comes back, through
 * lua-MessagePack again (kong/runloop/plugin_servers/rpc/mp_rpc.lua `mp_pack`), or through
 * cjson (`kong.response.exit` table bodies, `kong.log.serialize`). Both lose information in
 * ways plugin authors trip on; this file reproduces those losses:
 *
 * - msgpack nil inside a map drops the key; nil inside an array leaves a hole, and a table with
 *   holes is re-packed as a map with integer keys (lua-MessagePack `packers.table`);
 * - an empty table is packed as an empty ARRAY (`{}` -> `[]`) unless mp_rpc packs it as a map
 *   (`fix_mmap` for the multimap getters, see {@link EMPTY_MAP});
 * - msgpack `bin` becomes a Lua string and is re-packed as `str`;
 * - cjson encodes an empty table as `{}`, escapes `/` as `\/`, and prints numbers with `%.14g`.
 */
import { luaString } from './lua-strings';
import { luaTable } from '../../plugins/shared/pdk';

/** mp_rpc.lua `mp_empty_map`: an empty multimap that must be packed as `{}`, not `[]`. */
export const EMPTY_MAP: Readonly<Record<string, never>> = Object.freeze({});

/** A JS value as it arrives decoded from msgpack, turned into what Lua keeps of it. */
/** An empty Lua table whose keys are only its own (`__proto__` an entry like any other): the plugins' own. */
export { luaTable };

export function luaFromMsgpack(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return luaString(value);
  if (Array.isArray(value)) {
    let end = value.length;
    while (end > 0 && (value[end - 1] === null || value[end - 1] === undefined)) end--;
    const items = value.slice(0, end);
    if (items.every((v) => v !== null && v !== undefined)) return items.map(luaFromMsgpack);
    const holes = luaTable();
    items.forEach((v, i) => {
      if (v !== null && v !== undefined) holes[String(i + 1)] = luaFromMsgpack(v);
    });
    return holes;
  }
  if (typeof value === 'object') {
    const out = luaTable();
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && v !== undefined) out[k] = luaFromMsgpack(v);
    }
    return out;
  }
  return value;
}

/**
 * A Lua value as lua-MessagePack packs it back for the plugin: empty tables become `[]`
 * (except {@link EMPTY_MAP}), `null` (cjson.null) packs as nil, Buffers stay `bin` (fix_raw).
 */
export function luaToWire(value: unknown): unknown {
  if (value === EMPTY_MAP) return {};
  if (value === undefined || value === null) return value;
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : luaToWire(v)));
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return [];
    const out = luaTable();
    for (const [k, v] of entries) out[k] = luaToWire(v);
    return out;
  }
  return value;
}

/** C's `%.14g`, which cjson uses for every number (`encode_number_precision` 14). */
export function formatG14(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`Cannot serialise ${n}: must not be NaN or Infinity`);
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Number(n.toExponential(13).split('e')[1]);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 14) {
    const [mant, e] = n.toExponential(13).split('e');
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '').padStart(2, '0');
    return `${trim(mant)}e${sign}${digits}`;
  }
  return trim(n.toFixed(Math.max(0, 13 - exp)));
}

function cjsonString(s: string): string {
  return JSON.stringify(s).replace(/\//g, '\\/');
}

/**
 * lua-cjson `encode` of a Lua value: `{}` for empty tables (whether they came from `[]` or `{}`),
 * arrays for tables with keys 1..n, `\/` escapes and `%.14g` numbers.
 */
export function cjsonEncode(value: unknown, options: { arraysKeepMetatable?: boolean } = {}): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return cjsonString(value);
  if (typeof value === 'number') return formatG14(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Buffer.isBuffer(value)) return cjsonString(value.toString('utf8'));
  if (Array.isArray(value)) {
    // tables decoded by cjson with array_mt (plugin configs from the database) stay `[]`
    if (value.length === 0) return options.arraysKeepMetatable ? '[]' : '{}';
    return `[${value.map((v) => cjsonEncode(v, options)).join(',')}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{${entries.map(([k, v]) => `${cjsonString(k)}:${cjsonEncode(v, options)}`).join(',')}}`;
  }
  throw new Error(`Cannot serialise ${typeof value}: type not supported`);
}

export function isLuaTable(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object' && !Buffer.isBuffer(v);
}

/** Lua's `type()` of a value decoded from msgpack, for Kong's argument checks and messages. */
export function luaType(v: unknown): 'nil' | 'string' | 'number' | 'boolean' | 'table' {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'string' || Buffer.isBuffer(v)) return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'table';
}

/** Lua's `tostring` for the scalars Kong stringifies (header values). */
export function luaToString(v: unknown): string {
  if (typeof v === 'number') return formatG14(v);
  if (Buffer.isBuffer(v)) return luaString(v);
  return String(v);
}
