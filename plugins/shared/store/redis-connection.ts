/**
 * Redis connections at module scope, one per connection config (configKey of the redis record):
 * plugin instances come and go (kong-pdk drops them after 60 s idle, Kong replaces them on every
 * config change) but their connection stays. Connections nobody used for IDLE_CLOSE_MS are closed
 * (an edited password leaves the old one behind); `closeAllRedis` closes them all.
 *
 * Every command runs under a hard deadline (`timeout`) and fails fast while the connection is
 * known to be down (reconnecting): a request never waits on an absent Redis for longer than the
 * configured timeout, and usually not at all.
 */
import Redis, { Cluster } from 'ioredis';
import { configKey } from '../config-key';
import { redisTopology } from './redis-options';
import { CLAIM_SCRIPT, COMPLETE_SCRIPT, READ_SCRIPT, RELEASE_SCRIPT } from './redis-scripts';
import { StoreUnavailableError, type RedisStoreConfig } from './types';

export const IDLE_CLOSE_MS = 10 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;

type ScriptReply = number | [Buffer | null, number];

/** The commands defineCommand adds (their `…Buffer` variants answer Buffers, not strings). */
export interface StoreCommands {
  storeClaimBuffer(key: string, value: Buffer, ttlMs: number): Promise<ScriptReply>;
  storeCompleteBuffer(key: string, owner: Buffer, value: Buffer, ttlMs: number): Promise<number>;
  storeReleaseBuffer(key: string, owner: Buffer): Promise<number>;
  storeReadBuffer(key: string): Promise<[Buffer | null, number]>;
}

type Client = (Redis | Cluster) & StoreCommands;

/** Statuses in which ioredis already knows the server is unreachable (or the client is closed). */
const DOWN = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

function defineScripts(client: Redis | Cluster): Client {
  client.defineCommand('storeClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  client.defineCommand('storeComplete', { numberOfKeys: 1, lua: COMPLETE_SCRIPT });
  client.defineCommand('storeRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  client.defineCommand('storeRead', { numberOfKeys: 1, lua: READ_SCRIPT });
  return client as Client;
}

export class RedisConnection {
  readonly client: Client;
  readonly timeoutMs: number;
  lastUsed = Date.now();
  /** The last connection error ioredis reported, for the message of the next failure. */
  lastError: string | undefined;

  constructor(config: RedisStoreConfig) {
    const topology = redisTopology(config);
    if (!topology.ok) throw new TypeError(topology.errors.join('; '));
    const t = topology.topology;
    const raw = t.kind === 'cluster' ? new Cluster(t.nodes, t.options) : new Redis(t.options);
    // Without a listener ioredis prints every connection error to stderr; keep the last one instead.
    raw.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    raw.on('ready', () => {
      this.lastError = undefined;
    });
    this.client = defineScripts(raw);
    this.timeoutMs = config.timeout;
  }

  get status(): string {
    return this.client.status;
  }

  /** Runs one store command under the deadline; every failure becomes StoreUnavailableError. */
  async run<T>(what: string, command: (client: Client) => Promise<T>): Promise<T> {
    this.lastUsed = Date.now();
    const status = this.client.status;
    if (DOWN.has(status)) {
      throw new StoreUnavailableError(`redis ${what}: connection ${status}${this.lastError ? ` (${this.lastError})` : ''}`, 'redis');
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // A Sentinel or Cluster connection that cannot get through (a refused certificate, no
      // Sentinel reachable) stays "connecting" and holds the command: the deadline is what ends
      // it, and the last connection error is the only cause there is to report.
      timer = setTimeout(() => {
        const cause = this.lastError ? ` (connection: ${this.lastError})` : '';
        reject(new StoreUnavailableError(`redis ${what}: no answer within ${this.timeoutMs} ms${cause}`, 'redis'));
      }, this.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([command(this.client), deadline]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      this.afterRedirectionLimit(error);
      throw new StoreUnavailableError(`redis ${what}: ${this.describe(error)}`, 'redis', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A Cluster command given up on at cluster_max_redirections has not updated the slot map
   * (ioredis updates it only when it follows a MOVED, and never on a timer): without a refresh,
   * every later command for the moved slots would go to the old node and fail the same way, for
   * as long as the connection lives (with cluster_max_redirections 0, after any resharding).
   */
  private afterRedirectionLimit(error: unknown): void {
    if (this.client instanceof Cluster && error instanceof Error && error.message.startsWith('Too many Cluster redirections')) {
      this.client.refreshSlotsCache();
    }
  }

  /**
   * The message of a failed command. A connection that fails before it is ready (a refused TLS
   * certificate, a reset) rejects its queued commands with ioredis's MaxRetriesPerRequestError,
   * "Reached the max retries per request limit (which is 0)", which says nothing of why: the
   * connection error just reported does.
   */
  private describe(error: unknown): string {
    if (error instanceof Error && error.name === 'MaxRetriesPerRequestError') {
      return `connection failed${this.lastError ? ` (${this.lastError})` : ''}`;
    }
    return error instanceof Error ? error.message : String(error);
  }

  /** QUIT, or a hard disconnect when QUIT gets no answer in time. */
  async close(): Promise<void> {
    const client = this.client;
    if (client.status === 'end') return;
    try {
      if (client.status === 'ready') {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          client.quit(),
          new Promise((resolve) => {
            timer = setTimeout(resolve, this.timeoutMs);
            timer.unref();
          }),
        ]);
        clearTimeout(timer);
      }
    } catch {
      // Closing is best effort; disconnect below in any case.
    }
    client.disconnect();
  }
}

const connections = new Map<string, RedisConnection>();
let lastSweep = Date.now();

function sweepIdle(now: number): void {
  if (now - lastSweep < SWEEP_EVERY_MS) return;
  lastSweep = now;
  for (const [key, connection] of connections) {
    if (now - connection.lastUsed > IDLE_CLOSE_MS) {
      connections.delete(key);
      void connection.close();
    }
  }
}

/** The shared connection for `config` (created on first use). */
export function redisConnection(config: RedisStoreConfig, key = configKey(config)): RedisConnection {
  const now = Date.now();
  sweepIdle(now);
  let connection = connections.get(key);
  if (!connection || connection.status === 'end') {
    connection = new RedisConnection(config);
    connections.set(key, connection);
  }
  return connection;
}

export function openRedisConnections(): number {
  return connections.size;
}

export async function closeAllRedis(): Promise<void> {
  const all = [...connections.values()];
  connections.clear();
  await Promise.all(all.map((c) => c.close()));
}
