/**
 * Plugin instances: one per StartInstance (Kong starts one per plugin configuration and
 * `__seq__`), ids from 0 upwards as kong-pdk gives them. kong-pdk drops an instance idle for
 * 60 s by scanning every instance every 60 ms; here an expired instance is dropped when it is
 * next looked up (so expiry is exact without a timer) and a coarse sweep (every few seconds)
 * drops the ones never looked up again. Kong restarts a dropped instance: it matches the
 * "no plugin instance" error and retries.
 */
import type { LoadedPlugin, PluginObject } from './plugin-loader';
import type { Logger } from './logger';
import { randomIdBase } from './id-base';

export class PluginInstance {
  /** ms since the epoch; 0 = never used (expiry then counts from the start, as in kong-pdk). */
  lastUsedMs = 0;

  constructor(
    readonly id: number,
    readonly plugin: LoadedPlugin,
    readonly config: unknown,
    readonly object: PluginObject,
    readonly startMs: number,
  ) {}

  /** Seconds since the epoch, fractional (kong-pdk's StartTime). */
  get startTime(): number {
    return this.startMs / 1000;
  }

  /** lib/mod.js isExpired: neither started nor used within the last `ttlMs`. */
  expired(nowMs: number, ttlMs: number): boolean {
    const until = nowMs - ttlMs;
    return this.startMs < until && this.lastUsedMs < until;
  }

  /** server.js InstanceStatus. */
  status(): { Name: string; Id: number; Config: unknown; StartTime: number } {
    return { Name: this.plugin.name, Id: this.id, Config: this.config, StartTime: this.startTime };
  }
}

export interface InstanceTableOptions {
  ttlMs: number;
  /** Beyond this many, the least recently used instance is dropped to make room. */
  maxInstances: number;
  log: Logger;
  now?: () => number;
}

export class InstanceTable {
  private readonly instances = new Map<number, PluginInstance>();
  private nextId = randomIdBase();
  private readonly now: () => number;

  constructor(private readonly options: InstanceTableOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.instances.size;
  }

  values(): IterableIterator<PluginInstance> {
    return this.instances.values();
  }

  /** StartInstance: a new id even for an equal config; the plugin's constructor may throw. */
  start(plugin: LoadedPlugin, config: unknown): PluginInstance {
    const id = this.nextId++;
    const now = this.now();
    if (this.instances.size >= this.options.maxInstances) this.makeRoom(now);
    const object = new plugin.cls(config);
    const instance = new PluginInstance(id, plugin, config, object, now);
    this.instances.set(id, instance);
    plugin.lastStartInstance = now / 1000;
    return instance;
  }

  /** The live instance `id`, or undefined (unknown, closed or expired — then dropped now). */
  get(id: unknown): PluginInstance | undefined {
    const instance = this.instances.get(id as number);
    if (instance === undefined) return undefined;
    if (instance.expired(this.now(), this.options.ttlMs)) {
      this.drop(instance, 'expired');
      return undefined;
    }
    return instance;
  }

  /** Marks `instance` used now (HandleEvent). */
  touch(instance: PluginInstance): void {
    instance.lastUsedMs = this.now();
  }

  /** CloseInstance: removes and returns the instance, or undefined. */
  close(id: unknown): PluginInstance | undefined {
    const instance = this.get(id);
    if (instance === undefined) return undefined;
    this.instances.delete(instance.id);
    instance.plugin.lastCloseInstance = this.now() / 1000;
    return instance;
  }

  /** Drops every expired instance; returns how many. */
  sweep(): number {
    const now = this.now();
    let dropped = 0;
    for (const instance of this.instances.values()) {
      if (instance.expired(now, this.options.ttlMs)) {
        this.drop(instance, 'expired');
        dropped++;
      }
    }
    return dropped;
  }

  private drop(instance: PluginInstance, why: string): void {
    this.instances.delete(instance.id);
    this.options.log.debug(`instance #${instance.id} of ${instance.plugin.name} dropped (${why})`);
  }

  private makeRoom(now: number): void {
    if (this.sweep() > 0 && this.instances.size < this.options.maxInstances) return;
    let oldest: PluginInstance | undefined;
    for (const instance of this.instances.values()) {
      if (oldest === undefined || Math.max(instance.lastUsedMs, instance.startMs) < Math.max(oldest.lastUsedMs, oldest.startMs)) oldest = instance;
    }
    if (oldest === undefined) return;
    this.options.log.warn(`${this.options.maxInstances} plugin instances: dropping the least recently used, #${oldest.id} of ${oldest.plugin.name} (started ${Math.round((now - oldest.startMs) / 1000)} s ago)`);
    this.drop(oldest, 'instance table full');
  }
}
