/**
 * The recorded Kong 3.4.2 conversation (test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl), replayed
 * by KongSim against OUR plugin server running pdk-probe.js: the same setup and requests as
 * test/harness-tests/trace-replay.test.ts (which runs kong-pdk's server), compared message by
 * message with the trace.
 *
 * One request differs by design: mode "throw". kong-pdk answers a throwing handler with "ret"
 * and Kong proxies (fail open); ours answers `kong.response.exit(500, {message = "An unexpected
 * error occurred"})`, so Kong ends that request with its 500, never proxies, and runs no response
 * phase — one event and one RPC fewer. Every other request must be identical; ids (msgid,
 * EventId) are compared relative to the request's first, since the throw request shifts them.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongSim, dumpAllPlugins, keyAuthCredential, kongConsumer, kongRoute, kongService, type PluginServerProcess, type SimRequest, type SimResult, type WireRecord } from '../harness';
import { PROBE_JS, binAsTrace, loadTrace, pluginsDir, startUpstream, type TestUpstream, type TraceLine } from '../harness-tests/helpers';
import { ourDumpAllPlugins, ourServer } from './helpers';

const trace = loadTrace();
const RS = '<run-specific>';

// The run-specific values of test/harness-tests/trace-replay.test.ts (RUN_SPECIFIC there), masked the same way.
function maskHeaders(h: Record<string, unknown> | undefined): void {
  if (!h) return;
  for (const k of ['date', 'connection', 'x-kong-proxy-latency', 'x-kong-upstream-latency', 'x-kong-response-latency']) if (k in h) h[k] = RS;
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

type Line = { dir: string; msg: unknown[] };

/** One request's messages, run-specific values masked, msgid and EventId relative to the request's first. */
function normalizeSegment(lines: Line[]): unknown[] {
  let last: { method: string; args: unknown[] } | undefined;
  const firstMsgid = lines[0].msg[1] as number;
  let firstEvent: number | undefined;
  return lines.map((line) => {
    const msg = structuredClone(binAsTrace(line.msg)) as any[];
    msg[1] = (msg[1] as number) - firstMsgid;
    if (line.dir === 'ps->kong' && msg[0] === 1 && msg[3] && typeof msg[3] === 'object') {
      if ('StartTime' in msg[3]) msg[3].StartTime = RS;
      const data = msg[3].Data;
      if (data?.Method === 'kong.ctx.shared.set' && data.Args[0] === 'probe_access_result') data.Args[1] = maskProbeResult(data.Args[1]);
      if (typeof msg[3].EventId === 'number') {
        firstEvent ??= msg[3].EventId;
        msg[3].EventId -= firstEvent as number;
      }
    }
    if (line.dir === 'kong->ps' && typeof msg[2] === 'string' && msg[2].startsWith('plugin.Step')) {
      const p = msg[3][0] as { Data?: any; EventId: number };
      p.EventId -= firstEvent as number;
      const m = last?.method;
      if (m === 'kong.request.get_start_time' || (m === 'kong.nginx.get_var' && last?.args[0] === 'request_id')) p.Data = RS;
      if (m === 'kong.router.get_service' && p.Data) p.Data.port = RS;
      if (m === 'kong.response.get_headers') maskHeaders(p.Data);
      if (m === 'kong.log.serialize') p.Data = maskSerialize(p.Data);
    }
    if (line.dir === 'kong->ps' && msg[2] === 'plugin.StartInstance') msg[3][0].Config = JSON.parse(msg[3][0].Config);
    const data = (line.msg[3] as { Data?: any } | undefined)?.Data;
    if (line.dir === 'ps->kong') last = data && typeof data === 'object' && 'Method' in data ? { method: data.Method, args: data.Args } : undefined;
    return { dir: line.dir, msg };
  });
}

