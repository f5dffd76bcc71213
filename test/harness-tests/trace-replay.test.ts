/**
 * The harness is faithful if, given the setup and requests recorded in
 * test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl, the real kong-js-pluginserver running
 * pdk-probe.js has the same conversation with KongSim as it had with Kong 3.4.2: same messages
 * in the same order (so the same PDK calls, the same Step types, no Step after exit/error), and
 * the same Data — except for the values listed in RUN_SPECIFIC, which no two runs share.
 *
 * The setup is read from the trace itself (plugin ids, __seq__, route/service/consumer ids and
 * timestamps, node id); entity fields the trace does not show as inputs come from the harness's
 * own Kong defaults, so they are checked, not copied.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongSim, PluginServerProcess, dumpAllPlugins, keyAuthCredential, kongConsumer, kongRoute, kongService, type SimRequest, type SimResult, type WireRecord } from '../harness';
import { PROBE_JS, binAsTrace, loadTrace, pluginsDir, startUpstream, type TestUpstream, type TraceLine } from './helpers';

const trace = loadTrace();
const RS = '<run-specific>';

/** Every value that differs between two runs, by where it appears. */
const RUN_SPECIFIC = {
  startInstanceResult: ['StartTime'],
  stepData: ['kong.request.get_start_time', 'kong.nginx.get_var request_id'],
  serviceFields: ['port'],
  responseHeaders: ['date', 'connection', 'x-kong-proxy-latency', 'x-kong-upstream-latency', 'x-kong-response-latency'],
  serializeFields: ['latencies', 'started_at', 'request.size', 'response.size', 'tries[].balancer_start', 'tries[].balancer_start_ns', 'tries[].balancer_latency', 'tries[].balancer_latency_ns', 'tries[].port', 'service.port'],
  probeAccessResult: ['requestId', 'startTime', 'service.port', 'route (same as StepRoute)'],
} as const;

function maskHeaders(h: Record<string, unknown> | undefined): void {
  if (!h) return;
  for (const k of RUN_SPECIFIC.responseHeaders) if (k in h) h[k] = RS;
}

function maskSerialize(json: string): unknown {
  const d = JSON.parse(json) as Record<string, any>;
  d.latencies = RS;
  d.started_at = RS;
  d.request.size = RS;
  d.response.size = RS;
  maskHeaders(d.response.headers);
  for (const t of d.tries as Array<Record<string, unknown>>) {
    for (const k of ['balancer_start', 'balancer_start_ns', 'balancer_latency', 'balancer_latency_ns', 'port']) t[k] = RS;
  }
  if (d.service) d.service.port = RS;
  return d;
}

function maskProbeResult(json: string): unknown {
  const d = JSON.parse(json) as Record<string, any>;
  d.requestId = RS;
  d.startTime = RS;
  if (d.service?.port !== undefined) d.service.port = RS;
  return d;
}

/** One message with the run-specific values replaced; `lastCall` is the PDK call a Step answers. */
function normalize(line: { dir: string; msg: unknown[] }, lastCall: { method: string; args: unknown[] } | undefined): unknown {
  const msg = structuredClone(binAsTrace(line.msg)) as any[];
  if (line.dir === 'ps->kong' && msg[0] === 1 && msg[3] && typeof msg[3] === 'object' && 'StartTime' in msg[3]) msg[3].StartTime = RS;
  if (line.dir === 'ps->kong' && msg[0] === 1) {
    const data = msg[3]?.Data;
    if (data?.Method === 'kong.ctx.shared.set' && data.Args[0] === 'probe_access_result') data.Args[1] = maskProbeResult(data.Args[1]);
  }
  if (line.dir === 'kong->ps' && typeof msg[2] === 'string' && msg[2].startsWith('plugin.Step') && lastCall) {
    const p = msg[3][0] as { Data?: any };
    const m = lastCall.method;
    if (m === 'kong.request.get_start_time' || (m === 'kong.nginx.get_var' && lastCall.args[0] === 'request_id')) p.Data = RS;
    if (m === 'kong.router.get_service' && p.Data) p.Data.port = RS;
    if (m === 'kong.response.get_headers') maskHeaders(p.Data);
    if (m === 'kong.log.serialize') p.Data = maskSerialize(p.Data);
  }
  if (line.dir === 'kong->ps' && msg[2] === 'plugin.StartInstance') msg[3][0].Config = JSON.parse(msg[3][0].Config);
  return { dir: line.dir, msg };
}

function normalizeAll(lines: Array<{ dir: string; msg: unknown[] }>): unknown[] {
  let last: { method: string; args: unknown[] } | undefined;
  return lines.map((l) => {
    const n = normalize(l, last);
    const data = (l.msg as any[])[3]?.Data;
    if (l.dir === 'ps->kong') last = data && typeof data === 'object' && 'Method' in data ? { method: data.Method, args: data.Args } : undefined;
    return n;
  });
}

