/**
 * When Kong does not buffer the response (HTTP/2 before Kong 3.9, kong/init.lua Kong.access turns
 * buffered proxying off), no response phase runs and the key's outcome is settled in `log`. A
 * response that could have been stored stays locked there (unbuffered-response-keeps-key), but
 * the issue also says "by default 5xx and connection failures release the key so the client can
 * retry", and that holds whatever the transport: the status and its source are known in `log`.
 * Found by the model property (model.harness.test.ts): over HTTP/2, an upstream 503 or Kong's 502
 * for a failed connection kept the key locked for lock_ttl (300 s by default), and every retry
 * got 409 instead of reaching the upstream. Kong's own 504 still keeps the key (the upstream may
 * still be processing), as under buffering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../support/ports';
import { kongService } from '../../harness';
import { Cluster, KONG_VERSION, TestUpstream, freshKey, post, startNode, type Node } from './env';

let upstream: TestUpstream;
let node: Node;
let api: string;
let down: string;
let slow: string;
let closed: ReturnType<typeof kongService>;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'h2-fail', config: {} });
  closed = kongService({ name: 'h2-down', host: '127.0.0.1', port: await closedPort(), retries: 0 });
  down = cluster.route({ name: 'h2-down', config: {}, service: closed });
  const slowService = kongService({ name: 'h2-slow', host: '127.0.0.1', port: upstream.port, read_timeout: 300, retries: 0 });
  slow = cluster.route({ name: 'h2-slow', config: {}, service: slowService });
  node = await startNode(cluster); // Kong 3.4.2: HTTP/2 is proxied unbuffered
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

const h2 = (path: string, key: string) => ({ ...post(path, key), httpVersion: 2 });

describe(`an HTTP/2 request on Kong ${KONG_VERSION} that failed`, () => {
  it.each([500, 503, 429])('releases the key on an upstream %i: the retry reaches the upstream', async (status) => {
    const key = freshKey();
    const path = `${api}/status/${status}`;
    const before = upstream.hits(`/status/${status}`);
    const first = await node.request(h2(path, key));
    expect(first.status).toBe(status);
    expect(first.source).toBe('service');
    expect(first.kongLog.some((l) => l.plugin === 'idempotency' && new RegExp(`key released \\(upstream status ${status} is not stored\\)`).test(l.message))).toBe(true);
    const retry = await node.request(h2(path, key));
    expect(retry.status, retry.text()).toBe(status);
    expect(upstream.hits(`/status/${status}`)).toBe(before + 2);
  });

  it("releases the key on Kong's 502 for a failed connection: the retry reaches the service once it is back", async () => {
    const key = freshKey();
    const failed = await node.request(h2(`${down}/pay`, key));
    expect(failed.status).toBe(502);
    expect(failed.source).toBe('error');
    expect(failed.kongLog.some((l) => l.plugin === 'idempotency' && /key released \(Kong's 502: the connection to the upstream failed\)/.test(l.message))).toBe(true);
    node.sim.services.get(closed.id)!.port = upstream.port;
    try {
      const retry = await node.request(h2(`${down}/pay`, key));
      expect(retry.status, retry.text()).toBe(201);
    } finally {
      node.sim.services.get(closed.id)!.port = closed.port;
    }
  });

  it("keeps the key on Kong's 504 (the upstream may still be processing): the retry gets 409", async () => {
    const key = freshKey();
    const gate = 'h2-still-processing';
    const first = await node.request(h2(`${slow}/gate/${gate}`, key));
    expect(first.status).toBe(504);
    const retry = await node.request(h2(`${slow}/gate/${gate}`, key));
    expect(retry.status).toBe(409);
    expect(upstream.hits(`/gate/${gate}`)).toBe(1);
    upstream.open(gate);
  });

  it('keeps the key on a 2xx it could not store (unchanged): the retry gets 409, never a second execution', async () => {
    const key = freshKey();
    expect((await node.request(h2(`${api}/h2-ok`, key))).status).toBe(201);
    expect((await node.request(h2(`${api}/h2-ok`, key))).status).toBe(409);
    expect(upstream.hits('/h2-ok')).toBe(1);
  });
});
