/**
 * KongSim against real kong-js-pluginserver processes: strictness, round trips, exits,
 * fail-open on throws and on a dead plugin server, instance management.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongSim, MsgpackRpcClient, kongRoute, kongService, type HarnessError, type PluginServerBinding, type SimRequest, type SimResult } from '../harness';
import { PROBE_JS, echoUpstream, pluginsDir, type TestUpstream } from './helpers';
import { servePlugin, stopAll, type ServedPlugin } from './servers';

let upstream: TestUpstream;

function simWith(bindings: PluginServerBinding[], plugins: Array<{ name: string; config?: Record<string, unknown> }>, extra: Partial<ConstructorParameters<typeof KongSim>[0]> = {}): KongSim {
  const service = kongService({ host: '127.0.0.1', port: upstream.port });
  const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
  return new KongSim({
    servers: bindings,
    services: [service],
    routes: [route],
    plugins: plugins.map((p) => ({ ...p, route: route.id })),
    ...extra,
  });
}

const get = (headers: Array<[string, string]> = []): SimRequest => ({ method: 'GET', path: '/t/x?q=1', headers });

beforeAll(async () => {
  upstream = await echoUpstream();
});

afterAll(async () => {
  await upstream.close();
});

describe('strictness', () => {
  let typo: ServedPlugin;
  beforeAll(async () => {
    typo = await servePlugin('typo');
  });
  afterAll(() => stopAll([typo]));

  it('fails the request on an unknown PDK method that real Kong would answer with nil', async () => {
    const sim = simWith([typo.binding], [{ name: 'typo' }]);
    const err = (await sim.request(get()).catch((e: unknown) => e)) as HarnessError & { result: SimResult };
    sim.close();
    expect(err.code).toBe('E_PDK_VIOLATION');
    expect(err.message).toContain('kong.request.get_hedaer');
    // ...while the request itself went on as in Kong: nil for the plugin, proxied
    expect(err.result.status).toBe(200);
    expect(err.result.upstreamRequest?.headers.first('x-typo-result')).toBe('undefined');
    expect(err.result.kongLog.map((l) => l.message)).toContain('could not find pdk method: kong.request.get_hedaer');
    const call = err.result.calls.find((c) => c.method === 'kong.request.get_hedaer');
    expect(call).toMatchObject({ outcome: 'unknown-method', step: 'plugin.Step', hasData: false });
  });

  it('lets a non-strict run record the violation without failing', async () => {
    const sim = simWith([typo.binding], [{ name: 'typo' }], { strict: false });
    const res = await sim.request(get());
    sim.close();
    expect(res.violations).toMatchObject([{ kind: 'unknown-method', plugin: 'typo', phase: 'access', method: 'kong.request.get_hedaer' }]);
  });
});

describe('round trips', () => {
  let floor: ServedPlugin;
  let zero: ServedPlugin;
  beforeAll(async () => {
    [floor, zero] = await Promise.all([servePlugin('floor'), servePlugin('zero-calls')]);
  });
  afterAll(() => stopAll([floor, zero]));

  it('counts StartInstance once, then HandleEvent plus one Step per PDK call', async () => {
    const sim = simWith([floor.binding], [{ name: 'floor' }]);
    const first = await sim.request(get([['x-floor', 'v']]));
    const second = await sim.request(get([['x-floor', 'v']]));
    sim.close();
    expect(first.roundTrips).toBe(3);
    expect(second.roundTrips).toBe(2);
    expect(second.events).toHaveLength(1);
    expect(second.events[0]).toMatchObject({ plugin: 'floor', phase: 'access', outcome: 'ret', roundTrips: 2 });
    expect(second.calls).toMatchObject([{ method: 'kong.request.get_header', args: ['x-floor'], phase: 'access', step: 'plugin.Step', data: 'v' }]);
  });

  it("counts each request's own round trips when requests run concurrently (an HTTP front under load)", async () => {
    const sim = simWith([floor.binding], [{ name: 'floor' }]);
    await sim.request(get([['x-floor', 'v']]));
    const results = await Promise.all(Array.from({ length: 8 }, () => sim.request(get([['x-floor', 'v']]))));
    sim.close();
    expect(results.map((r) => r.roundTrips)).toEqual(Array(8).fill(2));
  });

  it('costs one HandleEvent per phase for a plugin that makes no PDK call', async () => {
    const sim = simWith([zero.binding], [{ name: 'zero-calls' }]);
    await sim.request(get());
    const res = await sim.request(get());
    sim.close();
    expect(res.events.map((e) => [e.phase, e.roundTrips, e.calls.length])).toEqual([
      ['access', 1, 0],
      ['log', 1, 0],
    ]);
    expect(res.roundTrips).toBe(2);
  });
});

describe('how a request ends', () => {
  let probe: ServedPlugin;
  let thrower: ServedPlugin;
  let relay: ServedPlugin;
  beforeAll(async () => {
    [probe, thrower, relay] = await Promise.all([servePlugin('pdk-probe', pluginsDir(PROBE_JS)), servePlugin('thrower'), servePlugin('ctx-relay')]);
  });
  afterAll(() => stopAll([probe, thrower, relay]));

  it('kong.response.exit ends the request: no further Step, no proxying, the log phase still runs', async () => {
    const sim = simWith([probe.binding], [{ name: 'pdk-probe', config: { mode: 'exit' } }], { strict: { allow: ['unknown-method'] } });
    const before = upstream.requests.length;
    const res = await sim.request({ method: 'POST', path: '/t/x', headers: [['content-type', 'application/json']], body: '{}' });
    sim.close();
    expect(res.status).toBe(418);
    expect(res.source).toBe('exit');
    expect(upstream.requests.length).toBe(before);
    const access = res.events.find((e) => e.phase === 'access');
    expect(access?.outcome).toBe('exit');
    const last = access?.calls[access.calls.length - 1];
    expect(last).toMatchObject({ method: 'kong.response.exit', outcome: 'exit' });
    expect(last?.step).toBeUndefined();
    expect(res.events.map((e) => e.phase)).toEqual(['access', 'log']);
  });

  it('a throwing handler fails open: the server logs "unhandled exception" and the request is proxied', async () => {
    const sim = simWith([thrower.binding], [{ name: 'thrower' }]);
    const res = await sim.request(get());
    sim.close();
    expect(res.status).toBe(200);
    expect(res.source).toBe('service');
    expect(res.events[0]).toMatchObject({ phase: 'access', outcome: 'ret', calls: [] });
    const line = await thrower.server.waitForLog('unhandled exception in thrower.access');
    expect(line).toContain('thrower: deliberate failure');
  });

  it('repeated request headers reach the plugin as arrays', async () => {
    const sim = simWith([relay.binding], [{ name: 'ctx-relay' }]);
    const res = await sim.request(get([['x-multi', 'one'], ['x-multi', 'two'], ['x-single', 's']]));
    sim.close();
    const call = res.calls.find((c) => c.method === 'kong.request.get_headers');
    expect(call?.step).toBe('plugin.StepMultiMap');
    expect((call?.data as Record<string, string[]>)['x-multi']).toEqual(['one', 'two']);
    expect((call?.data as Record<string, string[]>)['x-single']).toEqual(['s']);
    expect(res.upstreamRequest?.headers.first('x-relay-multi')).toBe('["one","two"]');
  });

  it('kong.ctx.shared persists across the access, response and log phases of one request only', async () => {
    const sim = simWith([relay.binding], [{ name: 'ctx-relay', config: { tag: 't1' } }]);
    const res = await sim.request(get([['x-multi', 'a']]));
    const other = await sim.request(get());
    sim.close();
    expect(JSON.parse(res.headers.first('x-relay-response') ?? 'null')).toEqual({ tag: 't1', multi: ['a'] });
    expect(res.kongLog).toContainEqual({ level: 'info', plugin: 'ctx-relay', message: 'relay in log: {"tag":"t1","multi":["a"]}' });
    expect(res.events.map((e) => e.phase)).toEqual(['access', 'response', 'log']);
    // a Lua table dropped the null `multi` of the second request (msgpack nil in a map)
    expect(JSON.parse(other.headers.first('x-relay-response') ?? 'null')).toEqual({ tag: 't1' });
  });
});

describe('plugin server failures, as Kong handles them', () => {
  let floor: ServedPlugin | undefined;
  afterAll(() => stopAll([floor]));

  it('a dead plugin server with a cached instance: Kong logs and proxies without the plugin', async () => {
    floor = await servePlugin('floor');
    const sim = simWith([floor.binding], [{ name: 'floor' }]);
    await sim.request(get());
    await floor.server.stop();
    const res = await sim.request(get());
    sim.close();
    expect(res.status).toBe(200);
    expect(res.source).toBe('service');
    // the killed server leaves its socket file behind: connection refused (no such file once removed)
    expect(res.events[0]).toMatchObject({ outcome: 'rpc-error', error: expect.stringMatching(/^(connection refused|no such file or directory)$/) });
    expect(res.kongLog.map((l) => l.message)).toContainEqual(expect.stringMatching(/^trying to connect: (connection refused|no such file or directory)$/));
  });

  it('an instance that cannot be started: 500 "An unexpected error occurred", as Kong 3.4 and 3.9 word it', async () => {
    const dead = floor as ServedPlugin;
    const old = simWith([dead.binding], [{ name: 'floor' }], { strict: { allow: ['lua-error'] }, kongVersion: '3.4.2' });
    const before = await old.request(get([['Accept', 'text/plain']]));
    old.close();
    // 3.4: the table the access iterator left, through kong.response.exit, whatever the client accepts
    expect(before.status).toBe(500);
    expect(before.json()).toEqual({ message: 'An unexpected error occurred' });
    // 3.9: through kong.response.error, so the error template by Accept, with the request id
    const plain = simWith([dead.binding], [{ name: 'floor' }], { strict: { allow: ['lua-error'] } });
    const text = await plain.request(get([['Accept', 'text/plain']]));
    plain.close();
    expect(text.status).toBe(500);
    expect(text.headers.first('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.text()).toBe(`An unexpected error occurred\nrequest_id: ${text.state.requestId}\n`);
    const sim = simWith([dead.binding], [{ name: 'floor' }], { strict: { allow: ['lua-error'] } });
    const res = await sim.request(get());
    sim.close();
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred', request_id: res.state.requestId });
    expect(res.source).toBe('error');
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.kongLog.map((l) => l.message)).toContainEqual(expect.stringMatching(/^starting instance: (connection refused|no such file or directory)$/));
  });

  it('"no plugin instance": Kong resets its instances and retries with a new one', async () => {
    await floor?.server.start();
    const served = floor as ServedPlugin;
    const sim = simWith([served.binding], [{ name: 'floor' }]);
    const first = await sim.request(get());
    const id = first.events[0].instanceId as number;
    const rpc = new MsgpackRpcClient(served.server.socketPath);
    expect(await rpc.call('plugin.CloseInstance', id)).toMatchObject({ ok: true });
    rpc.close();
    const res = await sim.request(get());
    sim.close();
    expect(res.status).toBe(200);
    expect(res.events.map((e) => e.outcome)).toEqual(['rpc-error', 'ret']);
    expect(res.events[0].error).toBe(`no plugin instance #${id}`);
    expect(res.events[1].instanceId).not.toBe(id);
    expect(res.kongLog).toContainEqual({ level: 'warn', message: `no plugin instance #${id}` });
  });

  it('a restarted plugin server: the cached instance is gone and Kong starts a new one', async () => {
    const served = floor as ServedPlugin;
    const sim = simWith([served.binding], [{ name: 'floor' }]);
    await sim.request(get());
    const pid = served.server.pid;
    await served.server.restart();
    expect(served.server.pid).not.toBe(pid);
    const res = await sim.request(get());
    sim.close();
    expect(res.status).toBe(200);
    expect(res.events.map((e) => e.outcome)).toEqual(['rpc-error', 'ret']);
    expect(res.events[1].calls).toHaveLength(1);
  });

  it('a config change starts a new instance and closes the old one', async () => {
    const served = floor as ServedPlugin;
    const wire: string[] = [];
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
    const sim = new KongSim({ servers: [served.binding], services: [service], routes: [route], onWire: (_s, r) => r.dir === 'kong->ps' && wire.push(String(r.msg[2])) });
    const plugin = sim.addPlugin({ name: 'floor', route: route.id });
    await sim.request(get());
    sim.updatePlugin(plugin.id, {});
    await sim.request(get());
    sim.close();
    expect(wire).toEqual(['plugin.StartInstance', 'plugin.HandleEvent', 'plugin.Step', 'plugin.StartInstance', 'plugin.CloseInstance', 'plugin.HandleEvent', 'plugin.Step']);
  });
});

describe('request bodies larger than client_body_buffer_size', () => {
  let reader: ServedPlugin;
  beforeAll(async () => {
    reader = await servePlugin('body-reader');
  });
  afterAll(() => stopAll([reader]));

  const post = (size: number): SimRequest => ({ method: 'POST', path: '/t', headers: [['content-type', 'text/plain']], body: 'x'.repeat(size) });

  it('a body in memory is sent as binary', async () => {
    const sim = simWith([reader.binding], [{ name: 'body-reader' }]);
    const res = await sim.request(post(100));
    sim.close();
    expect(res.upstreamRequest?.headers.first('x-body-length')).toBe('100');
    expect(Buffer.isBuffer(res.calls[0].data)).toBe(true);
  });

  it('Kong 3.4: a body buffered to a file makes get_raw_body nil, which Kong cannot pack: a 500', async () => {
    const sim = simWith([reader.binding], [{ name: 'body-reader' }], { kongVersion: '3.4.2', strict: { allow: ['lua-error'] } });
    const res = await sim.request(post(9000));
    sim.close();
    expect(res.status).toBe(500);
    expect(res.calls[0]).toMatchObject({ method: 'kong.request.get_raw_body', outcome: 'lua-error' });
    expect(res.violations).toMatchObject([{ kind: 'lua-error' }]);
  });

  it('Kong 3.9: get_raw_body(max) reads the buffered body up to max', async () => {
    const sim = simWith([reader.binding], [{ name: 'body-reader', config: { max: 16384 } }]);
    const res = await sim.request(post(9000));
    sim.close();
    expect(res.upstreamRequest?.headers.first('x-body-length')).toBe('9000');
  });

  it('Kong 3.9: above max it is nil again, hence the same 500', async () => {
    const sim = simWith([reader.binding], [{ name: 'body-reader', config: { max: 4096 } }], { strict: { allow: ['lua-error'] } });
    const res = await sim.request(post(9000));
    sim.close();
    expect(res.status).toBe(500);
  });
});

describe('the rewrite phase', () => {
  let rewriter: ServedPlugin;
  beforeAll(async () => {
    rewriter = await servePlugin('rewriter');
  });
  afterAll(() => stopAll([rewriter]));

  it('runs for a global plugin, before the router, and not for a route-scoped one', async () => {
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    const route = kongRoute({ paths: ['/t'], service: { id: service.id } });
    const global = new KongSim({ servers: [rewriter.binding], services: [service], routes: [route], plugins: [{ name: 'rewriter' }] });
    const res = await global.request(get());
    const unrouted = await global.request({ path: '/elsewhere' });
    global.close();
    expect(res.events.map((e) => e.phase)).toEqual(['rewrite']);
    expect(res.upstreamRequest?.headers.first('x-rewritten')).toBe('yes');
    // rewrite runs before routing, so even a request no route matches goes through it
    expect(unrouted.status).toBe(404);
    expect(unrouted.events.map((e) => e.phase)).toEqual(['rewrite']);

    const scoped = simWith([rewriter.binding], [{ name: 'rewriter' }]);
    const res2 = await scoped.request(get());
    scoped.close();
    expect(res2.events).toEqual([]);
    expect(res2.upstreamRequest?.headers.has('x-rewritten')).toBe(false);
  });
});
