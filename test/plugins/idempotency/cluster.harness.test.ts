/**
 * Two Kong nodes (two plugin server processes, two KongSims) sharing one real redis-server, as
 * a Kong cluster would: a key claimed on one node is locked and then replayed on the other. And
 * the store going away mid-test, in both fault modes: never a hang, 503 or proxied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../support/redis-server';
import { Cluster, TestUpstream, freshKey, post, problemOf, startNode, type Node } from './env';

let upstream: TestUpstream;
let redis: RedisServer;
let nodeA: Node;
let nodeB: Node;
let shared: string;
let strict: string;
let tolerant: string;
let lockShort: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  redis = await RedisServer.start();
  const store = { strategy: 'redis', redis: { host: '127.0.0.1', port: redis.port, timeout: 500 } };
  const cluster = new Cluster(upstream.port);
  shared = cluster.route({ name: 'shared', config: store });
  strict = cluster.route({ name: 'strict', config: { ...store, fault_tolerant: false, retry_after: 7 } });
  tolerant = cluster.route({ name: 'tolerant', config: { ...store, fault_tolerant: true } });
  lockShort = cluster.route({ name: 'lock-short', config: { ...store, lock_ttl: 1 } });
  [nodeA, nodeB] = await Promise.all([startNode(cluster), startNode(cluster)]);
});
afterAll(async () => {
  await Promise.all([nodeA?.close(), nodeB?.close()]);
  await upstream?.close();
  await redis?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two nodes, one Redis', () => {
  it('runs on two distinct plugin server processes', () => {
    expect(nodeA.server.pid).toBeDefined();
    expect(nodeA.server.pid).not.toBe(nodeB.server.pid);
  });

  it('lets exactly one of two racing duplicates through; the other gets 409; both nodes then replay', async () => {
    const key = freshKey();
    const gate = 'race';
    const racing = [nodeA.request(post(`${shared}/gate/${gate}`, key)), nodeB.request(post(`${shared}/gate/${gate}`, key))];
    // The winner is held at the upstream until the loser has been answered.
    await upstream.arrived(gate);
    const loser = await Promise.race(racing.map((p, i) => p.then((r) => ({ r, i }))));
    expect(loser.r.status).toBe(409);
    expect(problemOf(loser.r).title).toBe('A request is outstanding for this Idempotency-Key');
    expect(loser.r.headers.first('retry-after')).toBe('1');
    upstream.open(gate);
    const winner = await racing[1 - loser.i]!;
    expect(winner.status).toBe(201);
    expect(upstream.hits(`/gate/${gate}`)).toBe(1);

    for (const node of [nodeA, nodeB]) {
      const replay = await node.request(post(`${shared}/gate/${gate}`, key));
      expect(replay.status).toBe(201);
      expect(replay.headers.first('idempotent-replayed')).toBe('true');
      expect(replay.body.equals(winner.body)).toBe(true);
    }
    expect(upstream.hits(`/gate/${gate}`)).toBe(1);
  });

  it('detects a different payload across nodes (422)', async () => {
    const key = freshKey();
    expect((await nodeA.request(post(`${shared}/pay`, key, '{"amount":1}'))).status).toBe(201);
    const res = await nodeB.request(post(`${shared}/pay`, key, '{"amount":2}'));
    expect(res.status).toBe(422);
  });

  it('a lock that outlived lock_ttl is free again, and its late owner cannot overwrite the new result', async () => {
    const key = freshKey();
    const gate = 'stuck';
    const slow = nodeA.request(post(`${lockShort}/gate/${gate}`, key));
    await upstream.arrived(gate);
    await sleep(1500);
    // The first request's lock expired: the retry is processed (it also waits at the gate).
    const retry = nodeB.request(post(`${lockShort}/gate/${gate}`, key));
    await upstream.arrived(gate, 2);
    upstream.open(gate);
    const [first, second] = await Promise.all([slow, retry]);
    expect([first.status, second.status]).toEqual([201, 201]);
    // The first request's lock was taken over: its complete is refused (owner check), logged.
    const lockLost = (r: typeof first) => r.kongLog.some((l) => l.level === 'warn' && /lock expired before the upstream answered/.test(l.message));
    expect(lockLost(first)).toBe(true);
    expect(lockLost(second)).toBe(false);
    const replay = await nodeA.request(post(`${lockShort}/gate/${gate}`, key));
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(replay.body.equals(second.body)).toBe(true);
    expect(replay.body.equals(first.body)).toBe(false);
  });
});

describe('store outage', () => {
  it('never hangs: 503 problem with Retry-After when not fault tolerant, proxied (logged) when fault tolerant, keyless requests untouched', async () => {
    const before = await nodeA.request(post(`${strict}/ok`, freshKey()));
    expect(before.status).toBe(201);

    await redis.stop();
    try {
      const t0 = Date.now();
      const refused = await nodeA.request(post(`${strict}/pay`, freshKey()));
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(refused.status).toBe(503);
      expect(refused.headers.first('retry-after')).toBe('7');
      expect(refused.upstreamRequest).toBeUndefined();
      expect(problemOf(refused)).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
      expect(refused.kongLog.some((l) => l.level === 'warn' && /store unavailable, refusing with 503: redis claim/.test(l.message))).toBe(true);

      const hitsBefore = upstream.hits('/pay-anyway');
      const t1 = Date.now();
      const proxied = await nodeB.request(post(`${tolerant}/pay-anyway`, freshKey()));
      expect(Date.now() - t1).toBeLessThan(3000);
      expect(proxied.status).toBe(201);
      expect(upstream.hits('/pay-anyway')).toBe(hitsBefore + 1);
      expect(proxied.kongLog.some((l) => l.level === 'warn' && /proxying WITHOUT the idempotency guarantee/.test(l.message))).toBe(true);

      const keyless = await nodeA.request(post(`${strict}/nokey`, undefined));
      expect(keyless.status).toBe(201);
    } finally {
      await redis.start();
    }

    // Back: the shared connection heals without a restart of the plugin servers.
    let healed = false;
    for (let i = 0; i < 60 && !healed; i++) {
      const res = await nodeA.request(post(`${strict}/after`, freshKey()));
      healed = res.status === 201;
      if (!healed) await sleep(100);
    }
    expect(healed).toBe(true);
  });
});

describe('a plugin server restarted while a first request is at the upstream', () => {
  it('its successor completes the claim the request holds, so the retry replays instead of running again', async () => {
    const cluster = new Cluster(upstream.port);
    const store = { strategy: 'redis', redis: { host: '127.0.0.1', port: redis.port } };
    const path = cluster.route({ name: 'restarted', config: { ...store, lock_ttl: 30 } });
    const node = await startNode(cluster);
    try {
      const key = freshKey();
      const gate = 'restart';
      const first = node.request(post(`${path}/gate/${gate}`, key));
      await upstream.arrived(gate);
      // Kong restarts a crashed plugin server, and `kong reload` replaces it: the request's
      // response phase then reaches a process that never saw its access phase.
      const before = node.server.pid;
      await node.server.restart();
      expect(node.server.pid).not.toBe(before);
      upstream.open(gate);
      const res = await first;
      expect(res.status).toBe(201);
      expect(res.calls.filter((c) => c.phase === 'response').map((c) => c.method)).toContain('kong.service.response.get_raw_body');
      const retry = await node.request(post(`${path}/gate/${gate}`, key));
      expect(retry.headers.first('idempotent-replayed')).toBe('true');
      expect(retry.body.equals(res.body)).toBe(true);
      expect(upstream.hits(`/gate/${gate}`)).toBe(1);
    } finally {
      await node.close();
    }
  });
});
