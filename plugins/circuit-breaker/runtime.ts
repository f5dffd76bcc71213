/**
 * Module-scope state of circuit-breaker, node-wide: one plugin server process serves every nginx
 * worker of a Kong node, and kong-pdk drops plugin instances after 60 s idle and Kong replaces
 * them on config change, so breakers live here, not in instances. A family holds the breakers of
 * one config (keyed by a hash of its settings, shared/config-key.ts): equal configs share
 * breakers, a changed config starts fresh ones. Inside a family, one breaker per scope key.
 *
 * Not ConfigScoped: the state endpoint lists every breaker, so the families must be iterable.
 *
 * Families are never evicted by count (an evicted family took its open breakers out of the state
 * endpoint, and an instance restarted with the same config found its circuits closed again). A
 * family leaves the map when it holds no breaker; an instance still holding it puts it back
 * (`live`), or takes the one a newer instance of the config made meanwhile, so one config never
 * has two family objects in use. Which plugin entities run with a config is kept apart from the
 * family objects (`usersOfFamily`), so it survives that. Breakers are forgotten when that loses
 * nothing (closed and idle, breaker.ts `isIdle`), and whatever their state once their family is
 * retired: every plugin entity that used it (`__plugin_id`) now runs with another config.
 */
import { LRUCache } from 'lru-cache';
import { configKey, pluginIdOf, pluginSettings } from '../shared/config-key';
import { nowSeconds } from '../shared/clock';
import { circuitBreakerMetrics } from '../shared/metrics';
import { Breaker } from './breaker';
import { compileConfig, withDefaults, type CompiledConfig } from './config';
import { keyString, type ScopeKey } from './scope';

export interface Family {
  /** Hash of the settings (configKey). */
  id: string;
  config?: CompiledConfig;
  /** Why the config cannot be used (the instance then breaks no circuit). */
  errors: string[];
  breakers: LRUCache<string, Entry>;
  /** When a config problem was last logged (plugin clock, ms). */
  lastProblemLogMs: number;
}

export interface Entry {
  key: ScopeKey;
  breaker: Breaker;
}

/** Per config. `service_host` keys come from the client's Host header: bounded, least recently
 *  used first out (a breaker in use by real traffic is never the least recently used). */
const MAX_BREAKERS_PER_FAMILY = 10_000;
/**
 * With `service_host`, also a budget of window buckets per config: a breaker costs about 225
 * bytes per bucket (9 KB at the default 10), so 10 000 client-chosen Hosts at window_buckets 1000
 * were 2.2 GB, past the heap of the process every circuit of the node lives in. 200 000 buckets
 * (~45 MB) are still 20 000 breakers at the default. Service and route keys are the operator's,
 * bounded by the configuration: no budget evicts a breaker real traffic uses.
 */
const BUCKET_BUDGET_PER_HOST_FAMILY = 200_000;

function breakerCache(config: CompiledConfig | undefined): LRUCache<string, Entry> {
  const dispose = (entry: Entry): void => entry.breaker.shutdown();
  if (config?.scope !== 'service_host') return new LRUCache<string, Entry>({ max: MAX_BREAKERS_PER_FAMILY, dispose });
  const buckets = Math.max(1, config.windowBuckets);
  return new LRUCache<string, Entry>({ max: MAX_BREAKERS_PER_FAMILY, maxSize: BUCKET_BUDGET_PER_HOST_FAMILY, sizeCalculation: () => buckets, dispose });
}
const SWEEP_INTERVAL_MS = 1000;

const families = new Map<string, Family>();
/** Plugin entity id → the id of the family its latest instance uses. */
const familyOfPlugin = new Map<string, string>();
/**
 * Family id → the plugin entities (`__plugin_id`) whose latest instance runs with it. Kept apart
 * from the family objects: a family leaves the map once it has no breaker, and the object
 * `familyFor` then makes for a restarted instance must not forget the entities still running
 * with the config (they would retire it when that one instance moved on, and their open breakers
 * were forgotten).
 */
const usersOfFamily = new Map<string, Set<string>>();
/** Every plugin entity that used these families moved to another config: their breakers serve nobody. */
const retiredFamilies = new Set<string>();

// the state gauge reads every breaker when Prometheus scrapes, as the state endpoint does
circuitBreakerMetrics().trackBreakers(() => {
  const now = nowMs();
  return everyBreaker(now).map(({ family, entry }) => ({ breaker: keyString(entry.key), name: entry.key.name ?? '', config: family.id.slice(0, 12), state: entry.breaker.view(now).state }));
});

