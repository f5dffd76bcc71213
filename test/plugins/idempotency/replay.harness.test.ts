/**
 * Acceptance through the real plugin server, on both store backends (memory, and a real
 * redis-server): replay byte for byte, 422 on another payload, 409 while in flight, which
 * outcomes are stored or release the key, TTL expiry, scoping per client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores } from '../../../plugins/shared/store';
import { RedisServer } from '../../support/redis-server';
import { BINARY_BODY, Cluster, TestUpstream, freshKey, pastStartupWindow, phaseCalls, post, problemOf, startNode, type Node } from './env';

let upstream: TestUpstream;
let redis: RedisServer;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  redis = await RedisServer.start();
});
afterAll(async () => {
  await closeAllStores();
  await upstream?.close();
  await redis?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['memory', 'redis'] as const)('idempotency on the %s store', (strategy) => {
  let node: Node;
  let api: string;
  /** lock_ttl 2 s: its later phases stop asking 2 s after the server started (held-claims.ts). */
  let quiet: string;
  let short: string;
  let tenants: string;
  let anonymous: string;
  let alice: { apikey: string };
  let bob: { apikey: string };

  beforeAll(async () => {
    const store = strategy === 'redis' ? { strategy, redis: { host: '127.0.0.1', port: redis.port } } : { strategy };
    const cluster = new Cluster(upstream.port);
    api = cluster.route({ name: `${strategy}-api`, config: { ...store } });
    quiet = cluster.route({ name: `${strategy}-quiet`, config: { ...store, lock_ttl: 2 } });
    short = cluster.route({ name: `${strategy}-short`, config: { ...store, ttl: 1 } });
    tenants = cluster.route({ name: `${strategy}-tenants`, config: { ...store }, keyAuth: true });
    anonymous = cluster.route({ name: `${strategy}-anon`, config: { ...store, client_header: 'X-Client-Id' } });
    alice = cluster.tenant(`alice-${strategy}`);
    bob = cluster.tenant(`bob-${strategy}`);
    node = await startNode(cluster);
  });
  afterAll(async () => node?.close());

  it('replays status, headers and a binary body byte for byte without calling the upstream', async () => {
    const key = freshKey();
    const first = await node.request(post(`${api}/binary`, key));
    expect(first.status).toBe(201);
    expect(first.body.equals(BINARY_BODY)).toBe(true);
    expect(first.headers.first('idempotent-replayed')).toBeUndefined();
    expect(upstream.hits(`/binary`)).toBeGreaterThan(0);
    const hits = upstream.hits('/binary');

    const replay = await node.request(post(`${api}/binary`, key));
    expect(upstream.hits('/binary')).toBe(hits);
    expect(replay.upstreamRequest).toBeUndefined();
    expect(replay.status).toBe(201);
    expect(replay.body.equals(BINARY_BODY)).toBe(true);
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(replay.headers.first('content-type')).toBe('application/octet-stream');
    expect(replay.headers.first('x-custom')).toBe('a');
    expect(replay.headers.values('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(replay.headers.first('content-length')).toBe(String(BINARY_BODY.length));
    // Kong's own headers are fresh on the replay, not copied from the first response.
    expect(replay.headers.first('via')).toBeUndefined();
    expect(replay.headers.first('x-kong-upstream-latency')).toBeUndefined();
  });

  it('replays with one PDK exit and no response/store work in later phases', async () => {
    await pastStartupWindow(node, 2);
    const key = freshKey();
    await node.request(post(`${quiet}/plain`, key));
    const replay = await node.request(post(`${quiet}/plain`, key));
    expect(phaseCalls(replay, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      'kong.client.get_credential',
      'kong.client.get_consumer',
      'kong.client.get_forwarded_ip',
      'kong.request.get_raw_body',
      'kong.response.exit',
    ]);
    expect(phaseCalls(replay, 'response')).toEqual([]);
    expect(phaseCalls(replay, 'log')).toEqual([]);
  });

  it('costs a bounded number of PDK round trips on a first request', async () => {
    await pastStartupWindow(node, 2);
    const first = await node.request(post(`${quiet}/count`, freshKey()));
    expect(phaseCalls(first, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      'kong.client.get_credential',
      'kong.client.get_consumer',
      'kong.client.get_forwarded_ip',
      'kong.request.get_raw_body',
      'kong.ctx.shared.set',
    ]);
    expect(phaseCalls(first, 'response')).toEqual([
      'kong.ctx.shared.get',
      'kong.service.response.get_status',
      'kong.response.get_headers',
      'kong.service.response.get_raw_body',
    ]);
    expect(phaseCalls(first, 'log')).toEqual([]);
  });

  it('accepts the structured-field form: "k" and k are the same key', async () => {
    const key = freshKey();
    const first = await node.request(post(`${api}/sf`, `"${key}"`));
    expect(first.status).toBe(201);
    const replay = await node.request(post(`${api}/sf`, key));
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(replay.body.equals(first.body)).toBe(true);
  });

  it('matches a binary request body byte for byte: same bytes replay, one byte off is 422', async () => {
    const key = freshKey();
    const body = Buffer.from(BINARY_BODY);
    expect((await node.request(post(`${api}/upload`, key, body))).status).toBe(201);
    expect((await node.request(post(`${api}/upload`, key, Buffer.from(body)))).headers.first('idempotent-replayed')).toBe('true');
    const changed = Buffer.from(body);
    changed[100] ^= 1;
    const res = await node.request(post(`${api}/upload`, key, changed));
    expect(res.status).toBe(422);
    expect(problemOf(res).title).toBe('Idempotency-Key is already used');
  });

  it.each([
    ['another body', (p: string, k: string) => post(`${p}/pay`, k, '{"amount":999}')],
    ['another path', (p: string, k: string) => post(`${p}/refund`, k)],
    ['another query', (p: string, k: string) => post(`${p}/pay?currency=eur`, k)],
    ['another method', (p: string, k: string) => ({ ...post(`${p}/pay`, k), method: 'PATCH' })],
  ])('answers 422 problem+json for the same key with %s, without calling the upstream', async (_, build) => {
    const key = freshKey();
    expect((await node.request(post(`${api}/pay`, key))).status).toBe(201);
    const res = await node.request(build(api, key));
    expect(res.status).toBe(422);
    expect(res.upstreamRequest).toBeUndefined();
    expect(problemOf(res)).toEqual({
      type: 'https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/',
      title: 'Idempotency-Key is already used',
      status: 422,
      detail: 'This Idempotency-Key was already used with a different request (method, path or body). Use a new key for a new request.',
    });
  });

  it('answers 409 with Retry-After while the first request is in flight, then replays', async () => {
    const key = freshKey();
    const gate = `${strategy}-inflight`;
    const first = node.request(post(`${api}/gate/${gate}`, key));
    await upstream.arrived(gate);
    const second = await node.request(post(`${api}/gate/${gate}`, key));
    expect(second.status).toBe(409);
    expect(second.headers.first('retry-after')).toBe('1');
    expect(problemOf(second).title).toBe('A request is outstanding for this Idempotency-Key');
    expect(second.upstreamRequest).toBeUndefined();
    // A different payload while in flight is a client error, not a conflict.
    expect((await node.request(post(`${api}/gate/${gate}`, key, '{"other":1}'))).status).toBe(422);
    upstream.open(gate);
    expect((await first).status).toBe(201);
    const third = await node.request(post(`${api}/gate/${gate}`, key));
    expect(third.status).toBe(201);
    expect(third.headers.first('idempotent-replayed')).toBe('true');
    expect(upstream.hits(`/gate/${gate}`)).toBe(1);
  });

  it('keeps the state of concurrent requests apart (nothing per request on the plugin instance)', async () => {
    const keys = Array.from({ length: 12 }, () => freshKey());
    const firsts = await Promise.all(keys.map((k, i) => node.request(post(`${api}/parallel/${i}`, k, `{"i":${i}}`))));
    const replays = await Promise.all(keys.map((k, i) => node.request(post(`${api}/parallel/${i}`, k, `{"i":${i}}`))));
    replays.forEach((r, i) => {
      expect(r.headers.first('idempotent-replayed')).toBe('true');
      expect(r.body.equals(firsts[i]!.body)).toBe(true);
      expect((r.json() as { path: string }).path).toBe(`/parallel/${i}`);
    });
  });

  it('stores 4xx answers and replays them', async () => {
    const key = freshKey();
    const first = await node.request(post(`${api}/status/404`, key));
    expect(first.status).toBe(404);
    const replay = await node.request(post(`${api}/status/404`, key));
    expect(replay.status).toBe(404);
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(replay.body.equals(first.body)).toBe(true);
  });

  it.each([500, 503, 429])('releases the key on an upstream %i so the client can retry', async (status) => {
    const key = freshKey();
    const path = `${api}/status/${status}`;
    const before = upstream.hits(`/status/${status}`);
    expect((await node.request(post(path, key))).status).toBe(status);
    const retry = await node.request(post(path, key));
    expect(retry.status).toBe(status);
    expect(retry.headers.first('idempotent-replayed')).toBeUndefined();
    expect(upstream.hits(`/status/${status}`)).toBe(before + 2);
  });

  it('forgets a completed key after its TTL', async () => {
    const key = freshKey();
    expect((await node.request(post(`${short}/ttl`, key))).status).toBe(201);
    await sleep(1600);
    const after = await node.request(post(`${short}/ttl`, key));
    expect(after.status).toBe(201);
    expect(after.headers.first('idempotent-replayed')).toBeUndefined();
    expect((after.json() as { n: number }).n).toBe(upstream.hits('/ttl'));
  });

  it('scopes keys per consumer: one client never gets another one\'s response', async () => {
    const key = freshKey();
    const asAlice = await node.request(post(`${tenants}/charge`, key, '{"amount":100}', [['apikey', alice.apikey]]));
    const asBob = await node.request(post(`${tenants}/charge`, key, '{"amount":100}', [['apikey', bob.apikey]]));
    expect(asAlice.status).toBe(201);
    expect(asBob.status).toBe(201);
    expect(asBob.headers.first('idempotent-replayed')).toBeUndefined();
    expect(asBob.body.equals(asAlice.body)).toBe(false);
    // Bob's retry replays Bob's own response.
    const bobAgain = await node.request(post(`${tenants}/charge`, key, '{"amount":100}', [['apikey', bob.apikey]]));
    expect(bobAgain.headers.first('idempotent-replayed')).toBe('true');
    expect(bobAgain.body.equals(asBob.body)).toBe(true);
    expect(phaseCalls(bobAgain, 'access')).toContain('kong.client.get_credential');
    expect(phaseCalls(bobAgain, 'access')).not.toContain('kong.client.get_forwarded_ip');
  });

  it('scopes anonymous clients by the configured header, else by IP', async () => {
    const key = freshKey();
    const a = await node.request({ ...post(`${anonymous}/x`, key, '{}', [['X-Client-Id', 'a']]) });
    const b = await node.request({ ...post(`${anonymous}/x`, key, '{}', [['X-Client-Id', 'b']]) });
    expect(b.headers.first('idempotent-replayed')).toBeUndefined();
    expect(b.body.equals(a.body)).toBe(false);
    const ipKey = freshKey();
    await node.request({ ...post(`${api}/y`, ipKey, '{}'), clientIp: '10.0.0.1' });
    const otherIp = await node.request({ ...post(`${api}/y`, ipKey, '{}'), clientIp: '10.0.0.2' });
    const sameIp = await node.request({ ...post(`${api}/y`, ipKey, '{}'), clientIp: '10.0.0.1' });
    expect(otherIp.headers.first('idempotent-replayed')).toBeUndefined();
    expect(sameIp.headers.first('idempotent-replayed')).toBe('true');
  });
});
