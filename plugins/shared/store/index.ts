/**
 * The shared store (see types.ts for the contract). `openStore` is cheap and idempotent: stores
 * live at module scope, memory stores per (namespace, bounds), Redis connections per connection
 * config, so plugin instances that come and go keep their state and connections.
 */
import { configKey } from '../config-key';
import { MemoryStore } from './memory';
import { closeAllRedis } from './redis-connection';
import { RedisStore } from './redis';
import type { Store, StoreConfig } from './types';
import { onShutdown } from '../lifecycle';

export * from './types';
export { storeSchemaFields, storeConfigFrom, redisStoreConfig, REDIS_FIELDS } from './schema';
export { MemoryStore } from './memory';

/**
 * Stores by (namespace, config), held weakly: the runtimes of the configs in use hold their store
 * (runtimes are kept per config, a bounded number of them), so a store lives exactly as long as
 * some config still uses it, and the stores of configs long gone (with their entries) are freed.
 */
const stores = new Map<string, WeakRef<Store>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (stores.get(key)?.deref() === undefined) stores.delete(key);
});

/**
 * The store of `namespace` (a plugin name: keys are kept apart per namespace) for `config`.
 * Equal arguments give the same store; Redis stores of equal connection configs share one
 * connection.
 */
export function openStore(namespace: string, config: StoreConfig): Store {
  if (namespace === '' || namespace.includes(':')) throw new TypeError('store namespace must be non-empty and without ":"');
  const key = configKey({ namespace, config });
  let store = stores.get(key)?.deref();
  if (!store) {
    store = config.strategy === 'memory' ? new MemoryStore(config.memory) : new RedisStore(namespace, config.redis);
    stores.set(key, new WeakRef(store));
    forget.register(store, key);
  }
  return store;
}

/** Closes every Redis connection and drops every store (clean shutdown, tests). */
export async function closeAllStores(): Promise<void> {
  for (const ref of stores.values()) {
    const store = ref.deref();
    if (store instanceof MemoryStore) store.clear();
  }
  stores.clear();
  await closeAllRedis();
}

// The plugin server runs this on SIGTERM, after the events in flight have finished.
onShutdown(closeAllStores);
