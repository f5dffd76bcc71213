/**
 * When Kong does not buffer the response (HTTP/2 before Kong 3.9: "response buffering was turned
 * off", kong/init.lua Kong.access), no response phase runs and nothing can be stored; the upstream
 * did get the request, so the key stays locked until lock_ttl: a retry with the same key is
 * refused with 409, never executed again, and a warning says the response was not buffered. Found
 * by review: the log phase used to release such a key, and every retry ran the operation again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, KONG_VERSION, TestUpstream, freshKey, post, startNode, type Node } from './env';

let upstream: TestUpstream;
let node: Node;
let api: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'h2', config: {} });
  node = await startNode(cluster); // Kong 3.4.2, as every idempotency harness test
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

describe(`an HTTP/2 request on Kong ${KONG_VERSION}`, () => {
  it('is executed at most once for one key: the retry replays (or is refused), it never reaches the upstream again', async () => {
    const key = freshKey();
    const path = `${api}/charge-h2`;
    const first = await node.request({ ...post(path, key), httpVersion: 2 });
    expect(first.status).toBe(201);
    expect(upstream.hits('/charge-h2')).toBe(1);

    const retry = await node.request({ ...post(path, key), httpVersion: 2 });
    const releasedBy = first.kongLog.filter((l) => /key released/.test(l.message)).map((l) => l.message);
    expect(upstream.hits('/charge-h2'), `second execution; first request's log: ${JSON.stringify(releasedBy)}`).toBe(1);
    // Nothing was stored (no response phase), so the retry can only be refused.
    expect(retry.status).toBe(409);
    expect(releasedBy).toEqual([]);
    expect(
      first.kongLog.some((l) => l.plugin === 'idempotency' && l.level === 'warn' && /response not buffered by Kong: cannot be stored/.test(l.message)),
    ).toBe(true);
  });
});
