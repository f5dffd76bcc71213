/**
 * The shared store (see types.ts for the contract). `openStore` is cheap and idempotent: stores
 * live at module scope, memory stores per (namespace, bounds, partition), Redis connections per
 * connection config, so plugin instances that come and go keep their state and connections.
 */
import { configKey } from '../config-key';
import { MemoryStore } from './memory';
import { closeAllRedis } from './redis-connection';
import { RedisStore } from './redis';
import type { MemoryStoreOptions, Store, StoreConfig } from './types';
import { onShutdown } from '../lifecycle';

export * from './types';
export { storeSchemaFields, storeConfigFrom, redisStoreConfig, REDIS_FIELDS } from './schema';
export { MemoryStore } from './memory';

/**
 * Memory stores of one (namespace, bounds), one per partition, each with the whole bounds: a
 * partition is a plugin instance (or a namespace instances share), so traffic on one route can
 * only evict that route's own entries, never another route's. A partition's store keeps the group
 * alive (its onPut closure), so the group lives as long as any runtime holds any of its
 * partitions, as one shared store did, and an idle route whose runtime was evicted keeps its
 * entries while others with the same bounds are in use. A partition found empty (its entries all
 * expired) is held only weakly from then on, until it is written to again: the partitions of
 * routes deleted since are freed once their entries expire, so the total stays the sum of the
 * partitions that still hold something.
 */
export class MemoryPartitions {
  private readonly kept = new Map<string, MemoryStore>();
  private readonly idle = new Map<string, WeakRef<MemoryStore>>();
  private nextSweepMs = 0;

  constructor(readonly options: MemoryStoreOptions) {}

  /** The store of `partition`: the same one for as long as anything holds it. */
  partition(partition: string): MemoryStore {
    this.maybeSweep();
    let store = this.kept.get(partition) ?? this.idle.get(partition)?.deref();
    if (!store) {
      const made: MemoryStore = new MemoryStore(this.options, () => this.keep(partition, made));
      store = made;
      this.kept.set(partition, store);
      this.idle.delete(partition);
    }
    return store;
  }

  /** Partitions held now (strongly, weakly): for tests and diagnostics. */
  get stats(): { kept: number; idle: number } {
    return { kept: this.kept.size, idle: this.idle.size };
  }

  private keep(partition: string, store: MemoryStore): void {
    if (this.kept.get(partition) !== store) {
      this.kept.set(partition, store);
      this.idle.delete(partition);
    }
    this.maybeSweep();
  }

  private maybeSweep(): void {
    const now = Date.now();
    if (now < this.nextSweepMs) return;
    this.nextSweepMs = now + SWEEP_INTERVAL_MS;
    this.sweep();
  }

  /** Expired entries dropped, empty partitions held weakly, collected ones forgotten. */
  sweep(): void {
    for (const [partition, store] of this.kept) {
      store.purgeStale();
      if (store.stats.entries === 0) {
        this.kept.delete(partition);
        this.idle.set(partition, new WeakRef(store));
      }
    }
    for (const [partition, ref] of this.idle) if (ref.deref() === undefined) this.idle.delete(partition);
  }

  clear(): void {
    for (const store of this.kept.values()) store.clear();
    this.kept.clear();
    this.idle.clear();
  }
}

/** How often, at most, a group looks for partitions that emptied (on its next open or write). */
export const SWEEP_INTERVAL_MS = 60_000;

/**
 * Redis stores and memory partition groups by (namespace, config), held weakly: the runtimes of
 * the configs in use hold their store (runtimes are kept per config, a bounded number of them), so
 * a store lives exactly as long as some config still uses it, and the stores of configs long gone
 * (with their entries) are freed.
 */
const stores = new Map<string, WeakRef<RedisStore | MemoryPartitions>>();
const forget = new FinalizationRegistry<string>((key) => {
  if (stores.get(key)?.deref() === undefined) stores.delete(key);
});

/**
 * The store of `namespace` (a plugin name: keys are kept apart per namespace) for `config`.
 * Equal arguments give the same store; Redis stores of equal connection configs share one
 * connection. `partition` (memory only): whose entries these are, normally one plugin instance;
 * each partition gets the config's whole bounds to itself. Redis keeps every entry until it
 * expires, so there the caller's key prefixes are all the separation needed.
 */
export function openStore(namespace: string, config: StoreConfig, partition = ''): Store {
  if (namespace === '' || namespace.includes(':')) throw new TypeError('store namespace must be non-empty and without ":"');
  const key = configKey({ namespace, config });
  let found = stores.get(key)?.deref();
  if (!found) {
    found = config.strategy === 'memory' ? new MemoryPartitions(config.memory) : new RedisStore(namespace, config.redis);
    stores.set(key, new WeakRef(found));
    forget.register(found, key);
  }
  return found instanceof MemoryPartitions ? found.partition(partition) : found;
}

/** Closes every Redis connection and drops every store (clean shutdown, tests). */
export async function closeAllStores(): Promise<void> {
  for (const ref of stores.values()) {
    const store = ref.deref();
    if (store instanceof MemoryPartitions) store.clear();
  }
  stores.clear();
  await closeAllRedis();
}

// The plugin server runs this on SIGTERM, after the events in flight have finished.
onShutdown(closeAllStores);
