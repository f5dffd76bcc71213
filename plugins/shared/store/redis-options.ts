/**
 * From Kong's Redis config shape to ioredis options (pure, so the mapping is testable without a
 * server). Three topologies: a single server (`host`), Sentinel (`sentinel_master` +
 * `sentinel_nodes`) and Cluster (`cluster_nodes`).
 *
 * Bounded waiting is set here: connect and command timeouts are the config's `timeout`;
 * `maxRetriesPerRequest: 0` flushes queued commands at the first failed reconnect instead of
 * holding them for 20 attempts; `autoResendUnfulfilledCommands: false` never replays a command
 * whose reply was lost (a replayed SET NX would find our own claim and report it as someone
 * else's). redis-connection.ts adds a hard deadline on top.
 */
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import { GuardedSentinelConnector, GuardedStandaloneConnector } from './redis-connectors';
import type { RedisStoreConfig } from './types';

export type RedisTopology =
  | { kind: 'single'; options: RedisOptions }
  | { kind: 'sentinel'; options: RedisOptions }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; options: ClusterOptions };

/** Reconnect delay: fast at first, at most 2 s, forever (a store outage must heal by itself). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * attempt, 2000);
}

function tlsOptions(config: RedisStoreConfig): ConnectionOptions | undefined {
  if (!config.ssl) return undefined;
  const tls: ConnectionOptions = { rejectUnauthorized: config.ssl_verify };
  if (config.server_name) tls.servername = config.server_name;
  return tls;
}

function baseOptions(config: RedisStoreConfig): RedisOptions {
  const options: RedisOptions = {
    connectTimeout: config.timeout,
    commandTimeout: config.timeout,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: true,
    enableReadyCheck: true,
    retryStrategy: reconnectDelayMs,
    // The store is shared by every request of the node: one connection, never a subscriber.
    lazyConnect: false,
    // A socket that errs twice must not end the process (redis-connectors.ts).
    Connector: GuardedStandaloneConnector,
  };
  if (config.username) options.username = config.username;
  if (config.password) options.password = config.password;
  const tls = tlsOptions(config);
  if (tls) options.tls = tls;
  return options;
}

/** Which topology a config asks for; `errors` when it is ambiguous or incomplete. */
export function redisTopology(config: RedisStoreConfig): { ok: true; topology: RedisTopology } | { ok: false; errors: string[] } {
  const cluster = config.cluster_nodes ?? [];
  const sentinels = config.sentinel_nodes ?? [];
  const modes = [config.host ? 'host' : '', config.sentinel_master || sentinels.length > 0 ? 'sentinel' : '', cluster.length > 0 ? 'cluster' : ''].filter(Boolean);
  if (modes.length === 0) return { ok: false, errors: ['redis: set host, sentinel_master with sentinel_nodes, or cluster_nodes'] };
  if (modes.length > 1) return { ok: false, errors: [`redis: ${modes.join(', ')} are exclusive: set only one of them`] };

  if (modes[0] === 'cluster') {
    if (config.database !== 0) return { ok: false, errors: ['redis: Redis Cluster has only database 0'] };
    const redisOptions = baseOptions(config);
    return {
      ok: true,
      topology: {
        kind: 'cluster',
        nodes: cluster.map((n) => ({ host: n.ip, port: n.port })),
        options: {
          redisOptions,
          enableOfflineQueue: true,
          enableReadyCheck: true,
          maxRedirections: config.cluster_max_redirections,
          slotsRefreshTimeout: config.timeout,
          clusterRetryStrategy: (times: number) => reconnectDelayMs(times),
          // A CLUSTERDOWN reply fails the command instead of re-sending it 100 ms later, again
          // and again up to cluster_max_redirections: ioredis re-sends it even after the
          // command timed out, so a claim the store gave up on (and released) could still run
          // after that release and hold the key for lock_ttl under a token nobody has.
          retryDelayOnClusterDown: 0,
        },
      },
    };
  }

  const options = baseOptions(config);
  options.db = config.database;
  if (modes[0] === 'sentinel') {
    const errors: string[] = [];
    if (!config.sentinel_master) errors.push('redis: sentinel_master is required with sentinel_nodes');
    if (sentinels.length === 0) errors.push('redis: sentinel_nodes is required with sentinel_master');
    if (config.sentinel_role !== 'master') errors.push('redis: sentinel_role must be master (the store writes)');
    if (errors.length > 0) return { ok: false, errors };
    options.sentinels = sentinels.map((n) => ({ host: n.host, port: n.port }));
    options.Connector = GuardedSentinelConnector;
    options.name = config.sentinel_master as string;
    options.role = 'master';
    if (config.sentinel_username) options.sentinelUsername = config.sentinel_username;
    if (config.sentinel_password) options.sentinelPassword = config.sentinel_password;
    options.sentinelCommandTimeout = config.timeout;
    options.sentinelRetryStrategy = reconnectDelayMs;
    // Leave the old master as soon as the Sentinels announce a new one (+switch-master), instead
    // of when they demote it, up to 10 s later: until then it still takes our claims and then
    // drops them, while other Kong nodes claim the same keys on the new master.
    options.failoverDetector = true;
    options.sentinelReconnectStrategy = reconnectDelayMs;
    if (options.tls) {
      options.enableTLSForSentinelMode = true;
      options.sentinelTLS = options.tls;
    }
    return { ok: true, topology: { kind: 'sentinel', options } };
  }

  options.host = config.host as string;
  options.port = config.port;
  return { ok: true, topology: { kind: 'single', options } };
}
