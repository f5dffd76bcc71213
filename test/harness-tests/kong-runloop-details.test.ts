/**
 * Details of Kong's runloop the harness follows, with the real plugin server where a plugin is
 * involved: the X-Forwarded-* headers Kong sends upstream (trusted_ips, realip), and what
 * kong.log.serialize() reports after a failed connection and under buffered proxying.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../support/ports';
import { KongSim, keyAuthCredential, kongConsumer, kongRoute, kongService, type KongSimOptions, type NativePlugin, type SimResult } from '../harness';
import { echoUpstream, startUpstream, type TestUpstream } from './helpers';
import { servePlugin, stopAll, type ServedPlugin } from './servers';

let upstream: TestUpstream;
let serializer: ServedPlugin;
let ctxReader: ServedPlugin;


function sim(options: Partial<KongSimOptions> & { port?: number; withPlugin?: boolean } = {}): KongSim {
  const service = kongService({ host: '127.0.0.1', port: options.port ?? upstream.port, retries: 0 });
  const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
  return new KongSim({
    servers: options.withPlugin ? [serializer.binding] : [],
    services: [service],
    routes: [route],
    plugins: options.withPlugin ? [{ name: 'log-serializer', route: route.id }] : [],
    ...options,
  });
}

function serialized(res: SimResult): { upstream_status: unknown; latencies: { proxy: number }; client_ip: string } {
  const call = res.calls.find((c) => c.method === 'kong.log.serialize');
  return JSON.parse(String(call?.data)) as { upstream_status: unknown; latencies: { proxy: number }; client_ip: string };
}

beforeAll(async () => {
  upstream = await echoUpstream();
  serializer = await servePlugin('log-serializer');
  ctxReader = await servePlugin('ctx-reader');
});

afterAll(async () => {
  await stopAll([serializer, ctxReader]);
  await upstream.close();
});

describe('X-Forwarded-* upstream (kong/runloop/handler.lua access.before, nginx_kong.lua proxy_set_header)', () => {
  it('from a trusted peer: its X-Forwarded-* kept, its X-Real-IP as $remote_addr, itself appended to X-Forwarded-For', async () => {
    const kong = sim({ trustedIps: ['10.0.0.0/8'] });
    const res = await kong.request({
      path: '/t/x',
      clientIp: '10.0.0.5',
      headers: [['X-Forwarded-For', '203.0.113.7'], ['X-Real-IP', '203.0.113.7'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'api.example'], ['X-Forwarded-Port', '443']],
    });
    kong.close();
    const sent = res.upstreamRequest?.headers;
    expect(sent?.first('x-forwarded-for')).toBe('203.0.113.7, 10.0.0.5');
    expect(sent?.first('x-real-ip')).toBe('203.0.113.7');
    expect(sent?.first('x-forwarded-proto')).toBe('https');
    expect(sent?.first('x-forwarded-host')).toBe('api.example');
    expect(sent?.first('x-forwarded-port')).toBe('443');
  });

  it("from anyone else: X-Forwarded-For still appended to (as nginx's $proxy_add_x_forwarded_for), the rest replaced", async () => {
    const kong = sim({ trustedIps: ['10.0.0.0/8'] });
    const res = await kong.request({
      path: '/t/x',
      clientIp: '198.51.100.1',
      headers: [['X-Forwarded-For', '203.0.113.7'], ['X-Real-IP', '203.0.113.7'], ['X-Forwarded-Proto', 'https']],
    });
    kong.close();
    const sent = res.upstreamRequest?.headers;
    expect(sent?.first('x-forwarded-for')).toBe('203.0.113.7, 198.51.100.1');
    expect(sent?.first('x-real-ip')).toBe('198.51.100.1');
    expect(sent?.first('x-forwarded-proto')).toBe('http');
  });

  it('Kong 3.9 reads the first line of a repeated X-Forwarded-For (tools/http get_header with ctx); 3.4 the joined $http_x_forwarded_for', async () => {
    const headers: Array<[string, string]> = [['X-Forwarded-For', '1.1.1.1'], ['X-Forwarded-For', '2.2.2.2']];
    const newer = sim();
    const a = await newer.request({ path: '/t/x', clientIp: '198.51.100.1', headers });
    newer.close();
    expect(a.upstreamRequest?.headers.first('x-forwarded-for')).toBe('1.1.1.1, 198.51.100.1');
    const older = sim({ kongVersion: '3.4.2' });
    const b = await older.request({ path: '/t/x', clientIp: '198.51.100.1', headers });
    older.close();
    expect(b.upstreamRequest?.headers.first('x-forwarded-for')).toBe('1.1.1.1, 2.2.2.2, 198.51.100.1');
  });
});

describe('a request body without a declared length (nginx proxy_request_buffering, $proxy_internal_body_length)', () => {
  it.each([
    ['an HTTP/2 GET with a body', { method: 'GET', httpVersion: 2 }],
    ['an HTTP/2 POST', { method: 'POST', httpVersion: 2 }],
    ['a chunked GET', { method: 'GET', headers: [['Transfer-Encoding', 'chunked']] as Array<[string, string]> }],
  ])('%s reaches the upstream with the Content-Length nginx read, as one request', async (_, req) => {
    const kong = sim();
    const res = await kong.request({ path: '/t/x', body: '{"a":1}', ...req });
    kong.close();
    expect(res.status).toBe(200);
    expect(res.upstreamRequest?.headers.first('content-length')).toBe('7');
    const echoed = res.json() as { method: string; headers: Record<string, string>; body: string };
    expect(echoed.method).toBe(req.method);
    expect(echoed.headers['content-length']).toBe('7');
    expect(echoed.headers['transfer-encoding']).toBeUndefined();
    expect(echoed.body).toBe('{"a":1}');
  });

  it('an HTTP/2 GET without a body gets none', async () => {
    const kong = sim();
    const res = await kong.request({ path: '/t/x', method: 'GET', httpVersion: 2 });
    kong.close();
    expect(res.upstreamRequest?.headers.has('content-length')).toBe(false);
  });
});

describe('key-auth with `anonymous` (kong/plugins/key-auth/handler.lua)', () => {
  const consumer = kongConsumer({ username: 'anon' });
  const alice = kongConsumer({ username: 'alice' });
  const credential = keyAuthCredential({ consumer: { id: alice.id }, key: 'alice-key' });
  function anonSim(): KongSim {
    const service = kongService({ host: '127.0.0.1', port: upstream.port, retries: 0 });
    const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
    return new KongSim({
      services: [service],
      routes: [route],
      consumers: [consumer, alice],
      credentials: [credential],
      plugins: [{ name: 'key-auth', route: route.id, config: { anonymous: consumer.id } }],
    });
  }

  it.each([
    ['no key', []],
    ['a key nobody has', [['apikey', 'nope']]],
    ['two keys', [['apikey', 'a'], ['apikey', 'b']]],
  ] as Array<[string, Array<[string, string]>]>)('%s: proxied as the anonymous consumer, without a credential', async (_, headers) => {
    const kong = anonSim();
    const res = await kong.request({ path: '/t/x', headers });
    kong.close();
    expect(res.status).toBe(200);
    expect(res.state.consumer?.id).toBe(consumer.id);
    expect(res.state.credential).toBeUndefined();
    expect(res.upstreamRequest?.headers.first('x-anonymous-consumer')).toBe('true');
    expect(res.upstreamRequest?.headers.first('x-consumer-id')).toBe(consumer.id);
  });

  it('a valid key: its consumer and credential, not the anonymous one', async () => {
    const kong = anonSim();
    const res = await kong.request({ path: '/t/x', headers: [['apikey', 'alice-key']] });
    kong.close();
    expect(res.state.consumer?.id).toBe(alice.id);
    expect(res.state.credential?.id).toBe(credential.id);
    expect(res.upstreamRequest?.headers.has('x-anonymous-consumer')).toBe(false);
  });
});

describe('kong.log.serialize() (kong/pdk/log.lua)', () => {
  it("reports the client's forwarded address as client_ip", async () => {
    const kong = sim({ withPlugin: true, trustedIps: ['10.0.0.0/8'] });
    const res = await kong.request({ path: '/t/x', clientIp: '10.0.0.5', headers: [['X-Real-IP', '203.0.113.7']] });
    kong.close();
    expect(serialized(res).client_ip).toBe('203.0.113.7');
  });

  // Kong.access sets ctx.KONG_PROXIED before the balancer, so after a refused connection
  // header_filter still computes KONG_WAITING_TIME, and latencies.proxy is that time, not -1
  it('after a refused connection: latencies.proxy is the time waited, and the latency headers are sent', async () => {
    const kong = sim({ withPlugin: true, port: await closedPort() });
    const res = await kong.request({ path: '/t/x' });
    kong.close();
    expect(res.status).toBe(502);
    expect(res.source).toBe('error');
    expect(serialized(res).latencies.proxy).toBeGreaterThanOrEqual(0);
    expect(res.headers.has('x-kong-upstream-latency')).toBe(true);
  });

  // Buffered proxying is a subrequest: the main request's $upstream_status is empty; from 3.8
  // log.lua falls back to ctx.buffered_status (CHANGELOG 3.8.0, #12953)
  it('under buffered proxying: upstream_status is the status from Kong 3.8, "" before', async () => {
    const newer = sim({ withPlugin: true });
    const a = await newer.request({ path: '/t/x' });
    newer.close();
    expect(a.state.buffered).toBe(true);
    expect(serialized(a).upstream_status).toBe(200);
    const older = sim({ withPlugin: true, kongVersion: '3.4.2' });
    const b = await older.request({ path: '/t/x' });
    older.close();
    expect(serialized(b).upstream_status).toBe('');
  });
});

/** A Lua plugin after ctx-reader (priority 1000) refusing every request in access. */
const refuser: NativePlugin = {
  name: 'refuser',
  priority: 10,
  access(pdk) {
    pdk.call('kong.response.exit', 403, { message: 'no' });
  },
};

