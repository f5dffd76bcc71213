/**
 * De-duplication across two Kong nodes (two plugin-server processes) sharing a real Sentinel
 * deployment and a real Redis Cluster (test/support/redis-sentinel.ts, redis-cluster.ts), as
 * dedup.harness.test.ts does with a single server: a delivery processed by one node is a
 * duplicate on the other, one in progress is 409 on the other, and with Sentinel this holds
 * through a failover.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { RedisClusterSet } from '../../support/redis-cluster';
import { RedisSentinelSet, until } from '../../support/redis-sentinel';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { newWhsec, standardHeaders } from './signing';

const T = 1_700_000_000;
const secret = newWhsec();
let seq = 0;
const uniqueId = () => `msg_${process.pid}_${++seq}`;
const delivery = (path: string, id: string, body = `{"event":"${id}"}`) => post(path, standardHeaders(secret, id, T, body), body);

let sentinels: RedisSentinelSet;
let redisCluster: RedisClusterSet;
let env: WebhookEnv;
let viaSentinel: string;
let viaCluster: string;

beforeAll(async () => {
  [sentinels, redisCluster] = await Promise.all([RedisSentinelSet.start({ sentinels: 2 }), RedisClusterSet.start({ masters: 3 })]);
  env = await startWebhookEnv({ nodes: 2 });
  const dedup = (redis: Record<string, unknown>) => ({ enabled: true, strategy: 'redis', fault_tolerant: false, redis: { ...redis, timeout: 500 } });
  viaSentinel = env.route('sentinel', {
    secrets: [secret],
    dedup: dedup(sentinels.redisConfig),
  });
  viaCluster = env.route('cluster', { secrets: [secret], dedup: dedup({ cluster_nodes: redisCluster.clusterNodes }) });
}, 120_000);
afterAll(async () => {
  await env?.close();
  await Promise.all([sentinels?.close(), redisCluster?.close()]);
});
afterEach(() => {
  env.upstream.status = 200;
  env.upstream.open();
});

function proxied(res: SimResult): void {
  expect(res.status, res.text()).toBe(200);
  expect(res.source).toBe('service');
  expect(res.headers.first('webhook-duplicate')).toBeUndefined();
}

function duplicate(res: SimResult): void {
  expect(res.status, res.text()).toBe(200);
  expect(res.source).toBe('exit');
  expect(res.headers.first('webhook-duplicate')).toBe('true');
  expect(res.upstreamRequest).toBeUndefined();
}

/** Processed by node 0, a duplicate on node 1 and again on node 0; the upstream saw it once. */
async function processedOnceAcrossNodes(route: string): Promise<void> {
  const id = uniqueId();
  const hits = env.upstream.hits.length;
  proxied(await env.request(delivery(route, id), 0));
  duplicate(await env.request(delivery(route, id), 1));
  duplicate(await env.request(delivery(route, id), 0));
  expect(env.upstream.hits.length).toBe(hits + 1);
}

/** In progress on node 0 (held at the upstream): 409 on node 1; once done, a duplicate there. */
async function inProgressAcrossNodes(route: string): Promise<void> {
  const id = uniqueId();
  env.upstream.hold();
  const before = env.upstream.hits.length;
  const first = env.request(delivery(route, id), 0);
  await env.upstream.arrived(before + 1);
  expect((await env.request(delivery(route, id), 1)).status).toBe(409);
  env.upstream.open();
  proxied(await first);
  duplicate(await env.request(delivery(route, id), 1));
}

describe('Sentinel, two nodes', () => {
  it('a delivery processed by one node is a duplicate on the other; one in progress is 409 there', async () => {
    env.setClock(T);
    await processedOnceAcrossNodes(viaSentinel);
    await inProgressAcrossNodes(viaSentinel);
  });

  it('through a failover: deliveries processed before stay duplicates on both nodes, new ones are de-duplicated', async () => {
    env.setClock(T);
    const id = uniqueId();
    proxied(await env.request(delivery(viaSentinel, id), 0));
    expect(await (await sentinels.master()).cli(['WAIT', '1', '5000'])).toBe('1');
    const { from, to } = await sentinels.failover();
    expect(to.port).not.toBe(from.port);
    for (const node of [0, 1]) {
      const res = await until('the node to answer from the new master', async () => {
        const r = await env.request(delivery(viaSentinel, id), node);
        return r.status === 503 ? undefined : r;
      });
      duplicate(res);
    }
    await processedOnceAcrossNodes(viaSentinel);
  });
});

describe('Cluster, two nodes', () => {
  it('deliveries processed by one node are duplicates on the other, with ids on several masters', async () => {
    env.setClock(T);
    for (let i = 0; i < 12; i++) await processedOnceAcrossNodes(viaCluster);
    await inProgressAcrossNodes(viaCluster);
    // 13 ids all on one of three slot ranges would happen 3 × (1/3)^13 of the time: never.
    const sizes = await Promise.all(redisCluster.nodes.map(async (n) => Number(await n.cli(['DBSIZE']))));
    expect(sizes.filter((s) => s > 0).length).toBeGreaterThanOrEqual(2);
  });
});
