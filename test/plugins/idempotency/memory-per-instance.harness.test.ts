/**
 * In memory, every idempotency instance has its own store with the whole `memory` bounds:
 * requests on one route can only evict that route's own stored responses, never another route's.
 * Found by the review of webhook-signature's de-duplication, which shares this store layer: all
 * instances with equal bounds drew from one LRU, so a flood of keyed requests on one route (any
 * client can send fresh keys) evicted the stored responses of another, and a client's retry there
 * reached the upstream a second time (a payment made twice).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, TestUpstream, freshKey, post, startNode, type Node } from './env';

const memory = { max_entries: 2 };

let upstream: TestUpstream;
let node: Node;
let payments: string;
let noisy: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  payments = cluster.route({ name: 'payments-lru', config: { memory } });
  noisy = cluster.route({ name: 'noisy-lru', config: { memory } });
  node = await startNode(cluster);
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

describe('memory store across routes', () => {
  it("keyed requests on one route do not evict another route's stored responses", async () => {
    const key = freshKey();
    const first = await node.request(post(`${payments}/charge`, key));
    expect(first.status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await node.request(post(`${noisy}/x`, freshKey()))).status).toBe(201);
    const retry = await node.request(post(`${payments}/charge`, key));
    expect(retry.headers.first('idempotent-replayed'), 'the payment reached the upstream twice').toBe('true');
    expect(upstream.hits(`/charge`)).toBe(1);
  });

  it('control: a route still evicts its own records beyond its own bound', async () => {
    const key = freshKey();
    expect((await node.request(post(`${payments}/own`, key))).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await node.request(post(`${payments}/other-${i}`, freshKey()))).status).toBe(201);
    const retry = await node.request(post(`${payments}/own`, key));
    expect(retry.headers.first('idempotent-replayed')).toBeUndefined();
    expect(upstream.hits('/own')).toBe(2);
  });
});
