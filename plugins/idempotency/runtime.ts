/**
 * Module-scope state of idempotency, per config: the compiled config and its store. Plugin
 * instances are short-lived (kong-pdk drops them after 60 s idle, Kong replaces them on config
 * change); the store and its Redis connection must outlive them.
 *
 * `unsettled`: the claims this process's access phases made that no response or log phase has
 * dealt with yet. While it is empty no request here holds a claim, so the response and log phases
 * of every request (replays, GETs, requests without a key) answer without a PDK call.
 */
import { performance } from 'node:perf_hooks';
import { ConfigScoped, configKey, pluginSettings } from '../shared/config-key';
import { openStore, type Store } from '../shared/store';
import { compileConfig, withDefaults, type CompiledConfig } from './config';
import { Name } from './meta';

export interface Runtime {
  config?: CompiledConfig;
  store?: Store;
  /** Why the config cannot be used (then every request it applies to gets a 500). */
  errors: string[];
}

const runtimes = new ConfigScoped<Runtime>(128);

export function runtimeFor(rawConfig: unknown): Runtime {
  const settings = pluginSettings(withDefaults(rawConfig));
  return runtimes.get(configKey(settings), () => {
    const compiled = compileConfig(settings);
    if (!compiled.ok) return { errors: compiled.errors };
    return { config: compiled.config, store: openStore(Name, compiled.config.store), errors: [] };
  });
}

/**
 * Owner token -> when the entry goes (ms, monotonic). A request's phases all run in the plugin
 * server that claimed for it, so a process-wide table is exact. An entry whose request never comes
 * back (Kong dropped it) must not keep every later phase asking forever, so it goes
 * KEPT_AFTER_LOCK_MS after its lock expired: releasing that lock would do nothing by then, and an
 * upstream slower than lock_ttl still finds its entry and logs the lock it lost. An entry kept too
 * long only costs a PDK call per phase; one dropped too early would skip a release, which is why
 * nothing but this expiry drops entries.
 */
const unsettled = new Map<string, number>();
export const KEPT_AFTER_LOCK_MS = 10 * 60 * 1000;

export function holdClaim(token: string, lockTtlMs: number, now = performance.now()): void {
  unsettled.set(token, now + lockTtlMs + KEPT_AFTER_LOCK_MS);
}

/** true once, for a claim still held: whoever gets true settles it. */
export function settleClaim(token: string): boolean {
  return unsettled.delete(token);
}

/**
 * Whether any request in this process may hold a claim, and how many entries were found expired
 * on the way (requests that never ended: worth a warning). Expired entries are dropped from the
 * oldest on: insertion order is expiry order for one lock_ttl, and a longer lock ahead of a shorter
 * one only keeps the shorter one a little longer.
 */
export function anyUnsettled(now = performance.now()): { held: boolean; expired: number } {
  let expired = 0;
  for (const [token, expires] of unsettled) {
    if (expires > now) return { held: true, expired };
    unsettled.delete(token);
    expired++;
  }
  return { held: false, expired };
}
