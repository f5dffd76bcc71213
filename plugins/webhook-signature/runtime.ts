/**
 * Module-scope state of webhook-signature, per config: the compiled config (secrets decoded into
 * keys once) and the de-duplication store. Plugin instances are short-lived (kong-pdk drops them
 * after 60 s idle, Kong replaces them on config change); stores live in plugins/shared/store at
 * module scope too, so a new instance finds the same memory store and Redis connection.
 */
import { ConfigScoped, configKey, pluginSettings } from '../shared/config-key';
import { openStore, type Store } from '../shared/store';
import { compileConfig, withDefaults, type CompiledConfig } from './config';
import { Name } from './meta';
import { HeldClaims } from '../shared/held-claims';

/** De-duplication claims held by this process for deliveries still running (shared/held-claims.ts). */
export const heldClaims = new HeldClaims();

export interface Runtime {
  config?: CompiledConfig;
  /** Why the config cannot be used (then every request gets a 500). */
  errors: string[];
  /** With dedup enabled. */
  store?: Store;
}

const runtimes = new ConfigScoped<Runtime>(128);

export function runtimeFor(rawConfig: unknown): Runtime {
  const settings = pluginSettings(withDefaults(rawConfig));
  return runtimes.get(configKey(settings), () => {
    const compiled = compileConfig(settings);
    if (!compiled.ok) return { errors: compiled.errors };
    const runtime: Runtime = { config: compiled.config, errors: [] };
    if (compiled.config.dedup) runtime.store = openStore(Name, compiled.config.dedup.store);
    return runtime;
  });
}

/**
 * Where this instance's event ids live in the store: the configured namespace, else the plugin id
 * Kong sends with every config (the same on every node of a cluster), else the config's hash.
 */
export function dedupNamespace(rawConfig: unknown, config: CompiledConfig): string {
  if (config.dedup?.namespace) return config.dedup.namespace;
  const raw = typeof rawConfig === 'object' && rawConfig !== null ? (rawConfig as Record<string, unknown>) : {};
  if (typeof raw.__plugin_id === 'string' && raw.__plugin_id !== '') return raw.__plugin_id;
  return configKey(pluginSettings(withDefaults(rawConfig)));
}
