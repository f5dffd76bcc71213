/**
 * Module-scope state of circuit-breaker, node-wide: one plugin server process serves every nginx
 * worker of a Kong node, and kong-pdk drops plugin instances after 60 s idle and Kong replaces
 * them on config change, so breakers live here, not in instances. A family holds the breakers of
 * one config (keyed by a hash of its settings, shared/config-key.ts): equal configs share
 * breakers, a changed config starts fresh ones. Inside a family, one breaker per scope key.
 *
 * Not ConfigScoped: the state endpoint lists every breaker, so the families must be iterable.
 */
import { LRUCache } from 'lru-cache';
import { configKey, pluginSettings } from '../shared/config-key';
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

const MAX_FAMILIES = 256;
/** Per config. `service_host` keys come from the client's Host header: bounded, least recently
 *  used first out (a breaker in use by real traffic is never the least recently used). */
const MAX_BREAKERS_PER_FAMILY = 10_000;
const SWEEP_INTERVAL_MS = 1000;

const families = new LRUCache<string, Family>({ max: MAX_FAMILIES });

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
  const found = families.get(id);
  if (found) return found;
  const compiled = compileConfig(settings);
  const family: Family = {
    id,
    config: compiled.ok ? compiled.config : undefined,
    errors: compiled.ok ? [] : compiled.errors,
    breakers: new LRUCache<string, Entry>({ max: MAX_BREAKERS_PER_FAMILY, dispose: (entry) => entry.breaker.shutdown() }),
    lastProblemLogMs: Number.NEGATIVE_INFINITY,
  };
  families.set(id, family);
  return family;
}

/** A family for a config that could not even be read: breaks nothing, reports `message`. */
export function unusableFamily(message: string): Family {
  return {
    id: 'unusable',
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
 * Drops overdue calls, even on breakers no request touches any more, and forgets idle breakers.
 * Families stay: an instance holds its family, and a second family object for the same config
 * would split its breakers.
 */
export function sweepAll(now: number): void {
  for (const family of families.values()) {
    const idle: string[] = [];
    for (const [key, entry] of family.breakers.entries()) {
      entry.breaker.sweep(now);
      if (entry.breaker.isIdle(now)) idle.push(key);
    }
    for (const key of idle) family.breakers.delete(key);
  }
}

setInterval(() => {
  try {
    sweepAll(nowMs());
  } catch {
    // an unreadable test clock: the next request reports it
  }
}, SWEEP_INTERVAL_MS).unref();
