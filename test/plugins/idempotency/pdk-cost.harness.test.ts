/**
 * What a request costs in PDK round trips (each one a unix-socket exchange with Kong), pinned per
 * path through the real plugin server: which optional calls are skipped, and that skipping them
 * changes no outcome (an empty body skipped or read fingerprints alike; a bodiless response is
 * still stored and replayed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../support/ports';
import { kongRoute, kongService } from '../../harness';
import { Cluster, TestUpstream, freshKey, pastStartupWindow, phaseCalls, post, problemOf, startNode, type Node } from './env';

let upstream: TestUpstream;
let node: Node;
let api: string;
let tenants: string;
let byHeader: string;
let serviceScoped: string;
let down: string;
let apikey: string;
/** lock_ttl 2 s: past the plugin server's startup window after 2 s (held-claims.ts). */
let quiet: string;
const QUIET_LOCK_TTL = 2;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'cost-api', config: {} });
  quiet = cluster.route({ name: 'cost-quiet', config: { lock_ttl: QUIET_LOCK_TTL } });
  tenants = cluster.route({ name: 'cost-tenants', config: {}, keyAuth: true });
  byHeader = cluster.route({ name: 'cost-header', config: { client_header: 'X-Client-Id' } });
  apikey = cluster.tenant('cost-alice').apikey;
  // A service-scoped plugin: Kong sends no route_id, so the route must be asked for.
  const service = kongService({ name: 'cost-svc', host: '127.0.0.1', port: upstream.port });
  const route = kongRoute({ name: 'cost-svc', paths: ['/cost-svc'], service: { id: service.id } });
  cluster.routes.push({ route, plugins: [{ name: 'idempotency', service: service.id, config: {} }], service });
  serviceScoped = '/cost-svc';
  down = cluster.route({ name: 'cost-down', config: {}, service: kongService({ name: 'cost-down', host: '127.0.0.1', port: await closedPort(), retries: 0 }) });
  node = await startNode(cluster);
});
afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

const IDENTITY_ANONYMOUS = ['kong.client.get_credential', 'kong.client.get_consumer', 'kong.client.get_forwarded_ip'];
const emptyPost = (path: string, key: string): ReturnType<typeof post> => post(path, key, '', [['Content-Length', '0']]);

describe('access on a first request', () => {
  it('with a body and no credential: 7 calls', async () => {
    const res = await node.request(post(`${api}/a`, freshKey()));
    expect(res.status).toBe(201);
    expect(phaseCalls(res, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      ...IDENTITY_ANONYMOUS,
      'kong.request.get_raw_body',
      'kong.ctx.shared.set',
    ]);
  });

  it('with Content-Length: 0: 6 calls, the body is not read', async () => {
    const res = await node.request(emptyPost(`${api}/empty`, freshKey()));
    expect(res.status).toBe(201);
    expect(phaseCalls(res, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      ...IDENTITY_ANONYMOUS,
      'kong.ctx.shared.set',
    ]);
  });

  it('without Content-Length nor Transfer-Encoding the body is still read (HTTP/2 may omit both)', async () => {
    const res = await node.request({ method: 'POST', path: `${api}/nolength`, headers: [['Idempotency-Key', freshKey()]] });
    expect(res.status).toBe(201);
    expect(phaseCalls(res, 'access')).toContain('kong.request.get_raw_body');
    expect(phaseCalls(res, 'access')).toHaveLength(7);
  });

  it('with a credential naming its consumer: 5 calls, no consumer nor IP lookup', async () => {
    const res = await node.request(post(`${tenants}/a`, freshKey(), '{"amount":1}', [['apikey', apikey]]));
    expect(res.status).toBe(201);
    expect(phaseCalls(res, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      'kong.client.get_credential',
      'kong.request.get_raw_body',
      'kong.ctx.shared.set',
    ]);
  });

  it('with the configured client header present: 6 calls, no IP lookup; absent: the IP is asked for', async () => {
    const withHeader = await node.request(post(`${byHeader}/a`, freshKey(), '{}', [['X-Client-Id', 'c1']]));
    expect(phaseCalls(withHeader, 'access')).not.toContain('kong.client.get_forwarded_ip');
    expect(phaseCalls(withHeader, 'access')).toHaveLength(6);
    const without = await node.request(post(`${byHeader}/a`, freshKey(), '{}'));
    expect(phaseCalls(without, 'access')).toContain('kong.client.get_forwarded_ip');
    expect(phaseCalls(without, 'access')).toHaveLength(7);
  });

  it('not route-scoped: the route is asked for (8 calls)', async () => {
    const res = await node.request(post(`${serviceScoped}/a`, freshKey()));
    expect(res.status).toBe(201);
    expect(phaseCalls(res, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      ...IDENTITY_ANONYMOUS,
      'kong.router.get_route',
      'kong.request.get_raw_body',
      'kong.ctx.shared.set',
    ]);
  });
});

