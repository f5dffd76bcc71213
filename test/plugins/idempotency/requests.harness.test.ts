/**
 * What the plugin accepts and refuses before anything is stored (key syntax, required mode,
 * methods, unreadable bodies, bad configs), the outcomes that release a key instead of storing it
 * (a later plugin's refusal, Kong's 502 for a failed connection, the upstream's own 5xx,
 * oversize response), and the one that keeps it locked (a response cut off), through the real
 * plugin server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../support/ports';
import { kongService, type NativePlugin } from '../../harness';
import { Cluster, TestUpstream, freshKey, phaseCalls, post, problemOf, startNode, type Node } from './env';

let upstream: TestUpstream;
let node: Node;
let api: string;
let required: string;
let putOnly: string;
let custom: string;
let small: string;
let tinyStore: string;
let broken: string;
let misconfigured: string;
let tight: string;
let closed: ReturnType<typeof kongService>;
let gated: string;

/** A Lua plugin after idempotency (900) that refuses, in access, a request carrying X-Refuse. */
const refuser: NativePlugin = {
  name: 'refuser',
  priority: 800,
  access(pdk) {
    if (pdk.call('kong.request.get_header', 'x-refuse') !== undefined) pdk.call('kong.response.exit', 403, { message: 'refused' });
  },
};


beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'api', config: {} });
  required = cluster.route({ name: 'required', config: { required: true } });
  putOnly = cluster.route({ name: 'put-only', config: { methods: ['PUT'] } });
  custom = cluster.route({ name: 'custom', config: { header_name: 'X-Request-Key', max_key_length: 8 } });
  small = cluster.route({ name: 'small', config: { max_response_size: 1000 } });
  tinyStore = cluster.route({ name: 'tiny-store', config: { memory: { max_bytes: 2048 } } });
  closed = kongService({ name: 'down', host: '127.0.0.1', port: await closedPort(), retries: 0 });
  broken = cluster.route({ name: 'broken', config: {}, service: closed });
  misconfigured = cluster.route({ name: 'misconfigured', config: { strategy: 'redis' } });
  tight = cluster.route({ name: 'tight', config: { max_request_body_size: 1000 } });
  gated = cluster.route({ name: 'pay-gated', config: {}, plugins: [{ name: 'refuser' }] });
  node = await startNode(cluster, { nativePlugins: [refuser] });
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

const DRAFT = 'https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/';

describe('the key header', () => {
  it.each([
    ['an unterminated quoted string', '"abc'],
    ['text after the quoted string', '"abc";p=1'],
    ['a bad escape', '"a\\bc"'],
    ['a space in a bare key', 'a b'],
    ['a comma (several keys folded)', 'a,b'],
    ['a non-ASCII character', 'clé'],
    ['an empty value', ''],
    ['an empty quoted string', '""'],
  ])('refuses %s with 400 problem+json', async (_, value) => {
    const res = await node.request(post(`${api}/k`, value));
    expect(res.status).toBe(400);
    expect(res.upstreamRequest).toBeUndefined();
    expect(problemOf(res)).toEqual({
      type: DRAFT,
      title: 'Idempotency-Key is malformed',
      status: 400,
      detail: 'Send exactly one Idempotency-Key header holding a quoted string ("…") or a token of visible ASCII characters without spaces or commas.',
    });
  });

  it('refuses two key headers', async () => {
    const req = post(`${api}/k`, freshKey(), '{}', [['Idempotency-Key', freshKey()]]);
    const res = await node.request(req);
    expect(res.status).toBe(400);
    expect(problemOf(res).title).toBe('Idempotency-Key is malformed');
  });

  it('refuses a second key header past the 100 headers Kong hands over by default', async () => {
    const filler = Array.from({ length: 100 }, (_, i) => [`x-filler-${i}`, 'x'] as [string, string]);
    const res = await node.request(post(`${api}/k`, freshKey(), '{}', [...filler, ['Idempotency-Key', freshKey()]]));
    expect(res.status).toBe(400);
    expect(problemOf(res).title).toBe('Idempotency-Key is malformed');
    expect(res.upstreamRequest).toBeUndefined();
  });

  it('refuses 1000 headers or more, rather than judge a part of them', async () => {
    const filler = Array.from({ length: 1000 }, (_, i) => [`x-filler-${i}`, 'x'] as [string, string]);
    const res = await node.request(post(`${api}/k`, freshKey(), '{}', filler));
    expect(res.status).toBe(400);
    expect(problemOf(res)).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
    expect(res.upstreamRequest).toBeUndefined();
  });

  it('accepts escapes in the quoted form', async () => {
    const key = `"${freshKey()}\\"q\\\\"`;
    expect((await node.request(post(`${api}/esc`, key))).status).toBe(201);
    expect((await node.request(post(`${api}/esc`, key))).headers.first('idempotent-replayed')).toBe('true');
  });

  it('accepts 255 characters and refuses 256', async () => {
    const ok = 'k'.repeat(240) + freshKey().slice(-15);
    expect(ok).toHaveLength(255);
    expect((await node.request(post(`${api}/long`, ok))).status).toBe(201);
    const res = await node.request(post(`${api}/long`, `${ok}x`));
    expect(res.status).toBe(400);
    expect(problemOf(res)).toMatchObject({ title: 'Idempotency-Key is too long', detail: 'An Idempotency-Key may be at most 255 characters long.' });
  });

  it('uses the configured header name and length limit', async () => {
    const key = freshKey().slice(-8);
    const withCustom = (k: string) => post(`${custom}/c`, undefined, '{}', [['X-Request-Key', k]]);
    expect((await node.request(withCustom(key))).status).toBe(201);
    expect((await node.request(withCustom(key))).headers.first('idempotent-replayed')).toBe('true');
    const long = await node.request(withCustom('123456789'));
    expect(long.status).toBe(400);
    expect(problemOf(long).title).toBe('X-Request-Key is too long');
    // The default header means nothing on this route.
    const ignored = post(`${custom}/c`, key, '{}');
    expect((await node.request(ignored)).headers.first('idempotent-replayed')).toBeUndefined();
  });
});