const kongAnswers = (method: string): any[] => {
  const out: any[] = [];
  for (let i = 0; i + 1 < trace.length; i++) {
    const data = (trace[i].msg as any[])[3]?.Data;
    if (trace[i].dir === 'ps->kong' && data?.Method === method) out.push((trace[i + 1].msg as any[])[3][0].Data);
  }
  return out;
};

describe('KongSim replays the recorded Kong 3.4.2 conversation', () => {
  let server: PluginServerProcess;
  let upstream: TestUpstream;
  let sim: KongSim;
  const wire: WireRecord[] = [];
  const results = new Map<string, SimResult>();

  const starts = trace.filter((l) => l.dir === 'kong->ps' && l.msg[2] === 'plugin.StartInstance').map((l) => JSON.parse((l.msg as any[])[3][0].Config) as Record<string, any>);
  const modes = starts.map((c) => c.mode as string);

  beforeAll(async () => {
    const bodies = kongAnswers('kong.service.response.get_raw_body').map((d: { $bin: string }) => d.$bin);
    const body501 = bodies.find((b) => b.includes('501')) as string;
    const body404 = bodies.find((b) => b.includes('404')) as string;
    // the recorded upstream was Python's http.server: 501 for POST, 404 for GET /y
    upstream = await startUpstream((req, res) => {
      const [status, body] = req.method === 'POST' ? [501, body501] : [404, body404];
      res.writeHead(status, { Server: 'SimpleHTTP/0.6 Python/3.11.7', Date: new Date().toUTCString(), Connection: 'close', 'Content-Type': 'text/html;charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    });

    const dir = pluginsDir(PROBE_JS);
    server = PluginServerProcess.kongJs({ pluginsDirectory: dir, sockName: 'probe.sock' });
    await server.start();

    const svc = kongAnswers('kong.router.get_service')[0];
    const routes = new Map<string, any>(kongAnswers('kong.router.get_route').map((r) => [r.id, r]));
    // the throw and noop probes never ask for their route: per the README it is /probe-<mode>
    for (const c of starts) {
      if (!routes.has(c.route_id)) routes.set(c.route_id, { id: c.route_id, name: `probe-${c.mode}`, paths: [`/probe-${c.mode}`], service: { id: svc.id }, created_at: svc.created_at, updated_at: svc.updated_at, ws_id: svc.ws_id });
    }
    const consumer = kongAnswers('kong.client.get_consumer').find((c) => c);
    const credential = kongAnswers('kong.client.get_credential').find((c) => c);
    sim = new KongSim({
      kongVersion: '3.4.2',
      strict: false,
      nodeId: kongAnswers('kong.node.get_id')[0],
      workspaceId: svc.ws_id,
      servers: [{ name: 'js', socketPath: server.socketPath, plugins: await dumpAllPlugins(dir) }],
      services: [kongService({ id: svc.id, name: svc.name, host: '127.0.0.1', port: upstream.port, path: svc.path, created_at: svc.created_at, updated_at: svc.updated_at, ws_id: svc.ws_id })],
      routes: [...routes.values()].map((r) => kongRoute({ id: r.id, name: r.name, paths: r.paths, service: r.service, created_at: r.created_at, updated_at: r.updated_at, ws_id: r.ws_id })),
      consumers: [kongConsumer({ id: consumer.id, username: consumer.username, created_at: consumer.created_at, updated_at: consumer.updated_at })],
      credentials: [keyAuthCredential({ id: credential.id, key: credential.key, consumer: credential.consumer, created_at: credential.created_at })],
      plugins: [
        ...starts.map((c) => ({ name: 'pdk-probe', id: c.__plugin_id, route: c.route_id, seq: c.__seq__, config: { mode: c.mode } })),
        { name: 'key-auth', route: [...routes.values()].find((r) => r.name === 'probe-auth').id },
      ],
      onWire: (_server, rec) => wire.push(rec),
    });

    const post = (mode: string): SimRequest => ({
      method: 'POST',
      path: `/probe-${mode}/x?a=1&a=2&b=3`,
      headers: [
        ['Host', '127.0.0.1:8000'],
        ['User-Agent', 'curl/7.88.1'],
        ['Accept', '*/*'],
        ['x-multi', 'one'],
        ['x-multi', 'two'],
        ['x-strip-me', 's'],
        ['Content-Type', 'application/json'],
        ['Content-Length', '17'],
      ],
      body: '{"hello":"world"}',
      serverPort: 8000,
    });
    const auth: SimRequest = { method: 'GET', path: '/probe-auth/y', headers: [['Host', '127.0.0.1:8000'], ['User-Agent', 'curl/7.88.1'], ['Accept', '*/*'], ['apikey', 'probe-key']], serverPort: 8000 };
    for (const mode of modes.slice(0, -1)) results.set(mode, await sim.handle(post(mode)));
    results.set('auth', await sim.handle(auth));
  });

  afterAll(async () => {
    sim?.close();
    await server?.stop();
    await upstream?.close();
  });

  it('recorded the eight requests the trace describes', () => {
    expect(modes).toEqual(['pass', 'exit', 'exit-table', 'error', 'throw', 'noop', 'respond', 'pass']);
    expect(results.size).toBe(8);
  });

  it('has the same conversation, message by message, modulo the listed run-specific values', () => {
    const ours = normalizeAll(wire);
    const theirs = normalizeAll(trace as TraceLine[]);
    const firstDiff = theirs.findIndex((m, i) => !isDeepStrictEqual(m, ours[i]));
    if (firstDiff >= 0) expect({ index: firstDiff, ...(ours[firstDiff] as object) }).toEqual({ index: firstDiff, ...(theirs[firstDiff] as object) });
    expect(ours.length).toBe(theirs.length);
    expect(ours).toEqual(theirs);
  });

  it('answers with the Step type Kong chose for every PDK method', () => {
    const stepOf = (lines: Array<{ dir: string; msg: unknown[] }>): string[] => {
      const out: string[] = [];
      for (let i = 0; i + 1 < lines.length; i++) {
        const data = (lines[i].msg as any[])[3]?.Data;
        if (lines[i].dir === 'ps->kong' && data?.Method && lines[i + 1].dir === 'kong->ps') out.push(`${data.Method} -> ${String(lines[i + 1].msg[2])}`);
      }
      return out;
    };
    expect(stepOf(wire)).toEqual(stepOf(trace));
    const ours = stepOf(wire);
    for (const typed of ['StepMultiMap', 'StepConsumer', 'StepCredential', 'StepRoute', 'StepService']) expect(ours.some((s) => s.endsWith(`plugin.${typed}`))).toBe(true);
    // no Step after exit/error: Kong's next message is the next event
    expect(ours.filter((s) => /kong\.response\.(exit|error) ->/.test(s)).every((s) => s.endsWith('plugin.HandleEvent'))).toBe(true);
  });

  it('ends each request the way the trace README says Kong did', () => {
    const exit = results.get('exit') as SimResult;
    expect(exit.status).toBe(418);
    expect(exit.text()).toBe('{"message":"probe exit"}');
    expect(exit.headers.first('x-probe-exit')).toBe('yes');
    expect(exit.headers.first('x-probe-resp')).toBe('r');
    expect(exit.upstreamRequest).toBeUndefined();

    const table = results.get('exit-table') as SimResult;
    expect(table.status).toBe(403);
    expect(table.text()).toBe('{"message":"probe exit table"}');
    expect(table.headers.first('content-type')).toBe('application/json; charset=utf-8');

    const error = results.get('error') as SimResult;
    expect(error.status).toBe(403);
    expect(error.text()).toBe('{\n  "message":"probe error"\n}');

    const thrown = results.get('throw') as SimResult;
    expect(thrown.status).toBe(501);
    expect(thrown.source).toBe('service');

    const respond = results.get('respond') as SimResult;
    expect(respond.status).toBe(200);
    expect(respond.text()).toBe('replayed-body');
    expect(respond.headers.first('x-replayed')).toBe('true');
    expect(respond.headers.first('server')).toBe('SimpleHTTP/0.6 Python/3.11.7');
    expect(respond.headers.first('content-type')).toBe('text/html;charset=utf-8');
  });

  it('proxied the service-request mutations and key-auth headers upstream', () => {
    const pass = results.get('pass') as SimResult;
    const sent = pass.upstreamRequest;
    expect(sent?.path).toBe('/x?a=1&a=2&b=3');
    expect(sent?.headers.values('x-probe-b')).toEqual(['b1', 'b2']);
    expect(sent?.headers.has('x-strip-me')).toBe(false);
    const auth = results.get('auth') as SimResult;
    expect(auth.upstreamRequest?.headers.first('x-consumer-username')).toBe('probe-user');
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([...Array(4).fill('POST /x?a=1&a=2&b=3'), 'GET /y']);
  });

  it('flags the probe\'s unknown PDK method, which real Kong answered with nothing', () => {
    const unknown = sim.violations.filter((v) => v.kind === 'unknown-method');
    expect(unknown.map((v) => v.method)).toEqual(Array(6).fill('kong.request.get_no_such_thing'));
    expect(sim.violations.filter((v) => v.kind !== 'unknown-method')).toEqual([]);
  });
});
