/**
 * `client_header` sent more than once is refused with 400 problem+json, like a repeated key,
 * whichever line comes first: a front proxy that appends the trusted id leaves the client's own
 * line first, and picking one line let a client choose whose stored responses it is served
 * (draft-ietf-httpapi-idempotency-key-header §6: keys are scoped per client). A single line, and
 * a credentialed request (the header is not read then), pass as before. Found by review.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, TestUpstream, freshKey, post, problemOf, startNode, type Node } from './env';

let upstream: TestUpstream;
let node: Node;
let api: string;
let keyed: string;
let apikey: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'by-header', config: { client_header: 'X-Client-Id' } });
  keyed = cluster.route({ name: 'by-header-keyed', config: { client_header: 'X-Client-Id' }, keyAuth: true });
  apikey = cluster.tenant('header-alice').apikey;
  node = await startNode(cluster);
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

describe('client_header sent more than once', () => {
  it('does not let a client choose its scope by sending its own line before the trusted one', async () => {
    const key = freshKey();
    // The victim, identified by the front proxy as "tenant-victim".
    const victim = await node.request(post(`${api}/statement`, key, '{}', [['X-Client-Id', 'tenant-victim']]));
    expect(victim.status).toBe(201);

    // The attacker sends X-Client-Id: tenant-victim itself; the proxy appends the attacker's real id.
    const attacker = await node.request(
      post(`${api}/statement`, key, '{}', [
        ['X-Client-Id', 'tenant-victim'],
        ['X-Client-Id', 'tenant-mallory'],
      ]),
    );
    expect(attacker.headers.first('idempotent-replayed'), "the attacker was served the victim's stored response").toBeUndefined();
    expect(attacker.body.equals(victim.body)).toBe(false);
    expect(attacker.status).toBe(400);
    expect(attacker.upstreamRequest).toBeUndefined();
    expect(problemOf(attacker)).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'The X-Client-Id header identifies the client: send it at most once.',
    });
    // The other order too: no line is picked.
    const reversed = await node.request(
      post(`${api}/statement`, key, '{}', [
        ['X-Client-Id', 'tenant-mallory'],
        ['X-Client-Id', 'tenant-victim'],
      ]),
    );
    expect(reversed.status).toBe(400);
    // The victim's own single line still replays.
    const again = await node.request(post(`${api}/statement`, key, '{}', [['X-Client-Id', 'tenant-victim']]));
    expect(again.headers.first('idempotent-replayed')).toBe('true');
  });

  it('is not read, so not refused, for a request with a credential', async () => {
    const res = await node.request(post(`${keyed}/statement`, freshKey(), '{}', [['apikey', apikey], ['X-Client-Id', 'a'], ['X-Client-Id', 'b']]));
    expect(res.status).toBe(201);
  });
});