/** Splits a conversation into requests: each of the eight requests starts its own instance. */
function segments(lines: Line[]): Line[][] {
  const out: Line[][] = [];
  for (const l of lines) {
    if (l.dir === 'kong->ps' && l.msg[2] === 'plugin.StartInstance') out.push([]);
    out[out.length - 1].push(l);
  }
  return out;
}

/** "kong->ps plugin.X" / "ps->kong <PDK method | ret>" for each message. */
function shape(lines: Line[]): string[] {
  return lines.map((l) => {
    if (l.dir === 'kong->ps') return `kong->ps ${String(l.msg[2])}`;
    const data = (l.msg[3] as { Data?: any } | undefined)?.Data;
    return `ps->kong ${data && typeof data === 'object' && 'Method' in data ? data.Method : JSON.stringify(data ?? null)}`;
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

describe('the recorded Kong 3.4.2 conversation, replayed against our plugin server', () => {
  let server: PluginServerProcess;
  let upstream: TestUpstream;
  let sim: KongSim;
  const wire: WireRecord[] = [];
  const results = new Map<string, SimResult>();
  const starts = trace.filter((l) => l.dir === 'kong->ps' && l.msg[2] === 'plugin.StartInstance').map((l) => JSON.parse((l.msg as any[])[3][0].Config) as Record<string, any>);
  const modes = starts.map((c) => c.mode as string);
  const throwIndex = modes.indexOf('throw');
  let dir: string;

  beforeAll(async () => {
    const bodies = kongAnswers('kong.service.response.get_raw_body').map((d: { $bin: string }) => d.$bin);
    const body501 = bodies.find((b) => b.includes('501')) as string;
    const body404 = bodies.find((b) => b.includes('404')) as string;
    upstream = await startUpstream((req, res) => {
      const [status, body] = req.method === 'POST' ? [501, body501] : [404, body404];
      res.writeHead(status, { Server: 'SimpleHTTP/0.6 Python/3.11.7', Date: new Date().toUTCString(), Connection: 'close', 'Content-Type': 'text/html;charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    });

    dir = pluginsDir(PROBE_JS);
    server = ourServer({ pluginsDirectory: dir, sockName: 'probe.sock' });
    await server.start();

    const svc = kongAnswers('kong.router.get_service')[0];
    const routes = new Map<string, any>(kongAnswers('kong.router.get_route').map((r) => [r.id, r]));
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
      // registered from OUR query command, as Kong would with our server in kong.conf
      servers: [{ name: 'js', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(dir) }],
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

  it('registers the probe from our query command exactly as from kong-pdk\'s', async () => {
    expect(await ourDumpAllPlugins(dir)).toEqual(await dumpAllPlugins(dir));
  });

  it('has the same conversation as real Kong had, request by request, except the throw request', () => {
    const ours = segments(wire);
    const theirs = segments(trace as TraceLine[]);
    expect(ours.length).toBe(8);
    expect(theirs.length).toBe(8);
    expect(throwIndex).toBe(4);
    for (let i = 0; i < theirs.length; i++) {
      if (i === throwIndex) continue;
      const a = normalizeSegment(ours[i]);
      const b = normalizeSegment(theirs[i]);
      const firstDiff = b.findIndex((m, j) => !isDeepStrictEqual(m, a[j]));
      if (firstDiff >= 0) expect({ request: modes[i], index: firstDiff, ...(a[firstDiff] as object) }).toEqual({ request: modes[i], index: firstDiff, ...(b[firstDiff] as object) });
      expect(a).toEqual(b);
    }
    // ids as kong-pdk hands them out: instances and events from 0, one new instance per request
    expect((wire[1].msg[3] as { Id: number }).Id).toBe(0);
    expect((wire[3].msg[3] as { EventId: number }).EventId).toBe(0);
  });

  it('answers the throw with Kong\'s 500 exit instead of "ret", so no response phase runs', () => {
    const ours = segments(wire)[throwIndex];
    const theirs = segments(trace as TraceLine[])[throwIndex];
    const recorded = shape(theirs);
    expect(recorded).toEqual(expect.arrayContaining(['kong->ps plugin.HandleEvent']));
    // recorded: access -> "ret", response -> "ret", then the log event
    const logStart = theirs.findIndex((l) => l.dir === 'kong->ps' && (l.msg[3] as any[])[0]?.EventName === 'log');
    const expected = [
      ...recorded.slice(0, 3),
      'ps->kong kong.response.exit',
      ...recorded.slice(logStart),
    ];
    expect(shape(ours)).toEqual(expected);
    expect(normalizeSegment(ours).slice(0, 2)).toEqual(normalizeSegment(theirs).slice(0, 2));
    expect((ours[3].msg[3] as { Data: unknown }).Data).toEqual({ Method: 'kong.response.exit', Args: [500, { message: 'An unexpected error occurred' }] });
    const thrown = results.get('throw') as SimResult;
    expect(thrown.status).toBe(500);
    expect(thrown.source).toBe('exit');
    expect(thrown.text()).toBe('{"message":"An unexpected error occurred"}');
    expect(thrown.upstreamRequest).toBeUndefined();
    expect(thrown.events.map((e) => e.phase)).toEqual(['access', 'log']);
    const status = thrown.calls.find((c) => c.phase === 'log' && c.method === 'kong.response.get_status');
    expect(status?.data).toBe(500);
    expect(server.logs.some((l) => /\[WARN\] unhandled exception in pdk-probe\.access on instance #4 \(event #\d+\); answered 500: Error: probe: deliberate throw/.test(l))).toBe(true);
  });

  it('answers with the Step type Kong chose for every PDK method, and no Step follows exit/error', () => {
    const stepOf = (lines: Line[]): string[] => {
      const out: string[] = [];
      for (let i = 0; i + 1 < lines.length; i++) {
        const data = (lines[i].msg as any[])[3]?.Data;
        if (lines[i].dir === 'ps->kong' && data?.Method && lines[i + 1].dir === 'kong->ps') out.push(`${data.Method} -> ${String(lines[i + 1].msg[2])}`);
      }
      return out;
    };
    const withoutThrow = (lines: Line[]): Line[] => segments(lines).filter((_, i) => i !== throwIndex).flat();
    expect(stepOf(withoutThrow(wire))).toEqual(stepOf(withoutThrow(trace as TraceLine[])));
    const ours = stepOf(wire);
    for (const typed of ['StepMultiMap', 'StepConsumer', 'StepRoute', 'StepCredential', 'StepService']) expect(ours.some((s) => s.endsWith(`plugin.${typed}`))).toBe(true);
    expect(ours.filter((s) => /kong\.response\.(exit|error) ->/.test(s)).every((s) => s.endsWith('plugin.HandleEvent'))).toBe(true);
  });

  it('ends the other requests the way the trace README says Kong did', () => {
    expect(results.get('exit')?.status).toBe(418);
    expect(results.get('exit')?.text()).toBe('{"message":"probe exit"}');
    expect(results.get('exit-table')?.text()).toBe('{"message":"probe exit table"}');
    expect(results.get('error')?.text()).toBe('{\n  "message":"probe error"\n}');
    expect(results.get('noop')?.status).toBe(501);
    expect(results.get('respond')?.text()).toBe('replayed-body');
    expect(results.get('auth')?.upstreamRequest?.headers.first('x-consumer-username')).toBe('probe-user');
    // pass, noop, respond and the second pass reached the upstream; the throw did not
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([...Array(3).fill('POST /x?a=1&a=2&b=3'), 'GET /y']);
  });

  it('still lets KongSim flag the probe\'s unknown PDK method (strictness works with our server)', () => {
    const unknown = sim.violations.filter((v) => v.kind === 'unknown-method');
    // one per request whose access got that far: not the throw, not the noop
    expect(unknown.map((v) => v.method)).toEqual(Array(6).fill('kong.request.get_no_such_thing'));
    expect(sim.violations.filter((v) => v.kind !== 'unknown-method')).toEqual([]);
  });
});
