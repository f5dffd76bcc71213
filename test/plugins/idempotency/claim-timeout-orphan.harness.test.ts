/**
 * A claim that times out on a slow (not down) Redis is refused with 503 "Retry later with the
 * same key" (or proxied, with fault_tolerant), and the retry is then served: the SET NX the claim
 * sent still runs once Redis catches up, and the release queued behind it undoes it. Without the
 * release, the key stayed held for lock_ttl (300 s) by a token nobody had, and every retry got
 * 409 "A request is outstanding" although none was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, redisCommand } from '../../support/redis-server';
import { Cluster, TestUpstream, freshKey, post, startNode, type Node } from './env';

let upstream: TestUpstream;
let redis: RedisServer;
let node: Node;
let strict: string;
let tolerant: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  redis = await RedisServer.start();
  const store = { strategy: 'redis', redis: { host: '127.0.0.1', port: redis.port, timeout: 150 } };
  const cluster = new Cluster(upstream.port);
  strict = cluster.route({ name: 'rv-strict', config: { ...store, fault_tolerant: false } });
  tolerant = cluster.route({ name: 'rv-tolerant', config: { ...store, fault_tolerant: true } });
  node = await startNode(cluster);
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
  await redis?.close();
});

describe('a claim that timed out on a slow Redis', () => {
  it.each([
    ['fault_tolerant: false', () => strict, 503],
    ['fault_tolerant: true', () => tolerant, 201],
  ])('%s: the retry after Redis recovered is not refused with 409', async (_, route, firstStatus) => {
    // Warm the shared connection (and load the scripts) first.
    expect((await node.request(post(`${route()}/warm`, freshKey()))).status).toBe(201);

    const key = freshKey();
    // Redis stalls for 800 ms (as during a slow command, fork or failover): alive, just slow.
    expect(await redisCommand(redis.port, ['CLIENT', 'PAUSE', '800', 'ALL'])).toMatch(/^\+OK/);
    const first = await node.request(post(`${route()}/pay`, key));
    expect(first.status).toBe(firstStatus);
    expect(first.kongLog.some((l) => /store unavailable/.test(l.message) && /no answer within 150 ms/.test(l.message))).toBe(true);

    await sleep(1200); // Redis answers again.
    // What the server holds now: the timed-out SET NX ran after all, a claim (\x01 + token) with
    // the whole lock_ttl (300 s) ahead of it.
    const names = (await redisCommand(redis.port, ['KEYS', 'idempotency:*'])).split('\r\n').filter((l) => l.startsWith('idempotency:'));
    const claims: string[] = [];
    for (const name of names) {
      const value = await redisCommand(redis.port, ['GET', name]);
      const pttl = Number((await redisCommand(redis.port, ['PTTL', name])).slice(1));
      if (/^\$\d+\r\n\x01/.test(value)) claims.push(`${name} pttl=${pttl}`);
    }
    const keys = claims;
    const retry = await node.request(post(`${route()}/pay`, key));
    // The client was told to retry with the same key; no request with it is in flight.
    expect(retry.status, `redis KEYS after recovery: ${JSON.stringify(keys)}`).toBe(201);
  });
});
