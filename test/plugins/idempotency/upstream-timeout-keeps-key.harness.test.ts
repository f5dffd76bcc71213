/**
 * After Kong's own 504 (the upstream did not answer within read_timeout) the upstream may still be
 * processing the request, so the key stays locked until lock_ttl: the client's retry gets 409 +
 * Retry-After (draft-ietf-httpapi-idempotency-key-header §2.6), never a second execution, and a
 * warning says why. Under buffered proxying Kong's 504 reaches the response phase (get_source()
 * "error"), which keeps the key, unlike Kong's 502 and the upstream's own 5xx. Found by review:
 * the key used to be released, and the retry that a 504 invites then ran the operation twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kongService } from '../../harness';
import { Cluster, TestUpstream, freshKey, post, startNode, type Node } from './env';

let upstream: TestUpstream;
let node: Node;
let slow: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  // Kong gives up on the upstream after 300 ms (read_timeout), long before lock_ttl (300 s).
  const service = kongService({ name: 'slow-upstream', host: '127.0.0.1', port: upstream.port, read_timeout: 300, retries: 0 });
  slow = cluster.route({ name: 'slow', config: {}, service });
  node = await startNode(cluster);
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

describe('Kong times out on the upstream (504) while the upstream still processes the request', () => {
  it('keeps the key locked: the retry gets 409, never a second execution at the upstream', async () => {
    const key = freshKey();
    const gate = 'still-processing';
    const first = await node.request(post(`${slow}/gate/${gate}`, key));
    expect(first.status).toBe(504);
    // The upstream received the first request and is still working on it (held at the gate).
    expect(upstream.hits(`/gate/${gate}`)).toBe(1);

    // The client does what the 504 invites: it retries with the same key.
    const retry = await node.request(post(`${slow}/gate/${gate}`, key));
    const released = retry.kongLog.some((l) => /key released/.test(l.message)) || first.kongLog.some((l) => /key released/.test(l.message));
    expect(
      upstream.hits(`/gate/${gate}`),
      `the retry reached the upstream (status ${retry.status}); first request's log released the key: ${released}`,
    ).toBe(1);
    expect(retry.status).toBe(409);
    expect(retry.headers.first('retry-after')).toBe('1');
    expect(released).toBe(false);
    expect(
      first.kongLog.some((l) => l.plugin === 'idempotency' && l.level === 'warn' && /Kong got no response from it .*stays locked until lock_ttl/.test(l.message)),
    ).toBe(true);
    // settled where Kong delivers its 504 under buffering: the response phase, not log
    expect(first.calls.filter((c) => c.phase === 'response').map((c) => c.method)).toEqual([
      'kong.ctx.shared.get',
      'kong.service.response.get_status',
      'kong.response.get_source',
      'kong.log.warn',
    ]);
    upstream.open(gate);
  });
});