describe('required mode and methods', () => {
  it('passes requests without a key when not required, storing nothing', async () => {
    const first = await node.request(post(`${api}/nokey`, undefined));
    const second = await node.request(post(`${api}/nokey`, undefined));
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.first('idempotent-replayed')).toBeUndefined();
    expect(phaseCalls(second, 'access')).toEqual(['kong.nginx.get_var', 'kong.request.get_headers']);
  });

  it('refuses a missing key with 400 when required', async () => {
    const res = await node.request(post(`${required}/r`, undefined));
    expect(res.status).toBe(400);
    expect(problemOf(res)).toEqual({ type: DRAFT, title: 'Idempotency-Key is missing', status: 400, detail: 'This operation requires an Idempotency-Key header.' });
    expect(res.upstreamRequest).toBeUndefined();
  });

  it('never asks for a key on methods it does not apply to, even when required', async () => {
    const res = await node.request({ method: 'GET', path: `${required}/r` });
    expect(res.status).toBe(201);
    expect(phaseCalls(res, 'access')).toEqual(['kong.nginx.get_var']);
  });

  it('applies to the configured methods only', async () => {
    const key = freshKey();
    const posts = [await node.request(post(`${putOnly}/m`, key)), await node.request(post(`${putOnly}/m`, key))];
    expect(posts.map((r) => r.headers.first('idempotent-replayed'))).toEqual([undefined, undefined]);
    const put = (k: string) => ({ ...post(`${putOnly}/m`, k), method: 'PUT' });
    await node.request(put(key));
    expect((await node.request(put(key))).headers.first('idempotent-replayed')).toBe('true');
  });
});

describe('a claim the response phase never settled', () => {
  it('is released when a plugin after idempotency refused the request in access: nothing reached the upstream', async () => {
    const key = freshKey();
    const refusedOnce = await node.request(post(`${gated}/refused-pay`, key, '{}', [['X-Refuse', 'yes']]));
    expect(refusedOnce.status).toBe(403);
    expect(refusedOnce.source).toBe('exit');
    expect(upstream.hits('/refused-pay')).toBe(0);
    expect(phaseCalls(refusedOnce, 'log')).toEqual(['kong.ctx.shared.get', 'kong.nginx.get_ctx', 'kong.log.info']);
    expect(refusedOnce.kongLog.some((l) => l.plugin === 'idempotency' && /key released \(the request never reached the upstream\)/.test(l.message))).toBe(true);
    // The retry the refusing plugin lets through is processed, not refused with 409.
    const retry = await node.request(post(`${gated}/refused-pay`, key, '{}'));
    expect(retry.status).toBe(201);
    expect(retry.headers.first('idempotent-replayed')).toBeUndefined();
  });

  // A body cut off after the headers: Kong's capture is truncated, it answers 502 itself and
  // skips the response phase (kong/init.lua Kong.response); the upstream did run the request.
  it('is kept after a response cut off before its end: 409 + Retry-After until lock_ttl, a warning says why', async () => {
    const key = freshKey();
    const failed = await node.request(post(`${api}/cut-off`, key));
    expect(failed.status).toBe(502);
    expect(upstream.hits('/cut-off')).toBe(1);
    expect(phaseCalls(failed, 'response')).toEqual([]);
    expect(failed.kongLog.some((l) => l.plugin === 'idempotency' && /key released/.test(l.message))).toBe(false);
    expect(
      failed.kongLog.some(
        (l) => l.plugin === 'idempotency' && l.level === 'warn' && /response not buffered by Kong: cannot be stored .*the key stays locked until lock_ttl/.test(l.message),
      ),
    ).toBe(true);
    const retry = await node.request(post(`${api}/cut-off`, key));
    expect(retry.status).toBe(409);
    expect(retry.headers.first('retry-after')).toBe('1');
    expect(upstream.hits('/cut-off')).toBe(1);
  });
});

