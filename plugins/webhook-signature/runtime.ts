/**
 * Module-scope state of webhook-signature, per (config, dedup namespace): the compiled config
 * (secrets decoded into keys once) and the namespace's de-duplication store. Plugin instances are short-lived (kong-pdk drops them
 * after 60 s idle, Kong replaces them on config change); stores live in plugins/shared/store at
 * module scope too, so a new instance finds the same memory store and Redis connection.
 */
import { ConfigScoped, configKey, pluginIdOf, pluginSettings } from '../shared/config-key';
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
  /** With dedup enabled: this namespace's store (in memory, its own bounds). */
  store?: Store;
  /** Store namespace of this instance's event ids (dedupNamespace). */
  namespace: string;
}

/** Per (config, namespace): instances on several routes with one config still get a store each. */
const runtimes = new ConfigScoped<Runtime>(128);

export function runtimeFor(rawConfig: unknown): Runtime {
  const settings = pluginSettings(withDefaults(rawConfig));
  const settingsKey = configKey(settings);
  const namespace = dedupNamespace(rawConfig, settings, settingsKey);
  return runtimes.get(`${settingsKey}:${namespace}`, () => {
    const compiled = compileConfig(settings);
    if (!compiled.ok) return { errors: compiled.errors, namespace };
    const runtime: Runtime = { config: compiled.config, errors: [], namespace };
    // The namespace is the memory partition: one route's deliveries can only evict its own ids.
    if (compiled.config.dedup) runtime.store = openStore(Name, compiled.config.dedup.store, namespace);
    return runtime;
  });
}

/**
 * Where this instance's event ids live in the store: the configured namespace, else the plugin id
 * Kong sends with every config (the same on every node of a cluster), else the config's hash.
 */
export function dedupNamespace(rawConfig: unknown, settings: Record<string, unknown>, settingsKey: string): string {
  const dedup = settings.dedup;
  const configured = typeof dedup === 'object' && dedup !== null ? (dedup as Record<string, unknown>).namespace : undefined;
  if (typeof configured === 'string' && configured !== '') return configured;
  return pluginIdOf(rawConfig) ?? settingsKey;
}