describe('ngx.ctx in an external plugin\'s log timer (kong.nginx.get_ctx on the saved clone)', () => {
  async function ctxInLog(options: { port?: number; kongVersion?: string; httpVersion?: number; upgrade?: boolean; refuse?: boolean } = {}) {
    const service = kongService({ host: '127.0.0.1', port: options.port ?? upstream.port, retries: 0 });
    const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
    const kong = new KongSim({
      kongVersion: options.kongVersion,
      servers: [ctxReader.binding],
      nativePlugins: [refuser],
      services: [service],
      routes: [route],
      plugins: [{ name: 'ctx-reader', route: route.id }, ...(options.refuse ? [{ name: 'refuser', route: route.id }] : [])],
    });
    const headers: Array<[string, string]> = options.upgrade ? [['Connection', 'upgrade'], ['Upgrade', 'websocket']] : [];
    const res = await kong.request({ path: '/t/x', httpVersion: options.httpVersion, headers });
    kong.close();
    const line = res.kongLog.find((l) => l.plugin === 'ctx-reader' && l.message.startsWith('ctx in log: '));
    expect(line, JSON.stringify(res.kongLog)).toBeDefined();
    return { res, ctx: JSON.parse(line!.message.slice('ctx in log: '.length)) as Record<string, unknown> };
  }

  it('a proxied, buffered request: KONG_PROXIED and buffered_proxying are both true', async () => {
    const { res, ctx } = await ctxInLog();
    expect(res.status).toBe(200);
    expect(ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: true });
  });

  // kong/init.lua Kong.access sets KONG_PROXIED only once no plugin answered (delayed response)
  it('a request a later plugin refused in access: never proxied', async () => {
    const { res, ctx } = await ctxInLog({ refuse: true });
    expect(res.status).toBe(403);
    expect(res.source).toBe('exit');
    expect(ctx.KONG_PROXIED).toBeNull();
  });

  // KONG_PROXIED is set before the balancer: a refused connection looks proxied. Kong's error
  // handler, run in the /kong_buffered_http subrequest on the shared ctx, clears
  // buffered_proxying (kong/error_handlers.lua "Reset relevant context values")
  it('a refused connection (Kong\'s 502 under buffering): proxied, buffered_proxying cleared by the error handler', async () => {
    const { res, ctx } = await ctxInLog({ port: await closedPort() });
    expect(res.status).toBe(502);
    expect(ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: null });
  });

  // kong/init.lua Kong.access: "response buffering was turned off: ...", ctx.buffered_proxying = nil
  it('HTTP/2 before Kong 3.9: buffering turned off (notice logged), buffered_proxying cleared; from 3.9 kept', async () => {
    const older = await ctxInLog({ kongVersion: '3.4.2', httpVersion: 2 });
    expect(older.res.state.buffered).toBe(false);
    expect(older.ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: null });
    expect(older.res.kongLog).toContainEqual({ level: 'notice', message: 'response buffering was turned off: incompatible HTTP version (2)' });
    const newer = await ctxInLog({ kongVersion: '3.9.1', httpVersion: 2 });
    expect(newer.res.state.buffered).toBe(true);
    expect(newer.ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: true });
  });

  it('a connection upgrade: buffering turned off on every version', async () => {
    const { res, ctx } = await ctxInLog({ upgrade: true });
    expect(res.state.buffered).toBe(false);
    expect(ctx.buffered_proxying).toBeNull();
    expect(res.kongLog).toContainEqual({ level: 'notice', message: 'response buffering was turned off: connection upgrade (websocket)' });
  });
});

