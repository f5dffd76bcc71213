/**
 * How Kong sends a PDK result back: kong/runloop/plugin_servers/rpc/mp_rpc.lua `must_fix`
 * (fix_mmap / fix_raw) and `get_step_method` (by_pdk_method).
 */
import { EMPTY_MAP, luaTable, luaToWire } from './lua-values';
import { LuaError } from './pdk-context';
import { luaBytes } from './lua-strings';

const MULTIMAP = new Set(['kong.request.get_query', 'kong.request.get_headers', 'kong.response.get_headers', 'kong.service.response.get_headers']);
const RAW = new Set(['kong.request.get_raw_body', 'kong.response.get_raw_body', 'kong.service.response.get_raw_body']);

const BY_PDK_METHOD: Record<string, string> = {
  'kong.client.get_credential': 'plugin.StepCredential',
  'kong.client.load_consumer': 'plugin.StepConsumer',
  'kong.client.get_consumer': 'plugin.StepConsumer',
  'kong.client.authenticate': 'plugin.StepCredential',
  'kong.node.get_memory_stats': 'plugin.StepMemoryStats',
  'kong.router.get_route': 'plugin.StepRoute',
  'kong.router.get_service': 'plugin.StepService',
  'kong.request.get_query': 'plugin.StepMultiMap',
  'kong.request.get_headers': 'plugin.StepMultiMap',
  'kong.response.get_headers': 'plugin.StepMultiMap',
  'kong.service.response.get_headers': 'plugin.StepMultiMap',
};

/** fix_mmap: every value an array of strings (`true` -> `[]`), an empty map packed as a map. */
function fixMmap(t: unknown): unknown {
  if (t === null || typeof t !== 'object') throw new LuaError(`bad argument #1 to 'pairs' (table expected, got ${t === undefined ? 'nil' : typeof t})`);
  const entries = Object.entries(t as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return EMPTY_MAP;
  const out = luaTable();
  for (const [k, v] of entries) out[k] = v === true ? [] : typeof v === 'string' ? [v] : v;
  return out;
}

/**
 * fix_raw: packed as msgpack `bin`. A nil body (too large for client_body_buffer_size, or
 * above Kong 3.9's max) reaches lua-MessagePack's `packers.binary`, whose `#str` raises
 * while Kong packs the Step: a Lua error in the phase, not a nil for the plugin.
 */
function fixRaw(v: unknown): Buffer {
  if (v === undefined || v === null) throw new LuaError("attempt to get length of local 'str' (a nil value)");
  return Buffer.isBuffer(v) ? v : luaBytes(String(v));
}

/** The value as it goes on the wire for this method (must_fix, then lua-MessagePack's packing). */
export function wireResult(method: string, value: unknown): unknown {
  if (MULTIMAP.has(method)) return luaToWire(fixMmap(value));
  if (RAW.has(method)) return fixRaw(value);
  return luaToWire(value);
}

/** get_step_method: StepError only for a nil result with an error, which call_pdk_method never produces. */
export function stepMethodFor(method: string, result: unknown, error?: string): string {
  if ((result === undefined || result === null) && error !== undefined) return 'plugin.StepError';
  return BY_PDK_METHOD[method] ?? 'plugin.Step';
}
