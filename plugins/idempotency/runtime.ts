/**
 * Module-scope state of idempotency, per (config, plugin instance): the compiled config and the
 * instance's store. Plugin
 * instances are short-lived (kong-pdk drops them after 60 s idle, Kong replaces them on config
 * change); the store and its Redis connection must outlive them.
 */
import { ConfigScoped, configKey, pluginIdOf, pluginSettings } from '../shared/config-key';
import { HeldClaims } from '../shared/held-claims';
import { openStore, type Store } from '../shared/store';
import { compileConfig, withDefaults, type CompiledConfig } from './config';
import { Name } from './meta';

export interface Runtime {
  config?: CompiledConfig;
  store?: Store;
  /** Why the config cannot be used (then every request it applies to gets a 500). */
  errors: string[];
}

/** Per (config, plugin instance): instances on several routes with one config get a store each. */
const runtimes = new ConfigScoped<Runtime>(128);

export function runtimeFor(rawConfig: unknown): Runtime {
  const settings = pluginSettings(withDefaults(rawConfig));
  const settingsKey = configKey(settings);
  const partition = storePartition(rawConfig, settingsKey);
  return runtimes.get(`${settingsKey}:${partition}`, () => {
    const compiled = compileConfig(settings);
    if (!compiled.ok) return { errors: compiled.errors };
    // The instance is the memory partition: one route's requests can only evict its own records.
    return { config: compiled.config, store: openStore(Name, compiled.config.store, partition), errors: [] };
  });
}

/**
 * Whose records a memory store holds: the plugin id Kong sends with every config (an instance
 * keeps its records across edits of its config that keep the memory bounds), else the config's hash.
 */
export function storePartition(rawConfig: unknown, settingsKey: string): string {
  return pluginIdOf(rawConfig) ?? settingsKey;
}

/** Claims held by this process for requests still running (shared/held-claims.ts). */
export const heldClaims = new HeldClaims();
