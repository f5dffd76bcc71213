/**
 * Module-scope state of idempotency, per config: the compiled config and its store. Plugin
 * instances are short-lived (kong-pdk drops them after 60 s idle, Kong replaces them on config
 * change); the store and its Redis connection must outlive them.
 *
 * `settled`: claims the response phase already dealt with (completed, released, or deliberately
 * left locked), so the log phase does not spend a store round trip releasing them. Losing an
 * entry is harmless: release is owner-checked and never deletes a completed record.
 */
import { LRUCache } from 'lru-cache';
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

const settled = new LRUCache<string, true>({ max: 100000, ttl: 10 * 60 * 1000 });

export function markSettled(token: string): void {
  settled.set(token, true);
}

/** true once: the log phase consumes the mark. */
export function takeSettled(token: string): boolean {
  const was = settled.has(token);
  if (was) settled.delete(token);
  return was;
}
