/**
 * The recorded Kong 3.4.2 conversation (test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl) as a
 * replayable scenario: the setup read from the trace (plugin ids, __seq__, route/service/consumer
 * ids and timestamps, node id), the recorded upstream, the recorded requests, and the masks for
 * the values no two runs share. Shared by the harness's own replay (kong-pdk's server) and the
 * project plugin server's replay, so both compare against exactly the same thing.
 */
import { KongSim, keyAuthCredential, kongConsumer, kongRoute, kongService, type PluginInfo, type PluginServerProcess, type SimRequest, type SimResult, type WireRecord } from '../harness';
import { PROBE_JS, loadTrace, pluginsDir, startUpstream, type TestUpstream } from './helpers';

export const trace = loadTrace();
export const RS = '<run-specific>';

/** Every value that differs between two runs, by where it appears. */
export const RUN_SPECIFIC = {
  startInstanceResult: ['StartTime'],
  stepData: ['kong.request.get_start_time', 'kong.nginx.get_var request_id'],
  serviceFields: ['port'],
  responseHeaders: ['date', 'connection', 'x-kong-proxy-latency', 'x-kong-upstream-latency', 'x-kong-response-latency'],
  serializeFields: ['latencies', 'started_at', 'request.size', 'response.size', 'tries[].balancer_start', 'tries[].balancer_start_ns', 'tries[].balancer_latency', 'tries[].balancer_latency_ns', 'tries[].port', 'service.port'],
  probeAccessResult: ['requestId', 'startTime', 'service.port', 'route (same as StepRoute)'],
} as const;

export function maskHeaders(h: Record<string, unknown> | undefined): void {
  if (!h) return;
  for (const k of RUN_SPECIFIC.responseHeaders) if (k in h) h[k] = RS;
}

export function maskSerialize(json: string): unknown {
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

export function maskProbeResult(json: string): unknown {
  const d = JSON.parse(json) as Record<string, any>;
  d.requestId = RS;
  d.startTime = RS;
  if (d.service?.port !== undefined) d.service.port = RS;
  return d;
}

/** What Kong answered to every call of `method` in the trace, in order. */
export function kongAnswers(method: string): any[] {
  const out: any[] = [];
  for (let i = 0; i + 1 < trace.length; i++) {
    const data = (trace[i].msg as any[])[3]?.Data;
    if (trace[i].dir === 'ps->kong' && data?.Method === method) out.push((trace[i + 1].msg as any[])[3][0].Data);
  }
  return out;
}

/** The probe's StartInstance configs, in the order Kong sent them. */
export const starts = trace
  .filter((l) => l.dir === 'kong->ps' && l.msg[2] === 'plugin.StartInstance')
  .map((l) => JSON.parse((l.msg as any[])[3][0].Config) as Record<string, any>);
export const modes = starts.map((c) => c.mode as string);

export interface TraceRun {
  dir: string;
  server: PluginServerProcess;
  upstream: TestUpstream;
  sim: KongSim;
  wire: WireRecord[];
  /** Per probe mode, and `auth` for the key-auth route. */
  results: Map<string, SimResult>;
  close(): Promise<void>;
}

/**
 * Starts the given plugin server on the probe, plays the recorded requests through KongSim as
 * Kong 3.4.2 (non-strict: the probe calls an unknown method on purpose) and returns the run.
 */
export async function replayTrace(start: (pluginsDirectory: string) => Promise<{ server: PluginServerProcess; plugins: PluginInfo[] }>): Promise<TraceRun> {
  const wire: WireRecord[] = [];
  const results = new Map<string, SimResult>();
  const bodies = kongAnswers('kong.service.response.get_raw_body').map((d: { $bin: string }) => d.$bin);
  const body501 = bodies.find((b) => b.includes('501')) as string;
  const body404 = bodies.find((b) => b.includes('404')) as string;
  // the recorded upstream was Python's http.server: 501 for POST, 404 for GET /y
  const upstream = await startUpstream((req, res) => {
    const [status, body] = req.method === 'POST' ? [501, body501] : [404, body404];
    res.writeHead(status, { Server: 'SimpleHTTP/0.6 Python/3.11.7', Date: new Date().toUTCString(), Connection: 'close', 'Content-Type': 'text/html;charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  });

  const dir = pluginsDir(PROBE_JS);
  const { server, plugins } = await start(dir);

  const svc = kongAnswers('kong.router.get_service')[0];
  const routes = new Map<string, any>(kongAnswers('kong.router.get_route').map((r) => [r.id, r]));
  // the throw and noop probes never ask for their route: per the README it is /probe-<mode>
  for (const c of starts) {
    if (!routes.has(c.route_id)) routes.set(c.route_id, { id: c.route_id, name: `probe-${c.mode}`, paths: [`/probe-${c.mode}`], service: { id: svc.id }, created_at: svc.created_at, updated_at: svc.updated_at, ws_id: svc.ws_id });
  }
  const consumer = kongAnswers('kong.client.get_consumer').find((c) => c);
  const credential = kongAnswers('kong.client.get_credential').find((c) => c);
  const sim = new KongSim({
    kongVersion: '3.4.2',
    strict: false,
    nodeId: kongAnswers('kong.node.get_id')[0],
    workspaceId: svc.ws_id,
    servers: [{ name: 'js', socketPath: server.socketPath, plugins }],
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

  return {
    dir,
    server,
    upstream,
    sim,
    wire,
    results,
    async close() {
      sim.close();
      await server.stop();
      await upstream.close();
    },
  };
}
