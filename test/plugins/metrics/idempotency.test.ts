/**
 * idempotency's metrics, scraped from the plugin server Kong would run (with --metrics-port),
 * with KongSim playing Kong 3.4.2 in front of the real upstream of idempotency's own tests:
 * replays, 409/422 conflicts, other refusals by reason, and store errors on a real redis-server
 * that goes away while requests hold their keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_REJECTION_REASONS } from '../../../plugins/shared/metrics';
import { RedisServer } from '../../support/redis-server';
import { Cluster, KONG_VERSION, TestUpstream, freshKey, post } from '../idempotency/env';
import { delta } from './scrape';
import { startMetricsNode, type MetricsNode } from './env';

const CONFLICTS = 'kong_js_idempotency_conflicts_total';
const REJECTIONS = 'kong_js_idempotency_rejections_total';
const STORE_ERRORS = 'kong_js_idempotency_store_errors_total';

let upstream: TestUpstream;
let redis: RedisServer;
let node: MetricsNode;
let api: string;
let required: string;
let complete: string;
let release: string;
let strict: string;
let byHeader: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  redis = await RedisServer.start();
  const store = { strategy: 'redis', redis: { host: '127.0.0.1', port: redis.port, timeout: 500 } };
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'api', config: {} });
  required = cluster.route({ name: 'required', config: { required: true, max_key_length: 16 } });
  complete = cluster.route({ name: 'complete', config: store });
  release = cluster.route({ name: 'release', config: { ...store, never_stored_statuses: [201] } });
  strict = cluster.route({ name: 'strict', config: { ...store, fault_tolerant: false } });
  byHeader = cluster.route({ name: 'by-header', config: { client_header: 'X-Client-Id' } });
  node = await startMetricsNode({
    plugin: 'idempotency',
    sim: { kongVersion: KONG_VERSION, services: [cluster.service], routes: cluster.routes.map((r) => r.route), plugins: cluster.routes.flatMap((r) => r.plugins) },
  });
});

afterAll(async () => {
  await node?.close();
  await upstream?.close();
  await redis?.close();
});

describe('idempotency metrics', () => {
  it('exposes conflicts, rejections and store errors from the start, at 0', async () => {
    const s = await node.scrape();
    expect(s.value('kong_js_idempotency_replays_total')).toBe(0);
    expect(s.series(CONFLICTS).map((x) => x.labels.status).sort()).toEqual(['409', '422']);
    expect(s.series(REJECTIONS).map((x) => x.labels.reason).sort()).toEqual([...IDEMPOTENCY_REJECTION_REASONS].sort());
    expect(s.series(STORE_ERRORS).map((x) => x.labels.operation).sort()).toEqual(['claim', 'complete', 'release']);
    expect(s.samples.filter((x) => x.name.startsWith('kong_js_idempotency_')).every((x) => x.value === 0)).toBe(true);
  });

  it('counts replays, 409 and 422 conflicts, and refusals by reason', async () => {
    const before = await node.scrape();
    const key = freshKey();
    expect((await node.sim.request(post(`${api}/orders`, key))).status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const replay = await node.sim.request(post(`${api}/orders`, key));
      expect(replay.headers.first('idempotent-replayed')).toBe('true');
    }
    expect((await node.sim.request(post(`${api}/orders`, key, '{"amount":999}'))).status).toBe(422);

    const held = freshKey();
    const first = node.sim.request(post(`${api}/gate/metrics-409`, held));
    await upstream.arrived('metrics-409');
    expect((await node.sim.request(post(`${api}/gate/metrics-409`, held))).status).toBe(409);
    upstream.open('metrics-409');
    expect((await first).status).toBe(201);

    expect((await node.sim.request(post(`${required}/x`, undefined))).status).toBe(400);
    expect((await node.sim.request(post(`${required}/x`, 'x'.repeat(17)))).status).toBe(400);
    expect((await node.sim.request(post(`${required}/x`, 'two words'))).status).toBe(400);
    expect((await node.sim.request(post(`${required}/x`, 'k-chunked', Buffer.from('{"a":1}'), [['Transfer-Encoding', 'chunked']]))).status).toBe(411);
    const twice: Array<[string, string]> = [['X-Client-Id', 'a'], ['X-Client-Id', 'b']];
    expect((await node.sim.request(post(`${byHeader}/x`, freshKey(), '{}', twice))).status).toBe(400);

    const after = await node.scrape();
    expect(delta(after, before, 'kong_js_idempotency_replays_total')).toBe(2);
    expect(delta(after, before, CONFLICTS, { status: '409' })).toBe(1);
    expect(delta(after, before, CONFLICTS, { status: '422' })).toBe(1);
    const reasons = Object.fromEntries(IDEMPOTENCY_REJECTION_REASONS.map((reason) => [reason, delta(after, before, REJECTIONS, { reason })]).filter(([, n]) => n !== 0));
    expect(reasons).toEqual({ key_missing: 1, key_too_long: 1, key_malformed: 1, body_length_unknown: 1, client_header_repeated: 1 });
    for (const operation of ['claim', 'complete', 'release']) expect(delta(after, before, STORE_ERRORS, { operation })).toBe(0);
  });

  it('counts store errors by operation when Redis goes away', async () => {
    const before = await node.scrape();
    // two requests hold their keys at the upstream while Redis stops
    const completing = node.sim.request(post(`${complete}/gate/metrics-complete`, freshKey()));
    const releasing = node.sim.request(post(`${release}/gate/metrics-release`, freshKey()));
    await Promise.all([upstream.arrived('metrics-complete'), upstream.arrived('metrics-release')]);
    await redis.stop();
    try {
      upstream.open('metrics-complete');
      upstream.open('metrics-release');
      // the upstream's answers go through; storing (201 stored) or releasing (201 never stored) fails
      expect((await completing).status).toBe(201);
      expect((await releasing).status).toBe(201);
      const refused = await node.sim.request(post(`${strict}/pay`, freshKey()));
      expect(refused.status).toBe(503);
    } finally {
      await redis.start();
    }
    const after = await node.scrape();
    expect(delta(after, before, STORE_ERRORS, { operation: 'complete' })).toBe(1);
    expect(delta(after, before, STORE_ERRORS, { operation: 'release' })).toBe(1);
    expect(delta(after, before, STORE_ERRORS, { operation: 'claim' })).toBe(1);
    expect(delta(after, before, REJECTIONS, { reason: 'store_unavailable' })).toBe(1);
  });
});