describe('an empty body skipped or read is the same payload', () => {
  it('replays a Content-Length: 0 request for a retry sent without Content-Length, and the reverse', async () => {
    const k1 = freshKey();
    expect((await node.request(emptyPost(`${api}/same`, k1))).status).toBe(201);
    const bare = await node.request({ method: 'POST', path: `${api}/same`, headers: [['Idempotency-Key', k1]] });
    expect(phaseCalls(bare, 'access')).toContain('kong.request.get_raw_body');
    expect(bare.headers.first('idempotent-replayed')).toBe('true');

    const k2 = freshKey();
    expect((await node.request({ method: 'POST', path: `${api}/same`, headers: [['Idempotency-Key', k2]] })).status).toBe(201);
    const declared = await node.request(emptyPost(`${api}/same`, k2));
    expect(phaseCalls(declared, 'access')).not.toContain('kong.request.get_raw_body');
    expect(declared.headers.first('idempotent-replayed')).toBe('true');
  });

  it('still refuses a retry with a body after an empty first request (422)', async () => {
    const key = freshKey();
    expect((await node.request(emptyPost(`${api}/diff`, key))).status).toBe(201);
    const res = await node.request(post(`${api}/diff`, key, '{"amount":1}'));
    expect(res.status).toBe(422);
    expect(problemOf(res).title).toBe('Idempotency-Key is already used');
  });
});

describe('response phase', () => {
  it('a response with content: ctx.shared.get, status, headers, body — 4 calls', async () => {
    const res = await node.request(post(`${api}/r`, freshKey()));
    expect(phaseCalls(res, 'response')).toEqual([
      'kong.ctx.shared.get',
      'kong.service.response.get_status',
      'kong.response.get_headers',
      'kong.service.response.get_raw_body',
    ]);
  });

  it.each([
    ['a 204', '/status/204', 204],
    ['Content-Length: 0', '/big/0', 201],
  ])('%s: the body is not read (3 calls), and the response is still stored and replayed', async (_, path, status) => {
    const key = freshKey();
    const first = await node.request(post(`${api}${path}`, key));
    expect(first.status).toBe(status);
    expect(first.body.length).toBe(0);
    expect(phaseCalls(first, 'response')).toEqual(['kong.ctx.shared.get', 'kong.service.response.get_status', 'kong.response.get_headers']);
    const hits = upstream.hits(path);
    const replay = await node.request(post(`${api}${path}`, key));
    expect(replay.status).toBe(status);
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(replay.body.length).toBe(0);
    expect(upstream.hits(path)).toBe(hits);
  });

  it('a 4xx is not asked for its source; a 5xx is (1 more call), and the upstream\'s own is released', async () => {
    const notFound = await node.request(post(`${api}/status/404`, freshKey()));
    expect(phaseCalls(notFound, 'response')).not.toContain('kong.response.get_source');
    const own = await node.request(post(`${api}/status/503`, freshKey()));
    expect(phaseCalls(own, 'response')).toEqual(['kong.ctx.shared.get', 'kong.service.response.get_status', 'kong.response.get_source', 'kong.log.info']);
  });

  // Under buffered proxying Kong's 502/504 come to the response phase (the failure happens in
  // the buffering subrequest); the error body is Kong's and is never read
  it("Kong's own 502 (connection refused): status, source, then the release — no headers, no body", async () => {
    const failed = await node.request(post(`${down}/pay`, freshKey()));
    expect(failed.status).toBe(502);
    expect(phaseCalls(failed, 'response')).toEqual(['kong.ctx.shared.get', 'kong.service.response.get_status', 'kong.response.get_source', 'kong.log.info']);
  });
});

describe('a replay', () => {
  it('costs the lookups of a first request and one exit, and nothing after', async () => {
    await pastStartupWindow(node, QUIET_LOCK_TTL);
    const key = freshKey();
    await node.request(post(`${quiet}/replay`, key));
    const replay = await node.request(post(`${quiet}/replay`, key));
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(phaseCalls(replay, 'access')).toEqual([
      'kong.nginx.get_var',
      'kong.request.get_headers',
      ...IDENTITY_ANONYMOUS,
      'kong.request.get_raw_body',
      'kong.response.exit',
    ]);
    expect(phaseCalls(replay, 'log')).toEqual([]);
    expect(replay.roundTrips).toBe(8);
  });
});

