import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdminClient, type KongAdminClient } from '../../../cli/src/kong/client';
import { AdminApiError, type ConnectionOptions } from '../../../cli/src/kong/types';
import type { RetryTuning } from '../../../cli/src/kong/retry';
import { KongCtlError } from '../../../cli/src/model/errors';
import { exchange } from './fixtures';

const KONG = 'http://kong.test:8001';

/** A client that never sleeps for real: waits are recorded instead. */
function client(over: Partial<ConnectionOptions> = {}, tuning: Partial<RetryTuning> = {}) {
  const slept: number[] = [];
  const c = createAdminClient(
    { kongAddr: KONG, headers: [], ...over },
    {
      sleep: async (ms) => {
        slept.push(ms);
      },
      random: () => 0.5,
      now: () => Date.parse('2026-01-01T00:00:00Z'),
      ...tuning,
    },
  );
  return { c, slept };
}

let open: KongAdminClient[] = [];
function track<T extends { c: KongAdminClient }>(x: T): T {
  open.push(x.c);
  return x;
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  for (const c of open) c.close();
  open = [];
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('request', () => {
  it('returns status, parsed body and lower-cased headers of a recorded answer', async () => {
    const ex = exchange('001');
    nock(KONG).get('/').reply(200, ex.response.body, ex.response.headers);
    const { c } = track(client());
    const res = await c.request<any>('GET', '/');
    expect(res.status).toBe(200);
    expect(res.data.version).toBe('3.4.2');
    expect(res.headers['server']).toBe('kong/3.4.2');
    expect(c.stats).toEqual({ requests: 1, retries: 0, writes: 0 });
  });

  it('sends every --header on every request', async () => {
    nock(KONG, { reqheaders: { 'kong-admin-token': 's3cret', 'x-team': 'a' } }).get('/status').reply(200, exchange('002').response.body);
    const { c } = track(client({ headers: ['Kong-Admin-Token: s3cret', 'X-Team:a'] }));
    expect((await c.request('GET', '/status')).status).toBe(200);
  });

  it('rejects a malformed --header before any request, as a usage error', () => {
    for (const bad of ['Kong-Admin-Token', ': value', 'Bad Name: x', 'Kong-Admin-Token:   ']) {
      let err: unknown;
      try {
        createAdminClient({ kongAddr: KONG, headers: [bad] });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(KongCtlError);
      expect((err as KongCtlError).code).toBe('E_USAGE');
    }
  });

  it('rejects an --kong-addr that is not http(s) and a bad --timeout', () => {
    expect(() => createAdminClient({ kongAddr: 'ftp://x', headers: [] })).toThrow(/only http:\/\/ and https:\/\//);
    expect(() => createAdminClient({ kongAddr: 'localhost:8001x', headers: [] })).toThrow(KongCtlError);
    expect(() => createAdminClient({ kongAddr: KONG, headers: [], timeoutSeconds: Number('ten') })).toThrow(/invalid --timeout/);
  });

  it('keeps a path prefix of --kong-addr (Kong behind a reverse proxy)', async () => {
    nock(KONG).get('/admin/services').query({ size: '1000' }).reply(200, exchange('103').response.body);
    const { c } = track(client({ kongAddr: `${KONG}/admin/` }));
    expect(c.baseUrl).toBe(`${KONG}/admin`);
    expect(await c.listAll('/services')).toHaveLength(3);
  });

  it('sends a JSON body and counts the write', async () => {
    const ex = exchange('056');
    nock(KONG).post('/services', ex.request.body as any).reply(ex.response.status, ex.response.body);
    const { c } = track(client());
    const res = await c.request('POST', '/services', { body: ex.request.body });
    expect(res.status).toBe(201);
    expect(c.stats.writes).toBe(1);
  });

  it('sends a raw body with its content type (POST /config as text)', async () => {
    const text = '_format_version: "3.0"\nservices: []\n';
    nock(KONG, { reqheaders: { 'content-type': 'text/yaml' } })
      .post('/config', (b) => b === text)
      .query({ check_hash: '1' })
      .reply(304);
    const { c } = track(client());
    const res = await c.request('POST', '/config', { rawBody: { contentType: 'text/yaml', text }, query: { check_hash: 1 }, acceptStatus: [304] });
    expect(res.status).toBe(304);
  });

  it('returns an accepted non-2xx status as an answer (404 when probing)', async () => {
    const ex = exchange('062');
    nock(KONG).get('/services/does-not-exist').reply(404, ex.response.body);
    const { c } = track(client());
    const res = await c.request('GET', '/services/does-not-exist', { acceptStatus: [404] });
    expect(res).toMatchObject({ status: 404, data: { message: 'Not found' } });
  });

  it('throws AdminApiError with Kong’s body for a 400 and never retries it', async () => {
    const ex = exchange('061');
    nock(KONG).post('/services').reply(400, ex.response.body);
    const { c } = track(client());
    const err = await caught(c.request('POST', '/services', { body: ex.request.body, idempotent: true }));
    expect(err).toBeInstanceOf(AdminApiError);
    expect(err.status).toBe(400);
    expect(err.body.name).toBe('schema violation');
    expect(err.fieldErrors).toContain('port: expected an integer');
    expect(err.message).toBe(`POST /services → 400: ${ex.response.body.message}`);
    expect(c.stats).toMatchObject({ requests: 1, retries: 0 });
  });

  it('throws AdminApiError for a 409 on an idempotent PUT without retrying', async () => {
    const ex = exchange('060');
    nock(KONG).put('/services/x').reply(409, ex.response.body);
    const { c } = track(client());
    const err = await caught(c.request('PUT', '/services/x', { body: {} }));
    expect(err).toBeInstanceOf(AdminApiError);
    expect(err.status).toBe(409);
    expect(c.stats).toMatchObject({ requests: 1, retries: 0 });
  });

  it('maps 401 to E_KONG_AUTH with a hint about Kong-Admin-Token', async () => {
    nock(KONG).get('/services').query(true).reply(401, { message: 'Invalid credentials. Token or User credentials required' });
    const { c } = track(client());
    const err = await caught(c.listAll('/services'));
    expect(err).toBeInstanceOf(KongCtlError);
    expect(err.code).toBe('E_KONG_AUTH');
    expect(err.message).toContain('GET /services: 401 Unauthorized (Invalid credentials. Token or User credentials required)');
    expect(err.message).toContain("--header 'Kong-Admin-Token: …'");
    expect(c.stats.retries).toBe(0);
  });

  it('maps 403 to E_KONG_AUTH with a hint about RBAC', async () => {
    nock(KONG).delete('/services/orders').reply(403, { message: 'You cannot consume this service' });
    const { c } = track(client());
    const err = await caught(c.request('DELETE', '/services/orders'));
    expect(err.code).toBe('E_KONG_AUTH');
    expect(err.message).toContain('403 Forbidden');
    expect(err.message).toContain('RBAC');
  });
});

describe('retries', () => {
  it('backs off exponentially with full jitter (base delay injectable)', async () => {
    for (let i = 0; i < 3; i++) nock(KONG).get('/status').reply(502, 'Bad Gateway');
    nock(KONG).get('/status').reply(200, {});
    const { c, slept } = track(client({}, { baseDelayMs: 10, random: () => 0.99 }));
    await c.request('GET', '/status');
    expect(slept).toEqual([9, 19, 39]);
  });

  it.each([502, 503, 504])('retries a GET answered %i, then succeeds', async (status) => {
    nock(KONG).get('/services').query(true).reply(status, { message: 'busy' });
    nock(KONG).get('/services').query(true).reply(200, exchange('103').response.body);
    const { c } = track(client());
    expect(await c.listAll('/services')).toHaveLength(3);
    expect(c.stats.retries).toBe(1);
  });

  it('honours Retry-After in seconds on 429', async () => {
    nock(KONG).put('/services/a').reply(429, { message: 'API rate limit exceeded' }, { 'Retry-After': '2' });
    nock(KONG).put('/services/a').reply(200, { name: 'a' });
    const { c, slept } = track(client());
    await c.request('PUT', '/services/a', { body: { host: 'x' } });
    expect(slept).toEqual([2000]);
  });

  it('honours Retry-After as an HTTP-date, and caps it', async () => {
    nock(KONG).get('/').reply(429, {}, { 'Retry-After': 'Thu, 01 Jan 2026 00:00:03 GMT' });
    nock(KONG).get('/').reply(429, {}, { 'Retry-After': '86400' });
    nock(KONG).get('/').reply(200, {});
    const { c, slept } = track(client({}, { maxRetryAfterMs: 30_000 }));
    await c.request('GET', '/');
    expect(slept).toEqual([3000, 30_000]);
  });

  it('honours a real, small Retry-After with the default sleep', async () => {
    nock(KONG).get('/').reply(429, {}, { 'Retry-After': '0.05' });
    nock(KONG).get('/').reply(200, { version: '3.4.2' });
    const c = createAdminClient({ kongAddr: KONG, headers: [] });
    open.push(c);
    const started = Date.now();
    await c.request('GET', '/');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(c.stats.retries).toBe(1);
  });

  it('gives up after maxRetries and reports the last answer', async () => {
    nock(KONG).get('/').times(3).reply(503, { message: 'exiting' });
    const { c } = track(client({ maxRetries: 2 }));
    const err = await caught(c.request('GET', '/'));
    expect(err).toBeInstanceOf(AdminApiError);
    expect(err.status).toBe(503);
    expect(c.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it('never retries a POST answered 503', async () => {
    nock(KONG).post('/services').reply(503, { message: 'busy' });
    const { c } = track(client());
    const err = await caught(c.request('POST', '/services', { body: { name: 'a' } }));
    expect(err.status).toBe(503);
    expect(c.stats).toMatchObject({ requests: 1, retries: 0, writes: 1 });
  });

  it('never retries a PATCH, but retries a POST marked idempotent', async () => {
    nock(KONG).patch('/services/a').reply(502);
    const { c } = track(client());
    expect((await caught(c.request('PATCH', '/services/a', { body: {} }))).status).toBe(502);
    expect(c.stats.retries).toBe(0);

    nock(KONG).post('/config').reply(429, { message: 'Currently loading previous configuration' }, { 'Retry-After': '1' });
    nock(KONG).post('/config').reply(201, {});
    expect((await c.request('POST', '/config', { body: {}, idempotent: true })).status).toBe(201);
    expect(c.stats.retries).toBe(1);
  });

  it('does not retry a GET marked not idempotent', async () => {
    nock(KONG).get('/').reply(503);
    const { c } = track(client());
    expect((await caught(c.request('GET', '/', { idempotent: false }))).status).toBe(503);
    expect(c.stats.requests).toBe(1);
  });

});

describe('listAll', () => {
  it('follows offset across pages (recorded size=2 paging, fixtures 104/105)', async () => {
    const p1 = exchange('104');
    const p2 = exchange('105');
    nock(KONG).get('/services').query({ size: '2' }).reply(200, p1.response.body);
    nock(KONG).get('/services').query({ size: '2', offset: p1.response.body.offset }).reply(200, p2.response.body);
    const { c } = track(client());
    const all = await c.listAll<{ name: string }>('/services', { size: 2 });
    expect(all.map((s) => s.name)).toEqual(['inventory', 'orders', 'billing']);
    expect(c.stats.requests).toBe(2);
  });

  it('reads 2500 entities in pages of 1000', async () => {
    const services = Array.from({ length: 2500 }, (_, i) => ({ ...exchange('103').response.body.data[0], id: `id-${i}`, name: `svc-${i}` }));
    const pages = [services.slice(0, 1000), services.slice(1000, 2000), services.slice(2000)];
    nock(KONG).get('/services').query({ size: '1000' }).reply(200, { data: pages[0], offset: 'T2', next: '/services?offset=T2&size=1000' });
    nock(KONG).get('/services').query({ size: '1000', offset: 'T2' }).reply(200, { data: pages[1], offset: 'T3', next: '/services?offset=T3&size=1000' });
    nock(KONG).get('/services').query({ size: '1000', offset: 'T3' }).reply(200, { data: pages[2], next: null });
    const { c } = track(client());
    const all = await c.listAll<{ name: string }>('/services');
    expect(all).toHaveLength(2500);
    expect(all[0].name).toBe('svc-0');
    expect(all[2499].name).toBe('svc-2499');
    expect(c.stats.requests).toBe(3);
  });

  it('passes tags=a,b (AND) through to Kong', async () => {
    const ex = exchange('111');
    nock(KONG).get('/services').query({ size: '1000', tags: 'team-a,pci' }).reply(200, ex.response.body);
    const { c } = track(client());
    const all = await c.listAll<{ name: string }>('/services', { tags: 'team-a,pci' });
    expect(all.map((s) => s.name)).toEqual(['billing']);
  });

  it('encodes a tag with a space as %20 and keeps the comma literal', async () => {
    nock(KONG)
      .get((uri) => uri === '/services?size=1000&tags=team%20a,pci')
      .reply(200, { data: [], next: null });
    const { c } = track(client());
    expect(await c.listAll('/services', { tags: 'team a,pci' })).toEqual([]);
  });

  it('turns Kong’s 400 for a bad page size into an AdminApiError', async () => {
    nock(KONG).get('/services').query({ size: '1001' }).reply(400, exchange('115').response.body);
    const { c } = track(client());
    const err = await caught(c.listAll('/services', { size: 1001 }));
    expect(err).toBeInstanceOf(AdminApiError);
    expect(err.message).toContain('size must be an integer between 1 and 1000');
  });

  it('refuses a body that is not a collection, and a repeated offset', async () => {
    nock(KONG).get('/services').query(true).reply(200, '<html>proxy login</html>', { 'content-type': 'text/html' });
    const { c } = track(client());
    const err = await caught(c.listAll('/services'));
    expect(err.code).toBe('E_KONG_HTTP');

    nock(KONG).get('/routes').query({ size: '1000' }).reply(200, { data: [], offset: 'X' });
    nock(KONG).get('/routes').query({ size: '1000', offset: 'X' }).reply(200, { data: [], offset: 'X' });
    const err2 = await caught(c.listAll('/routes'));
    expect(err2.code).toBe('E_KONG_HTTP');
    expect(err2.message).toContain('same page offset twice');
  });
});
