/** Kong's Redis config shape to ioredis options: the three topologies, TLS, bounded waiting, and what is refused. */
import { describe, expect, it } from 'vitest';
import { redisStoreConfig, storeConfigFrom } from '../../../plugins/shared/store';
import { reconnectDelayMs, redisTopology } from '../../../plugins/shared/store/redis-options';
import { decodeEntry } from '../../../plugins/shared/store/redis';

const MEMORY = { maxEntries: 10, maxBytes: 4096 };

describe('redis config', () => {
  it("fills Kong's defaults", () => {
    expect(redisStoreConfig({ host: 'redis' })).toEqual({
      host: 'redis',
      port: 6379,
      username: null,
      password: null,
      database: 0,
      ssl: false,
      ssl_verify: false,
      server_name: null,
      timeout: 2000,
      sentinel_master: null,
      sentinel_role: 'master',
      sentinel_nodes: null,
      sentinel_username: null,
      sentinel_password: null,
      cluster_nodes: null,
      cluster_max_redirections: 5,
    });
  });

  it('maps a single server with ACL, database and TLS, with bounded waiting', () => {
    const t = redisTopology(redisStoreConfig({ host: 'r', port: 6380, username: 'u', password: 'p', database: 3, ssl: true, ssl_verify: true, server_name: 'r.example', timeout: 750 }));
    if (!t.ok || t.topology.kind !== 'single') throw new Error('expected a single-server topology');
    expect(t.topology.options).toMatchObject({
      host: 'r',
      port: 6380,
      username: 'u',
      password: 'p',
      db: 3,
      tls: { rejectUnauthorized: true, servername: 'r.example' },
      connectTimeout: 750,
      commandTimeout: 750,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
  });

  it('maps Sentinel', () => {
    const t = redisTopology(
      redisStoreConfig({ sentinel_master: 'mymaster', sentinel_nodes: [{ host: 's1', port: 26379 }, { host: 's2' }], sentinel_password: 'sp', password: 'p' }),
    );
    if (!t.ok || t.topology.kind !== 'sentinel') throw new Error('expected a sentinel topology');
    expect(t.topology.options).toMatchObject({
      name: 'mymaster',
      role: 'master',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
      sentinelPassword: 'sp',
      password: 'p',
      failoverDetector: true,
    });
  });

  it('maps Cluster', () => {
    const t = redisTopology(redisStoreConfig({ cluster_nodes: [{ ip: '10.0.0.1', port: 7000 }, { ip: '10.0.0.2' }], cluster_max_redirections: 3, password: 'p' }));
    if (!t.ok || t.topology.kind !== 'cluster') throw new Error('expected a cluster topology');
    expect(t.topology.nodes).toEqual([{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 6379 }]);
    expect(t.topology.options).toMatchObject({ maxRedirections: 3, retryDelayOnClusterDown: 0, redisOptions: { password: 'p', commandTimeout: 2000 } });
  });

  it.each([
    [{}, 'redis: set host, sentinel_master with sentinel_nodes, or cluster_nodes'],
    [{ host: 'h', sentinel_master: 'm', sentinel_nodes: [{ host: 's' }] }, 'redis: host, sentinel are exclusive: set only one of them'],
    [{ sentinel_master: 'm' }, 'redis: sentinel_nodes is required with sentinel_master'],
    [{ cluster_nodes: [{ ip: 'a' }], database: 1 }, 'redis: Redis Cluster has only database 0'],
    [{ host: 'h', sentinel_role: 'slave' }, 'redis: sentinel_role must be master (the store writes)'],
  ])('refuses %j', (redis, message) => {
    const r = storeConfigFrom({ strategy: 'redis', redis }, MEMORY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContain(message);
  });

  it('defaults to memory with the plugin bounds', () => {
    expect(storeConfigFrom({}, MEMORY)).toEqual({ ok: true, config: { strategy: 'memory', memory: MEMORY } });
    expect(storeConfigFrom({ strategy: 'memory', memory: { max_entries: 5, max_bytes: 2048 } }, MEMORY)).toEqual({
      ok: true,
      config: { strategy: 'memory', memory: { maxEntries: 5, maxBytes: 2048 } },
    });
  });

  it('reconnects quickly at first, then every 2 s at most, forever', () => {
    expect([1, 2, 10, 20, 1000].map(reconnectDelayMs)).toEqual([100, 200, 1000, 2000, 2000]);
  });
});

describe('stored value decoding', () => {
  it('reads claims, completed values and foreign data', () => {
    const token = 'a'.repeat(32);
    expect(decodeEntry(Buffer.concat([Buffer.from([1]), Buffer.from(token), Buffer.from('fp')]), 900)).toEqual({ state: 'claimed', info: Buffer.from('fp'), ttlMs: 900 });
    expect(decodeEntry(Buffer.from([2, 7, 8]), 5)).toEqual({ state: 'completed', value: Buffer.from([7, 8]), ttlMs: 5 });
    expect(decodeEntry(Buffer.from('someone else'), -1)).toEqual({ state: 'claimed', info: Buffer.alloc(0), ttlMs: -1 });
    expect(decodeEntry(null, -2)).toBeUndefined();
  });
});
