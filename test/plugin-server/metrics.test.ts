/**
 * The plugin server's own metrics, scraped over HTTP from a real server started with
 * `--metrics-port 0` (the bound port is read from its log line) while KongSim, playing Kong,
 * drives events through the ender fixture: every count is checked against what the Kong side
 * saw (KongSim's event records) and against a fixed expectation.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongSim, kongRoute, kongService, type EventRecord, type PluginServerProcess } from '../harness';
import { echoUpstream, type TestUpstream } from '../harness-tests/helpers';
import { delta, httpGet, metricsUrlOf, scrape, type Scrape } from '../plugins/metrics/scrape';
import { RawConnection, eventually, fixtureDir, ourDumpAllPlugins, ourServer } from './helpers';

const start = (config: Record<string, unknown>) => ({ Name: 'ender', Config: JSON.stringify({ __seq__: 0, __plugin_id: 'p', ms: 0, access: 'zero', response: 'zero', log: 'zero', ...config }) });
const EVENTS = 'kong_js_events_total';
const ender = (phase: string, outcome: string) => ({ plugin: 'ender', phase, outcome });

describe('server metrics through KongSim', () => {
  let server: PluginServerProcess;
  let upstream: TestUpstream;
  let sim: KongSim;
  let url: string;
  const N = 3;
  const MODES = ['return', 'exit', 'error', 'throw', 'zero'] as const;

  beforeAll(async () => {
    upstream = await echoUpstream();
    server = ourServer({ pluginsDirectory: fixtureDir('ender'), sockName: 'metrics.sock', args: ['--metrics-port', '0'] });
    await server.start();
    url = await metricsUrlOf(server);
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    sim = new KongSim({ servers: [{ name: 'ender', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(fixtureDir('ender')) }], services: [service] });
    for (const mode of MODES) {
      const route = sim.addRoute(kongRoute({ name: mode, paths: [`/${mode}`], service: { id: service.id } }));
      sim.addPlugin({ name: 'ender', route: route.id, config: { access: mode } });
    }
  });

  afterAll(async () => {
    sim?.close();
    await server?.stop();
    await upstream?.close();
  });

  it('listens on 127.0.0.1 and serves the series of the loaded plugin before any event, at 0', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const s = await scrape(url);
    expect(s.value('kong_js_plugin_info', { plugin: 'ender', version: '0.1.0' })).toBe(1);
    for (const phase of ['access', 'response', 'log']) {
      for (const outcome of ['ret', 'exit', 'error', 'exception', 'dropped', 'refused']) expect(s.value(EVENTS, ender(phase, outcome))).toBe(0);
      expect(s.value('kong_js_pdk_calls_total', { plugin: 'ender', phase })).toBe(0);
      expect(s.value('kong_js_event_duration_seconds_count', { plugin: 'ender', phase })).toBe(0);
    }
    expect(s.value('kong_js_event_table_size')).toBe(0);
    expect(s.value('kong_js_event_table_capacity')).toBe(50_000);
  });

  it('counts events by plugin, phase and outcome, PDK calls, latencies; the event table empties', async () => {
    const before = await scrape(url);
    const seen: EventRecord[] = [];
    const statuses: Record<string, number> = {};
    for (const mode of MODES) {
      for (let i = 0; i < N; i++) {
        const res = await sim.request({ method: 'GET', path: `/${mode}/x` });
        statuses[mode] = res.status;
        seen.push(...res.events);
      }
    }
    expect(statuses).toEqual({ return: 200, exit: 403, error: 403, throw: 500, zero: 200 });
    const after = await scrape(url);
    const d = (name: string, labels: Record<string, string>) => delta(after, before, name, labels);

    // access: return and zero end with "ret", exit/error with theirs, a throw is an exception
    expect(['ret', 'exit', 'error', 'exception', 'dropped', 'refused'].map((o) => d(EVENTS, ender('access', o)))).toEqual([2 * N, N, N, N, 0, 0]);
    // response runs only for the proxied requests (return, zero); log for every request
    expect(d(EVENTS, ender('response', 'ret'))).toBe(2 * N);
    expect(d(EVENTS, ender('log', 'ret'))).toBe(MODES.length * N);
    // the same as Kong saw them
    for (const phase of ['access', 'response', 'log'] as const) {
      const kongSaw = seen.filter((e) => e.phase === phase);
      const counted = ['ret', 'exit', 'error', 'exception'].reduce((n, o) => n + d(EVENTS, ender(phase, o)), 0);
      expect(counted).toBe(kongSaw.length);
      // PDK calls: what Kong received, exit/error included (a throw's 500 exit too)
      expect(d('kong_js_pdk_calls_total', { plugin: 'ender', phase })).toBe(kongSaw.reduce((n, e) => n + e.calls.length, 0));
      expect(d('kong_js_event_duration_seconds_count', { plugin: 'ender', phase })).toBe(kongSaw.length);
      expect(d('kong_js_event_duration_seconds_bucket', { plugin: 'ender', phase, le: '+Inf' })).toBe(kongSaw.length);
      expect(d('kong_js_event_duration_seconds_sum', { plugin: 'ender', phase })).toBeGreaterThan(0);
    }
    // return 1 call, exit 2 (getHeader, exit), error 1, throw 1 (the server's 500 exit), zero 0
    expect(d('kong_js_pdk_calls_total', { plugin: 'ender', phase: 'access' })).toBe(5 * N);
    expect(d('kong_js_pdk_calls_total', { plugin: 'ender', phase: 'log' })).toBe(0);

    expect(after.value('kong_js_event_table_size')).toBe(0);
    expect(after.value('kong_js_event_table_awaiting_kong')).toBe(0);
    expect(after.value('kong_js_plugin_instances')).toBe(MODES.length);
    expect(after.value('kong_js_kong_connections')).toBeGreaterThanOrEqual(1);
    for (const name of ['kong_js_heap_used_bytes', 'kong_js_heap_total_bytes', 'kong_js_resident_memory_bytes']) expect(after.value(name)).toBeGreaterThan(1_000_000);
    expect(after.value('kong_js_heap_used_bytes')).toBeLessThanOrEqual(after.value('kong_js_heap_total_bytes')!);
  });

  it('counts an event Kong abandoned as dropped, and shows it in the table meanwhile', async () => {
    const before = await scrape(url);
    const kong = await RawConnection.open(server.socketPath);
    await kong.write(kong.request(1, 'plugin.StartInstance', start({ access: 'call-hang' })));
    const [started] = await kong.waitFor(1);
    await kong.write(kong.request(2, 'plugin.HandleEvent', { InstanceId: (started[3] as { Id: number }).Id, EventName: 'access' }));
    const [, handled] = await kong.waitFor(2); // its PDK call: the event waits for Kong's Step
    const waiting = await scrape(url);
    expect(waiting.value('kong_js_event_table_size')).toBe(1);
    expect(waiting.value('kong_js_event_table_awaiting_kong')).toBe(1);
    // Kong answers; the handler then never finishes, and Kong's connection waiting for it closes
    await kong.write(kong.request(3, 'plugin.Step', { EventId: (handled[3] as { EventId: number }).EventId, Data: 'v' }));
    await eventually('the handler to run on', async () => ((await scrape(url)).value('kong_js_event_table_awaiting_kong') === 0 ? true : undefined));
    kong.close();
    const after = await eventually('the event to be dropped', async () => {
      const s = await scrape(url);
      return s.value('kong_js_event_table_size') === 0 ? s : undefined;
    });
    expect(delta(after, before, EVENTS, ender('access', 'dropped'))).toBe(1);
    expect(delta(after, before, 'kong_js_pdk_calls_total', { plugin: 'ender', phase: 'access' })).toBe(1);
    // a dropped event's time is Kong's silence, not the handler's: not in the latency histogram
    expect(delta(after, before, 'kong_js_event_duration_seconds_count', { plugin: 'ender', phase: 'access' })).toBe(0);
  });

  it('answers GET and HEAD on /metrics only', async () => {
    const base = url.replace(/\/metrics$/, '');
    expect((await httpGet(`${url}?name[]=x`)).status).toBe(200);
    const head = await httpGet(url, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    for (const p of ['/', '/metric', '/metrics/', '/status']) expect((await httpGet(`${base}${p}`)).status, p).toBe(404);
    const post = await httpGet(url, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });
});

describe('refusals and SIGTERM', () => {
  let server: PluginServerProcess | undefined;
  afterAll(async () => server?.stop('SIGKILL'));

  it('counts refused events, and closes the endpoint at SIGTERM while events still drain', async () => {
    server = ourServer({ pluginsDirectory: fixtureDir('ender'), args: ['--metrics-port', '0', '--max-events', '1', '--shutdown-timeout', '600'] });
    await server.start();
    const url = await metricsUrlOf(server);
    const port = Number(new URL(url).port);
    const kong = await RawConnection.open(server.socketPath);
    await kong.write(kong.request(1, 'plugin.StartInstance', start({ access: 'hang' })));
    const [started] = await kong.waitFor(1);
    const id = (started[3] as { Id: number }).Id;
    // the first event never ends and never waits for Kong: the full table refuses the next ones
    await kong.write(kong.request(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }));
    await eventually('the event to start', async () => ((await scrape(url)).value('kong_js_event_table_size') === 1 ? true : undefined));
    await kong.write(kong.request(3, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }));
    await kong.write(kong.request(4, 'plugin.HandleEvent', { InstanceId: id, EventName: 'log' }));
    const answers = await kong.waitFor(3);
    expect(answers.slice(1).map((m) => (m[3] as { Data: unknown }).Data)).toEqual([{ Method: 'kong.response.error', Args: [503] }, 'ret']);
    const s: Scrape = await scrape(url);
    expect(s.value(EVENTS, ender('access', 'refused'))).toBe(1);
    expect(s.value(EVENTS, ender('log', 'refused'))).toBe(1);
    expect(s.value('kong_js_event_table_capacity')).toBe(1);

    process.kill(server.pid!, 'SIGTERM');
    await server.waitForLog(/SIGTERM: shutting down; 1 event\(s\) in flight/);
    // the hung event keeps the process alive (shutdown waits up to 600 s), the endpoint is gone
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.running).toBe(true);
    kong.close();
  });
});

function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}
