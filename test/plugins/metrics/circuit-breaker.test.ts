/**
 * circuit-breaker's metrics, scraped from the plugin server Kong would run (with --metrics-port),
 * with KongSim playing Kong in front of the flaky upstream of the plugin's own tests and the
 * plugin clock moved by the test: the state gauge per breaker (the same breakers and states as
 * the plugin's state endpoint shows), transitions, and the 503s of open and half-open circuits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpUpstream, kongRoute, kongService, type KongService } from '../../harness';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';
import { T0, TERMINATORS, breakerConfig } from '../circuit-breaker/harness-env';
import { FlakyUpstream } from '../circuit-breaker/upstream';
import { delta, type Scrape } from './scrape';
import { startMetricsNode, type MetricsNode } from './env';

const STATE = 'kong_js_circuit_breaker_state';
const TRANSITIONS = 'kong_js_circuit_breaker_transitions_total';
const REJECTIONS = 'kong_js_circuit_breaker_rejections_total';

let upstream: FlakyUpstream;
let node: MetricsNode;
let clock = T0;
let statePath: string;

const advance = (ms: number) => node.setClock((clock += ms / 1000));
const get = (path: string) => node.sim.request({ method: 'GET', path });

/** Sends `n` GETs one after the other; their statuses. */
async function burst(path: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await get(path)).status);
  return statuses;
}

/** A service `/<name>` on the flaky upstream with circuit-breaker on it. */
function api(name: string, config: Record<string, unknown> | undefined): { path: string; service: KongService } {
  const service = node.sim.addService(kongService({ name, host: '127.0.0.1', port: upstream.port, path: `/${name}`, retries: 0 }));
  const route = node.sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } }));
  if (config) node.sim.addPlugin({ name: 'circuit-breaker', service: service.id, config });
  return { path: `/${name}`, service };
}

/** The gauge's breakers: `breaker` label -> the state whose series is 1 (and every series exactly 0 or 1). */
function gaugeStates(s: Scrape): Record<string, string> {
  const out: Record<string, string> = {};
  const series = s.series(STATE);
  for (const x of series) {
    expect([0, 1]).toContain(x.value);
    if (x.value === 1) out[x.labels.breaker!] = x.labels.state!;
  }
  expect(series.length).toBe(3 * Object.keys(out).length);
  return out;
}

async function stateEndpoint(): Promise<StateJson> {
  const res = await get(statePath);
  expect(res.status).toBe(200);
  return res.json() as StateJson;
}

beforeAll(async () => {
  upstream = new FlakyUpstream();
  await upstream.start();
  node = await startMetricsNode({ plugin: 'circuit-breaker', clock: T0, sim: { nativePlugins: TERMINATORS, upstream: httpUpstream } });
  const admin = node.sim.addService(kongService({ name: '_breakers', host: '127.0.0.1', port: upstream.port }));
  const route = node.sim.addRoute(kongRoute({ name: '_breakers', paths: ['/_breakers'], service: { id: admin.id } }));
  node.sim.addPlugin({ name: 'circuit-breaker', route: route.id, config: { state_endpoint: true } });
  statePath = '/_breakers';
});

afterAll(async () => {
  await node?.close();
  await upstream?.close();
});

describe('circuit-breaker metrics', () => {
  it('shows no breaker before any request, and every transition at 0', async () => {
    const s = await node.scrape();
    expect(s.declares(STATE)).toBe(true);
    expect(s.series(STATE)).toEqual([]);
    expect(s.series(TRANSITIONS).map((x) => `${x.labels.from}->${x.labels.to}=${x.value}`).sort()).toEqual([
      'closed->open=0',
      'half_open->closed=0',
      'half_open->open=0',
      'open->half_open=0',
    ]);
    expect(s.value(REJECTIONS, { state: 'open' })).toBe(0);
    expect(s.value(REJECTIONS, { state: 'half_open' })).toBe(0);
  });

  it('tracks each breaker through open, half-open and closed, with its transitions and 503s', async () => {
    const before = await node.scrape();
    const failing = api('failing', breakerConfig({ minimum_requests: 4 }));
    const healthy = api('healthy', breakerConfig());
    const failingKey = `service:${failing.service.id}`;
    const healthyKey = `service:${healthy.service.id}`;
    upstream.set('failing', { status: 500 });
    upstream.set('healthy', { status: 200 });
    expect(await burst(healthy.path, 2)).toEqual([200, 200]);
    expect(await burst(failing.path, 4)).toEqual([500, 500, 500, 500]);

    let s = await node.scrape();
    expect(gaugeStates(s)).toEqual({ [failingKey]: 'open', [healthyKey]: 'closed' });
    // the labels are the state endpoint's: key, config_id, the service's name
    const shown = (await stateEndpoint()).breakers;
    expect(shown.map((b) => [b.key, b.state]).sort()).toEqual([
      [failingKey, 'open'],
      [healthyKey, 'closed'],
    ].sort());
    for (const b of shown) {
      expect(s.value(STATE, { breaker: b.key, name: b.name ?? '', config: b.config_id, state: b.state })).toBe(1);
    }
    expect(s.value(STATE, { breaker: failingKey, name: 'failing', config: shown.find((b) => b.key === failingKey)!.config_id, state: 'closed' })).toBe(0);

    expect(await burst(failing.path, 3)).toEqual([503, 503, 503]);
    // past the open duration the circuit shows half-open before a request makes the move
    advance(30_000);
    s = await node.scrape();
    expect(gaugeStates(s)[failingKey]).toBe('half_open');
    expect(delta(s, before, TRANSITIONS, { from: 'open', to: 'half_open' })).toBe(0);

    // a probe that fails reopens it; the next probe succeeds and closes it
    expect((await get(failing.path)).status).toBe(500);
    expect(gaugeStates(await node.scrape())[failingKey]).toBe('open');
    expect((await get(failing.path)).status).toBe(503);
    advance(30_000);
    upstream.set('failing', { status: 200 });
    expect((await get(failing.path)).status).toBe(200);

    const after = await node.scrape();
    expect(gaugeStates(after)).toEqual({ [failingKey]: 'closed', [healthyKey]: 'closed' });
    const moved = Object.fromEntries(after.series(TRANSITIONS).map((x) => [`${x.labels.from}->${x.labels.to}`, delta(after, before, TRANSITIONS, x.labels)]));
    expect(moved).toEqual({ 'closed->open': 1, 'open->half_open': 2, 'half_open->open': 1, 'half_open->closed': 1 });
    expect(delta(after, before, REJECTIONS, { state: 'open' })).toBe(4);
    expect(delta(after, before, REJECTIONS, { state: 'half_open' })).toBe(0);
  });

  it('drops the series of a breaker the plugin forgot (idle beyond its window and open duration)', async () => {
    expect(Object.keys(gaugeStates(await node.scrape())).length).toBe(2);
    advance(24 * 3600 * 1000);
    const s = await node.scrape();
    expect(s.series(STATE)).toEqual([]);
    expect((await stateEndpoint()).breakers).toEqual([]);
  });
});