describe('outcomes that release the key', () => {
  // Under buffered proxying the connection fails inside Kong's buffering subrequest, whose error
  // page Kong.response takes as the response: the response phase runs with Kong's 502 and
  // get_source() "error" (kong/init.lua Kong.response, Kong.handle_error; Kong/kong#6735).
  it('releases on an upstream connection failure (Kong\'s 502, in the response phase) so a retry reaches the upstream', async () => {
    const key = freshKey();
    const failed = await node.request(post(`${broken}/pay`, key));
    expect(failed.status).toBe(502);
    expect(phaseCalls(failed, 'response')).toEqual(['kong.ctx.shared.get', 'kong.service.response.get_status', 'kong.response.get_source', 'kong.log.info']);
    expect(failed.kongLog.some((l) => l.plugin === 'idempotency' && /key released \(Kong's 502: the connection to the upstream failed\)/.test(l.message))).toBe(true);

    // The service comes back; the retry with the same key is processed, not refused with 409.
    node.sim.services.get(closed.id)!.port = upstream.port;
    try {
      const retry = await node.request(post(`${broken}/pay`, key));
      expect(retry.status).toBe(201);
      expect(retry.headers.first('idempotent-replayed')).toBeUndefined();
      expect((await node.request(post(`${broken}/pay`, key))).headers.first('idempotent-replayed')).toBe('true');
    } finally {
      node.sim.services.get(closed.id)!.port = closed.port;
    }
  });

  // Only Kong's own 504 keeps the key (upstream-timeout-keeps-key); the upstream's own 504 is an
  // answer like any 5xx, and is released.
  it('releases on the upstream\'s own 502 and 504 (get_source "service")', async () => {
    for (const status of [502, 504]) {
      const key = freshKey();
      const first = await node.request(post(`${api}/status/${status}`, key));
      expect(first.status).toBe(status);
      expect(first.source).toBe('service');
      expect(first.kongLog.some((l) => l.plugin === 'idempotency' && new RegExp(`key released \\(upstream status ${status} is not stored\\)`).test(l.message))).toBe(true);
      const hits = upstream.hits(`/status/${status}`);
      const retry = await node.request(post(`${api}/status/${status}`, key));
      expect(retry.status).toBe(status);
      expect(upstream.hits(`/status/${status}`)).toBe(hits + 1);
    }
  });

  it('passes an oversize response on unstored and releases the key (logged)', async () => {
    const key = freshKey();
    const first = await node.request(post(`${small}/big/5000`, key));
    expect(first.status).toBe(201);
    expect(first.body.length).toBe(5000);
    expect(first.kongLog.some((l) => l.level === 'warn' && /response not stored: 5000 bytes > max_response_size 1000/.test(l.message))).toBe(true);
    const retry = await node.request(post(`${small}/big/5000`, key));
    expect(retry.headers.first('idempotent-replayed')).toBeUndefined();
    expect(upstream.hits('/big/5000')).toBe(2);
    // At the limit it is stored.
    const fits = freshKey();
    await node.request(post(`${small}/big/1000`, fits));
    expect((await node.request(post(`${small}/big/1000`, fits))).headers.first('idempotent-replayed')).toBe('true');
  });

  it('a response the memory store can never hold (memory.max_bytes) is passed on unstored and its key released', async () => {
    const key = freshKey();
    const first = await node.request(post(`${tinyStore}/big/5000`, key));
    expect(first.status).toBe(201);
    expect(first.body.length).toBe(5000);
    expect(first.kongLog.some((l) => l.level === 'warn' && /response not stored: \d+ bytes > memory.max_bytes 2048/.test(l.message))).toBe(true);
    const hits = upstream.hits('/big/5000');
    const retry = await node.request(post(`${tinyStore}/big/5000`, key));
    expect(retry.status).toBe(201);
    expect(retry.headers.first('idempotent-replayed')).toBeUndefined();
    expect(upstream.hits('/big/5000')).toBe(hits + 1);
  });
});

describe('requests the plugin cannot check', () => {
  it('refuses a body larger than max_request_body_size with 413, without reading it', async () => {
    const res = await node.request(post(`${api}/large`, freshKey(), Buffer.alloc(8193, 0x62)));
    expect(res.status).toBe(413);
    expect(problemOf(res)).toEqual({
      type: 'about:blank',
      title: 'Content Too Large',
      status: 413,
      detail: "A request with an Idempotency-Key may carry at most 8192 bytes: its body must be compared with the first request's.",
    });
    expect(phaseCalls(res, 'access')).not.toContain('kong.request.get_raw_body');
    expect(res.upstreamRequest).toBeUndefined();
  });

  it('reads a body at the limit', async () => {
    const key = freshKey();
    const body = Buffer.alloc(8192, 0x63);
    expect((await node.request(post(`${api}/limit`, key, body))).status).toBe(201);
    expect((await node.request(post(`${api}/limit`, key, body))).headers.first('idempotent-replayed')).toBe('true');
  });

  it('holds an HTTP/2 body sent without Content-Length to the same limit, once read', async () => {
    const over = await node.request({ ...post(`${tight}/h2`, freshKey(), Buffer.alloc(1001, 0x62)), httpVersion: 2 });
    expect(over.upstreamRequest).toBeUndefined();
    expect(over.status).toBe(413);
    expect(phaseCalls(over, 'access')).toContain('kong.request.get_raw_body');
    const within = await node.request({ ...post(`${tight}/h2`, freshKey(), Buffer.alloc(1000, 0x62)), httpVersion: 2 });
    expect(within.status).toBe(201);
  });

  it('refuses a body of unknown length (chunked) with 411', async () => {
    const req = post(`${api}/chunked`, freshKey(), Buffer.from('{"a":1}'), [['Transfer-Encoding', 'chunked']]);
    const res = await node.request(req);
    expect(res.status).toBe(411);
    expect(problemOf(res).title).toBe('Length Required');
    expect(res.upstreamRequest).toBeUndefined();
  });

  it('fails closed on an unusable config: 500, reason logged', async () => {
    const res = await node.request(post(`${misconfigured}/x`, freshKey()));
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
    expect(res.kongLog.some((l) => l.level === 'err' && /invalid configuration: redis: set host/.test(l.message))).toBe(true);
  });
});

describe("Kong 3.9 and nginx's default 8 KiB client body buffer", () => {
  it('reads a body nginx buffered to a file, with max_request_body_size as the limit', async () => {
    const cluster = new Cluster(upstream.port);
    const large = cluster.route({ name: 'large-39', config: { max_request_body_size: 65536 } });
    const k39 = await startNode(cluster, { kongVersion: '3.9.1' });
    try {
      const key = freshKey();
      const body = Buffer.alloc(65536, 0x61);
      const first = await k39.request(post(`${large}/a`, key, body));
      expect(first.status).toBe(201);
      expect(first.upstreamRequest?.body.equals(body)).toBe(true);
      expect(first.calls.find((c) => c.method === 'kong.request.get_raw_body')?.args).toEqual([65536]);
      const again = await k39.request(post(`${large}/a`, key, body));
      expect(again.headers.first('idempotent-replayed')).toBe('true');
      // The whole body is compared, not only what fits in nginx's buffer.
      const changed = Buffer.from(body);
      changed[65535] = 0x62;
      expect((await k39.request(post(`${large}/a`, key, changed))).status).toBe(422);
    } finally {
      await k39.close();
    }
  });
});

describe('clients behind a load balancer Kong trusts (trusted_ips, real_ip_header X-Real-IP)', () => {
  let behindProxy: Node;
  let path: string;
  beforeAll(async () => {
    const cluster = new Cluster(upstream.port);
    path = cluster.route({ name: 'behind-proxy', config: {} });
    behindProxy = await startNode(cluster, { trustedIps: ['10.0.0.0/8'] });
  });
  afterAll(() => behindProxy?.close());

  const via = (peer: string, realIp: string, key: string) => ({ ...post(`${path}/y`, key, '{}', [['X-Real-IP', realIp]]), clientIp: peer });

  it('scopes anonymous keys by the client address the proxy forwarded, not by the proxy', async () => {
    const key = freshKey();
    await behindProxy.request(via('10.1.2.3', '203.0.113.7', key));
    const otherClient = await behindProxy.request(via('10.1.2.3', '203.0.113.8', key));
    const sameClientOtherProxy = await behindProxy.request(via('10.9.9.9', '203.0.113.7', key));
    expect(otherClient.headers.first('idempotent-replayed')).toBeUndefined();
    expect(sameClientOtherProxy.headers.first('idempotent-replayed')).toBe('true');
  });

  it('ignores X-Real-IP from a peer outside trusted_ips: a client cannot borrow another scope', async () => {
    const key = freshKey();
    await behindProxy.request(via('10.1.2.3', '203.0.113.9', key));
    const forged = await behindProxy.request(via('198.51.100.1', '203.0.113.9', key));
    expect(forged.headers.first('idempotent-replayed')).toBeUndefined();
    expect(forged.upstreamRequest?.headers.first('x-real-ip')).toBe('198.51.100.1');
  });
});