describe('response and log while no request here holds a claim', () => {
  it('ask Kong nothing: a first request once settled, a request without a key, another method', async () => {
    await pastStartupWindow(node, QUIET_LOCK_TTL);
    const first = await node.request(post(`${quiet}/quiet`, freshKey()));
    expect(phaseCalls(first, 'log')).toEqual([]);
    const noKey = await node.request(post(`${quiet}/quiet`, undefined));
    const get = await node.request({ method: 'GET', path: `${quiet}/quiet` });
    for (const res of [noKey, get]) {
      expect(res.status).toBe(201);
      expect(phaseCalls(res, 'response')).toEqual([]);
      expect(phaseCalls(res, 'log')).toEqual([]);
    }
  });

  it('while one is held, every request asks for its own, and only the holder settles', async () => {
    await pastStartupWindow(node, QUIET_LOCK_TTL);
    const gate = 'held';
    const key = freshKey();
    const holder = node.request(post(`${api}/gate/${gate}`, key));
    await upstream.arrived(gate);
    const other = freshKey();
    await node.request(post(`${quiet}/other`, other));
    const replay = await node.request(post(`${quiet}/other`, other));
    const noKey = await node.request(post(`${quiet}/other`, undefined));
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(phaseCalls(replay, 'log')).toEqual(['kong.ctx.shared.get']);
    expect(phaseCalls(noKey, 'response')).toEqual(['kong.ctx.shared.get']);
    expect(phaseCalls(noKey, 'log')).toEqual(['kong.ctx.shared.get']);
    // The holder's claim is untouched by the others: a duplicate still gets 409, the first is stored.
    expect((await node.request(post(`${api}/gate/${gate}`, key))).status).toBe(409);
    upstream.open(gate);
    const done = await holder;
    expect(done.status).toBe(201);
    expect(phaseCalls(done, 'response')).toContain('kong.service.response.get_raw_body');
    const again = await node.request(post(`${quiet}/other`, other));
    expect(again.headers.first('idempotent-replayed')).toBe('true');
    expect(phaseCalls(again, 'log')).toEqual([]);
  });

  it('for lock_ttl after the plugin server started, they ask all the same: a predecessor\'s claims may be waiting', async () => {
    // cost-api keeps the default lock_ttl (300 s): this server is younger than that.
    expect(Date.now() - node.startedAt).toBeLessThan(300_000);
    const key = freshKey();
    await node.request(post(`${api}/young`, key));
    const replay = await node.request(post(`${api}/young`, key));
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(phaseCalls(replay, 'log')).toEqual(['kong.ctx.shared.get']);
    const get = await node.request({ method: 'GET', path: `${api}/young` });
    expect(phaseCalls(get, 'response')).toEqual(['kong.ctx.shared.get']);
  });
});

describe('log for a claim the response phase never settled (rare: a cut-off response, no buffering)', () => {
  // Unbuffered (buffered_proxying cleared), the status and its source say whether the response
  // phase would have released the key: here Kong's 502 for a cut-off body is an exit, kept.
  it('Kong proxied it (here a body cut off, Kong\'s 502 without a response phase): ctx.shared.get, get_ctx KONG_PROXIED, get_ctx buffered_proxying, get_status, get_source, one warn; no store release', async () => {
    const failed = await node.request(post(`${api}/cut-off`, freshKey()));
    expect(failed.status).toBe(502);
    expect(phaseCalls(failed, 'response')).toEqual([]);
    expect(phaseCalls(failed, 'log')).toEqual([
      'kong.ctx.shared.get',
      'kong.nginx.get_ctx',
      'kong.nginx.get_ctx',
      'kong.response.get_status',
      'kong.response.get_source',
      'kong.log.warn',
    ]);
    expect(failed.calls.filter((c) => c.method === 'kong.nginx.get_ctx').map((c) => c.args[0])).toEqual(['KONG_PROXIED', 'buffered_proxying']);
  });

  it('a first request the upstream answered pays nothing extra in log', async () => {
    const first = await node.request(post(`${api}/settled`, freshKey()));
    expect(first.status).toBe(201);
    expect(phaseCalls(first, 'log')).toEqual(['kong.ctx.shared.get']);
  });
});
