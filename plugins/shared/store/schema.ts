/**
 * The store's part of a plugin's config, in Kong's schema format, and its reading into a
 * StoreConfig. Plugins spread `storeSchemaFields(...)` into their Schema and call
 * `storeConfigFrom(settings)` once per config:
 *
 *   strategy: memory | redis            (default memory)
 *   memory:   { max_entries, max_bytes }
 *   redis:    Kong's shared Redis record (kong/tools/redis/schema.lua: host, port, timeout,
 *             username, password, database, ssl, ssl_verify, server_name) plus the Sentinel and
 *             Cluster fields of Kong Enterprise's redis-ee (sentinel_master, sentinel_role,
 *             sentinel_nodes, sentinel_username, sentinel_password, cluster_nodes,
 *             cluster_max_redirections).
 */
import type { KongFieldList } from '../kong-schema';
import { applySchemaDefaults } from '../schema-defaults';
import { redisTopology } from './redis-options';
import type { MemoryStoreOptions, RedisStoreConfig, StoreConfig } from './types';

const MAX_INT32 = 2147483646;

export const REDIS_FIELDS: KongFieldList = [
  { host: { type: 'string', default: null, description: 'Redis host (single server).' } },
  { port: { type: 'integer', between: [0, 65535], default: 6379, description: 'Redis port.' } },
  {
    timeout: {
      type: 'integer',
      between: [1, MAX_INT32],
      default: 2000,
      description: 'Connect and command timeout in milliseconds; no store call waits longer.',
    },
  },
  { username: { type: 'string', default: null, referenceable: true, description: 'Redis ACL username (Redis >= 6).' } },
  {
    password: {
      type: 'string',
      default: null,
      referenceable: true,
      encrypted: true,
      description: 'Redis password (or ACL password with `username`).',
    },
  },
  { database: { type: 'integer', default: 0, between: [0, 1000], description: 'Redis database number.' } },
  { ssl: { type: 'boolean', default: false, description: 'Connect over TLS.' } },
  { ssl_verify: { type: 'boolean', default: false, description: "Verify the server's TLS certificate." } },
  { server_name: { type: 'string', default: null, description: 'TLS SNI server name.' } },
  { sentinel_master: { type: 'string', default: null, description: 'Sentinel: name of the monitored master.' } },
  {
    sentinel_role: {
      type: 'string',
      one_of: ['master'],
      default: 'master',
      description: 'Sentinel: role to connect to. Only `master`: the store writes.',
    },
  },
  {
    sentinel_nodes: {
      type: 'array',
      default: null,
      description: 'Sentinel: the sentinels to ask for the master.',
      elements: {
        type: 'record',
        fields: [
          { host: { type: 'string', required: true, description: 'Sentinel host.' } },
          { port: { type: 'integer', between: [0, 65535], default: 26379, description: 'Sentinel port.' } },
        ],
      },
    },
  },
  { sentinel_username: { type: 'string', default: null, referenceable: true, description: 'Sentinel ACL username.' } },
  {
    sentinel_password: {
      type: 'string',
      default: null,
      referenceable: true,
      encrypted: true,
      description: 'Sentinel password.',
    },
  },
  {
    cluster_nodes: {
      type: 'array',
      default: null,
      description: 'Redis Cluster: seed nodes.',
      elements: {
        type: 'record',
        fields: [
          { ip: { type: 'string', required: true, description: 'Cluster node host or IP.' } },
          { port: { type: 'integer', between: [0, 65535], default: 6379, description: 'Cluster node port.' } },
        ],
      },
    },
  },
  {
    cluster_max_redirections: {
      type: 'integer',
      between: [0, 100],
      default: 5,
      description: 'Redis Cluster: most MOVED/ASK redirections followed per command.',
    },
  },
];

