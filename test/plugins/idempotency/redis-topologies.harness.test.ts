/**
 * Two Kong nodes (two plugin server processes, two KongSims) sharing a real Sentinel deployment
 * and a real Redis Cluster (test/support/redis-sentinel.ts, redis-cluster.ts), as
 * cluster.harness.test.ts does with a single server: a response stored through one node is
 * replayed by the other; through a Sentinel failover records survive and new keys work; while
 * the master is dead and not yet replaced, the fault modes apply and nothing hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClusterSet } from '../../support/redis-cluster';
import { RedisSentinelSet, until } from '../../support/redis-sentinel';
import { Cluster, TestUpstream, freshKey, post, problemOf, startNode, type Node } from './env';

let upstream: TestUpstream;
let sentinels: RedisSentinelSet;
let redisCluster: RedisClusterSet;
let nodeA: Node;
let nodeB: Node;
let viaSentinel: string;
let sentinelStrict: string;
let sentinelTolerant: string;
let viaCluster: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  [sentinels, redisCluster] = await Promise.all([RedisSentinelSet.start({ sentinels: 2 }), RedisClusterSet.start({ masters: 3 })]);
  const sentinelStore = { strategy: 'redis', redis: { ...sentinels.redisConfig, timeout: 500 } };
  const clusterStore = { strategy: 'redis', redis: { cluster_nodes: redisCluster.clusterNodes, timeout: 500 } };
  const cluster = new Cluster(upstream.port);
  viaSentinel = cluster.route({ name: 'sentinel', config: sentinelStore });
  sentinelStrict = cluster.route({ name: 'sentinel-strict', config: { ...sentinelStore, fault_tolerant: false, retry_after: 7 } });
  sentinelTolerant = cluster.route({ name: 'sentinel-tolerant', config: { ...sentinelStore, fault_tolerant: true } });
  viaCluster = cluster.route({ name: 'cluster', config: clusterStore });
  [nodeA, nodeB] = await Promise.all([startNode(cluster), startNode(cluster)]);
}, 120_000);
afterAll(async () => {
  await Promise.all([nodeA?.close(), nodeB?.close()]);
  await upstream?.close();
  await Promise.all([sentinels?.close(), redisCluster?.close()]);
});

/** Stored on `first`, replayed on `second`: the upstream saw it once. */
async function storedThenReplayed(route: string, first: Node, second: Node, key = freshKey()): Promise<void> {
  const original = await first.request(post(`${route}/pay/${key}`, key));
  expect(original.status, original.text()).toBe(201);
  const replay = await second.request(post(`${route}/pay/${key}`, key));
  expect(replay.status).toBe(201);
  expect(replay.headers.first('idempotent-replayed')).toBe('true');
  expect(replay.body.equals(original.body)).toBe(true);
  // The upstream sees the path without the route's prefix.
  expect(upstream.hits(`/pay/${key}`)).toBe(1);
}

describe('Sentinel, two nodes', () => {
  it('a response stored through one node is replayed by the other', async () => {
    await storedThenReplayed(viaSentinel, nodeA, nodeB);
    await storedThenReplayed(viaSentinel, nodeB, nodeA);
  });

  it('through a failover: records made before are replayed by both nodes, new keys work on both', async () => {
    const key = freshKey();
    const path = `${viaSentinel}/pay/${key}`;
    const seen = `/pay/${key}`;
    const original = await nodeA.request(post(path, key));
    expect(original.status).toBe(201);
    const old = await sentinels.master();
    expect(await old.cli(['WAIT', '1', '5000'])).toBe('1');

    const { from, to } = await sentinels.failover();
    expect(to.port).not.toBe(from.port);

    for (const node of [nodeA, nodeB]) {
      const replay = await until('the node to replay after the switch', async () => {
        const res = await node.request(post(path, key));
        return res.status === 201 ? res : undefined;
      });
      expect(replay.headers.first('idempotent-replayed')).toBe('true');
      expect(replay.body.equals(original.body)).toBe(true);
    }
    expect(upstream.hits(seen)).toBe(1);
    await storedThenReplayed(viaSentinel, nodeB, nodeA);
  });

  it('master dead, not replaced yet: 503 when not fault tolerant, proxied when fault tolerant, never a hang; then the promoted replica serves both nodes', async () => {
    await sentinels.holdFailovers();
    const old = await sentinels.master();
    await old.stop();

    const t0 = Date.now();
    const refused = await nodeA.request(post(`${sentinelStrict}/pay`, freshKey()));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(refused.status).toBe(503);
    expect(refused.headers.first('retry-after')).toBe('7');
    expect(refused.upstreamRequest).toBeUndefined();
    expect(problemOf(refused).status).toBe(503);

    const hits = upstream.hits('/pay-anyway');
    const t1 = Date.now();
    const proxied = await nodeB.request(post(`${sentinelTolerant}/pay-anyway`, freshKey()));
    expect(Date.now() - t1).toBeLessThan(3000);
    expect(proxied.status).toBe(201);
    expect(upstream.hits('/pay-anyway')).toBe(hits + 1);
    expect(proxied.kongLog.some((l) => l.level === 'warn' && /proxying WITHOUT the idempotency guarantee/.test(l.message))).toBe(true);

    const { to } = await sentinels.failover(old);
    expect(to.port).not.toBe(old.port);
    for (const node of [nodeA, nodeB]) {
      await until('the node to use the promoted master', async () => ((await node.request(post(`${sentinelStrict}/after`, freshKey()))).status === 201 ? true : undefined));
    }
    await storedThenReplayed(sentinelStrict, nodeA, nodeB);
  });
});

describe('Cluster, two nodes', () => {
  it('responses stored through one node are replayed by the other, with records on every master', async () => {
    for (let i = 0; i < 12; i++) await storedThenReplayed(viaCluster, i % 2 ? nodeA : nodeB, i % 2 ? nodeB : nodeA);
    // The records are spread: 12 keys hashed over three slot ranges all landing on one master
    // would happen 3 × (1/3)^12 of the time, i.e. never.
    const sizes = await Promise.all(redisCluster.nodes.map(async (n) => Number(await n.cli(['DBSIZE']))));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(12);
    expect(sizes.filter((s) => s > 0).length).toBeGreaterThanOrEqual(2);
  });
});