/** What a Lua plugin's response handler saw; `raw_body` is the error it raised, if any. */
interface ResponseSeen {
  status: unknown;
  source: unknown;
  service_status: unknown;
  service_content_type: unknown;
  raw_body: unknown;
}

describe('an upstream failure under buffered proxying (kong/init.lua Kong.response, Kong.handle_error in the subrequest)', () => {
  let silent: TestUpstream;
  let truncating: TestUpstream;

  beforeAll(async () => {
    // Holds the request past read_timeout; the late answer goes to a connection Kong closed.
    silent = await startUpstream((_req, res) => void setTimeout(() => res.destroyed || res.end(), 1500));
    // Headers, then a body cut off before its Content-Length.
    truncating = await startUpstream((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '100' });
      res.write('cut short', () => res.socket?.destroy());
    });
  });
  afterAll(async () => {
    await silent.close();
    await truncating.close();
  });

  async function proxied(options: { port: number; readTimeout?: number; kongVersion?: string; httpVersion?: number; accept?: string }) {
    const seen: ResponseSeen[] = [];
    const probe: NativePlugin = {
      name: 'response-probe',
      priority: 500,
      response(pdk) {
        let rawBody: unknown;
        try {
          rawBody = pdk.call('kong.service.response.get_raw_body');
        } catch (e) {
          rawBody = `raised: ${(e as Error).message}`;
        }
        seen.push({
          status: pdk.call('kong.response.get_status'),
          source: pdk.call('kong.response.get_source'),
          service_status: pdk.call('kong.service.response.get_status'),
          service_content_type: pdk.call('kong.service.response.get_header', 'Content-Type'),
          raw_body: rawBody,
        });
      },
    };
    const service = kongService({ host: '127.0.0.1', port: options.port, retries: 0, read_timeout: options.readTimeout ?? 60000 });
    const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
    const kong = new KongSim({
      kongVersion: options.kongVersion,
      servers: [ctxReader.binding],
      nativePlugins: [probe],
      services: [service],
      routes: [route],
      plugins: [{ name: 'ctx-reader', route: route.id }, { name: 'response-probe', route: route.id }],
    });
    const headers: Array<[string, string]> = options.accept ? [['Accept', options.accept]] : [];
    const res = await kong.request({ path: '/t/x', httpVersion: options.httpVersion, headers });
    kong.close();
    const line = res.kongLog.find((l) => l.plugin === 'ctx-reader' && l.message.startsWith('ctx in log: '));
    const ctx = JSON.parse(line!.message.slice('ctx in log: '.length)) as Record<string, unknown>;
    return { res, seen, ctx };
  }

  for (const version of ['3.4.2', '3.9.1']) {
    it(`Kong ${version}, connection refused: the response phase runs with Kong's 502 as the buffered response, get_source "error"`, async () => {
      const { res, seen, ctx } = await proxied({ port: await closedPort(), kongVersion: version });
      expect(seen).toEqual([
        {
          status: 502,
          source: 'error',
          service_status: 502,
          service_content_type: 'application/json; charset=utf-8',
          raw_body: 'raised: service body is only available with buffered proxying (see: kong.service.request.enable_buffering function)',
        },
      ]);
      expect(res.status).toBe(502);
      expect(res.source).toBe('error');
      expect(JSON.parse(res.text())).toMatchObject({ message: 'An invalid response was received from the upstream server' });
      // finished as a buffered (proxied) response: header_filter's proxied branch
      expect(res.headers.has('via')).toBe(true);
      expect(res.state.bufferedStatus).toBe(502);
      expect(res.state.bufferedBody?.toString('utf8')).toBe(res.text());
      expect(ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: null });
    });
  }

  it('a read timeout: the response phase runs with 504 and the error body the client\'s Accept picks', async () => {
    const { res, seen } = await proxied({ port: silent.port, readTimeout: 200, accept: 'text/plain' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ status: 504, source: 'error', service_status: 504, service_content_type: 'text/plain; charset=utf-8' });
    expect(res.status).toBe(504);
    expect(res.text().split('\n')[0]).toBe('The upstream server is timing out');
    expect(res.state.bufferedHeaders?.first('content-type')).toBe('text/plain; charset=utf-8');
  });

  // `if res.truncated and options.method ~= ngx.HTTP_HEAD then ... return kong_error_handlers(ctx)`:
  // no response phase, and no Kong.handle_error (KONG_UNEXPECTED unset), but the handler's exit
  // sets KONG_EXITED
  it('a body cut off after the headers (res.truncated): Kong answers 502 itself and skips the response phase', async () => {
    const { res, seen, ctx } = await proxied({ port: truncating.port });
    expect(seen).toEqual([]);
    expect(res.status).toBe(502);
    expect(res.source).toBe('exit');
    expect(ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: null });
  });

  it('without buffering (HTTP/2 on Kong 3.4): Kong\'s 502 as before, no response phase', async () => {
    const { res, seen, ctx } = await proxied({ port: await closedPort(), kongVersion: '3.4.2', httpVersion: 2 });
    expect(seen).toEqual([]);
    expect(res.status).toBe(502);
    expect(res.source).toBe('error');
    expect(res.state.bufferedStatus).toBeUndefined();
    expect(ctx).toEqual({ KONG_PROXIED: true, buffered_proxying: null });
  });
});