/** `strategy`, `memory` and `redis` fields, with the memory bounds a plugin finds sensible. */
export function storeSchemaFields(memoryDefaults: MemoryStoreOptions): KongFieldList {
  return [
    {
      strategy: {
        type: 'string',
        one_of: ['memory', 'redis'],
        default: 'memory',
        description:
          'Where state is kept: `memory` (the plugin server process: one Kong node) or `redis` (shared by every node).',
      },
    },
    {
      memory: {
        type: 'record',
        description: "Bounds of this plugin instance's in-memory store, which no other instance shares (least recently used entries are evicted beyond them).",
        fields: [
          {
            max_entries: {
              type: 'integer',
              between: [1, 100000000],
              default: memoryDefaults.maxEntries,
              description: 'Most entries kept in memory.',
            },
          },
          {
            max_bytes: {
              type: 'integer',
              between: [1024, MAX_INT32],
              default: memoryDefaults.maxBytes,
              description: 'Most bytes (keys and values) kept in memory.',
            },
          },
        ],
      },
    },
    { redis: { type: 'record', description: 'Redis connection (with `strategy: redis`).', fields: REDIS_FIELDS } },
  ];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The redis record (defaults applied) as a RedisStoreConfig. */
export function redisStoreConfig(raw: unknown): RedisStoreConfig {
  const r = applySchemaDefaults(REDIS_FIELDS, record(raw));
  const nodes = <T>(v: unknown, map: (n: Record<string, unknown>) => T): T[] | null =>
    Array.isArray(v) ? v.map((n) => map(record(n))) : null;
  return {
    host: str(r.host),
    port: Number(r.port),
    username: str(r.username),
    password: str(r.password),
    database: Number(r.database),
    ssl: r.ssl === true,
    ssl_verify: r.ssl_verify === true,
    server_name: str(r.server_name),
    timeout: Number(r.timeout),
    sentinel_master: str(r.sentinel_master),
    sentinel_role: 'master',
    sentinel_nodes: nodes(r.sentinel_nodes, (n) => ({ host: String(n.host ?? ''), port: Number(n.port ?? 26379) })),
    sentinel_username: str(r.sentinel_username),
    sentinel_password: str(r.sentinel_password),
    cluster_nodes: nodes(r.cluster_nodes, (n) => ({ ip: String(n.ip ?? ''), port: Number(n.port ?? 6379) })),
    cluster_max_redirections: Number(r.cluster_max_redirections),
  };
}

/** `strategy`/`memory`/`redis` of a plugin config as a StoreConfig, or what is wrong with them. */
export function storeConfigFrom(
  settings: Record<string, unknown>,
  memoryDefaults: MemoryStoreOptions,
): { ok: true; config: StoreConfig } | { ok: false; errors: string[] } {
  const strategy = settings.strategy ?? 'memory';
  if (strategy === 'memory') {
    const m = record(settings.memory);
    const maxEntries = Number(m.max_entries ?? memoryDefaults.maxEntries);
    const maxBytes = Number(m.max_bytes ?? memoryDefaults.maxBytes);
    const errors: string[] = [];
    if (!Number.isInteger(maxEntries) || maxEntries < 1) errors.push('memory.max_entries: must be an integer >= 1');
    if (!Number.isInteger(maxBytes) || maxBytes < 1024) errors.push('memory.max_bytes: must be an integer >= 1024');
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, config: { strategy: 'memory', memory: { maxEntries, maxBytes } } };
  }
  if (strategy === 'redis') {
    const redis = redisStoreConfig(settings.redis);
    const errors: string[] = [];
    const rawRole = record(settings.redis).sentinel_role;
    if (rawRole !== undefined && rawRole !== null && rawRole !== 'master') errors.push('redis: sentinel_role must be master (the store writes)');
    if (!Number.isInteger(redis.timeout) || redis.timeout < 1) errors.push('redis.timeout: must be an integer >= 1');
    const topology = redisTopology(redis);
    if (!topology.ok) errors.push(...topology.errors);
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, config: { strategy: 'redis', redis } };
  }
  return { ok: false, errors: [`strategy: "${String(strategy)}" is not memory or redis`] };
}
