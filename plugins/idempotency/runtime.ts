/**
 * Module-scope state of idempotency, per config: the compiled config and its store. Plugin
 * instances are short-lived (kong-pdk drops them after 60 s idle, Kong replaces them on config
 * change); the store and its Redis connection must outlive them.
 */
import { ConfigScoped, configKey, pluginSettings } from '../shared/config-key';
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

const runtimes = new ConfigScoped<Runtime>(128);

export function runtimeFor(rawConfig: unknown): Runtime {
  const settings = pluginSettings(withDefaults(rawConfig));
  return runtimes.get(configKey(settings), () => {
    const compiled = compileConfig(settings);
    if (!compiled.ok) return { errors: compiled.errors };
    return { config: compiled.config, store: openStore(Name, compiled.config.store), errors: [] };
  });
}

/** Claims held by this process for requests still running (shared/held-claims.ts). */
export const heldClaims = new HeldClaims();
