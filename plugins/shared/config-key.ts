/**
 * kong-pdk drops plugin instances idle for 60 s and Kong starts a new instance whenever a plugin's
 * config changes (or the plugin server restarts), so anything that must outlive an instance
 * (caches, JWKS clients, counters) lives at module scope, keyed by a stable hash of the config
 * that shapes it. Equal configs share state; a changed config gets fresh state.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Keys Kong adds to the config it sends in StartInstance (trace-kong-3.4.2.jsonl): instance
 *  bookkeeping and scope, not plugin settings. */
const KONG_INSTANCE_KEYS = new Set(['__seq__', '__plugin_id', '__key__', 'route_id', 'service_id', 'consumer_id']);

/** The plugin's own settings, without Kong's instance bookkeeping. */
export function pluginSettings(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!KONG_INSTANCE_KEYS.has(key)) out[key] = value;
  return out;
}

/** The id of the plugin entity Kong sends with every config (`__plugin_id`), if any. */
export function pluginIdOf(rawConfig: unknown): string | undefined {
  const id = typeof rawConfig === 'object' && rawConfig !== null ? (rawConfig as Record<string, unknown>).__plugin_id : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** A stable hash of a config value (sha256 of its canonical JSON, hex). */
export function configKey(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * Module-scope state per config key. Bounded, so configs that come and go (every Admin API edit
 * makes a new key) cannot grow it without limit; an evicted entry stays alive for as long as an
 * instance still holds it.
 */
export class ConfigScoped<T extends object> {
  private readonly entries: LRUCache<string, T>;

  constructor(maxEntries = 64) {
    this.entries = new LRUCache<string, T>({ max: maxEntries });
  }

  get(key: string, create: () => T): T {
    const found = this.entries.get(key);
    if (found) return found;
    const made = create();
    this.entries.set(key, made);
    return made;
  }

  get size(): number {
    return this.entries.size;
  }
}