/** The plugin's clock in milliseconds. */
export function nowMs(): number {
  return nowSeconds() * 1000;
}

export function familyFor(rawConfig: unknown): Family {
  const settings = pluginSettings(withDefaults(rawConfig));
  const id = configKey(settings);
  let family = families.get(id);
  if (!family) {
    const compiled = compileConfig(settings);
    family = {
      id,
      config: compiled.ok ? compiled.config : undefined,
      errors: compiled.ok ? [] : compiled.errors,
      breakers: breakerCache(compiled.ok ? compiled.config : undefined),
      lastProblemLogMs: Number.NEGATIVE_INFINITY,
    };
    families.set(id, family);
  }
  const pluginId = pluginIdOf(rawConfig);
  if (pluginId !== undefined) usedBy(family, pluginId);
  return family;
}

/** `pluginId`'s latest instance runs with `family`: the family it used before may be retired. */
function usedBy(family: Family, pluginId: string): void {
  const before = familyOfPlugin.get(pluginId);
  if (before !== undefined && before !== family.id) {
    const users = usersOfFamily.get(before);
    users?.delete(pluginId);
    if (!users || users.size === 0) {
      usersOfFamily.delete(before);
      // a family no longer in the map has no breaker: nothing to retire
      if (families.has(before)) retiredFamilies.add(before);
    }
  }
  familyOfPlugin.set(pluginId, family.id);
  let users = usersOfFamily.get(family.id);
  if (!users) usersOfFamily.set(family.id, (users = new Set()));
  users.add(pluginId);
  retiredFamilies.delete(family.id);
}

/** The family object of this config in the map: an instance's own, put back if it had left. */
export function live(family: Family): Family {
  if (family.id === UNUSABLE) return family;
  const found = families.get(family.id);
  if (found) return found;
  families.set(family.id, family);
  return family;
}

/** A family for a config that could not even be read: breaks nothing, reports `message`. */
const UNUSABLE = 'unusable';

export function unusableFamily(message: string): Family {
  return {
    id: UNUSABLE,
    errors: [message],
    breakers: new LRUCache<string, Entry>({ max: 1 }),
    lastProblemLogMs: Number.NEGATIVE_INFINITY,
  };
}

export function breakerFor(family: Family, config: CompiledConfig, key: ScopeKey, now: number): Entry {
  const k = keyString(key);
  const found = family.breakers.get(k);
  if (found) {
    if (key.name && !found.key.name) found.key = key;
    return found;
  }
  const entry: Entry = { key, breaker: new Breaker(config, now, `${family.id.slice(0, 12)}/${k}`) };
  family.breakers.set(k, entry);
  return entry;
}

/** The breaker of a log event, if its request was ever seen by `access` (never creates one). */
export function findBreaker(family: Family, key: ScopeKey): Entry | undefined {
  const found = family.breakers.get(keyString(key));
  // access may have taken the id from the instance config, without a name: log's serialize has it
  if (found && key.name && !found.key.name) found.key = key;
  return found;
}

/** Every breaker of this node, for the state endpoint (idle ones forgotten first). */
export function everyBreaker(now: number): Array<{ family: Family; entry: Entry }> {
  sweepAll(now);
  const out: Array<{ family: Family; entry: Entry }> = [];
  for (const family of families.values()) for (const entry of family.breakers.values()) out.push({ family, entry });
  return out;
}

/**
 * Drops overdue calls, even on breakers no request touches any more; forgets breakers whose
 * forgetting loses nothing, and those of retired families once unused as long; then the families
 * left without breakers (an instance still holding one puts it back, see `live`).
 */
export function sweepAll(now: number): void {
  for (const family of families.values()) {
    const retired = retiredFamilies.has(family.id);
    const forget: string[] = [];
    for (const [key, entry] of family.breakers.entries()) {
      entry.breaker.sweep(now);
      if (entry.breaker.isIdle(now) || (retired && entry.breaker.isUnused(now))) forget.push(key);
    }
    for (const key of forget) family.breakers.delete(key);
    if (family.breakers.size === 0) {
      families.delete(family.id);
      retiredFamilies.delete(family.id);
    }
  }
}

setInterval(() => {
  try {
    sweepAll(nowMs());
  } catch {
    // an unreadable test clock: the next request reports it
  }
}, SWEEP_INTERVAL_MS).unref();
