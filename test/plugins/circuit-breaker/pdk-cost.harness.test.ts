/**
 * What circuit-breaker costs in PDK round trips (each one a unix-socket exchange with Kong), per
 * state and placement, counted on the wire by KongSim in strict mode (an unknown PDK method would
 * fail these tests). The floor is one HandleEvent per phase: 2 for access + log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { breakerConfig, burst, callsIn, startBreakerEnv, type BreakerEnv } from './harness-env';

let env: BreakerEnv;
beforeAll(async () => {
  env = await startBreakerEnv();
});
afterAll(async () => env?.close());

const FLOOR = 2;

/** The breaker's own round trips of one request (other plugins are Lua: none). */
function roundTrips(r: SimResult): number {
  return r.events.filter((e) => e.plugin === 'circuit-breaker').reduce((n, e) => n + e.roundTrips, 0);
}

async function warm(path: string): Promise<void> {
  await env.get(path); // starts the instance (StartInstance is one more round trip)
}

describe('closed circuit: 1 PDK call on top of the floor where the plugin sits on its scope, else 2', () => {
  it('scope service, plugin on the service: the service id comes from the instance config', async () => {
    const api = env.api('cost-service', { config: breakerConfig() });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(r.status).toBe(200);
    expect(callsIn(r, 'access')).toEqual([]);
    expect(callsIn(r, 'log')).toEqual(['kong.log.serialize']);
    expect(roundTrips(r)).toBe(FLOOR + 1);
    expect(r.roundTrips).toBe(FLOOR + 1);
  });

  it('scope route, plugin on the route: the route id comes from the instance config', async () => {
    const api = env.api('cost-route', { config: breakerConfig({ scope: 'route' }), attach: 'route' });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(callsIn(r, 'access')).toEqual([]);
    expect(callsIn(r, 'log')).toEqual(['kong.log.serialize']);
    expect(roundTrips(r)).toBe(FLOOR + 1);
  });

  it('scope service, plugin on a route: the router names the service', async () => {
    const api = env.api('cost-service-on-route', { config: breakerConfig(), attach: 'route' });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(callsIn(r, 'access')).toEqual(['kong.router.get_service']);
    expect(callsIn(r, 'log')).toEqual(['kong.log.serialize']);
    expect(roundTrips(r)).toBe(FLOOR + 2);
  });

  it('scope route, plugin on the service: the router names the route', async () => {
    const api = env.api('cost-route-on-service', { config: breakerConfig({ scope: 'route' }) });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(callsIn(r, 'access')).toEqual(['kong.router.get_route']);
    expect(roundTrips(r)).toBe(FLOOR + 2);
  });

  it('scope service_host, plugin on the service (service id from the instance config)', async () => {
    const api = env.api('cost-host', { config: breakerConfig({ scope: 'service_host' }) });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(callsIn(r, 'access')).toEqual(['kong.request.get_host']);
    expect(roundTrips(r)).toBe(FLOOR + 2);
  });

  it('scope service_host on a route: one more call, for the service', async () => {
    const api = env.api('cost-host-route', { config: breakerConfig({ scope: 'service_host' }), attach: 'route' });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(callsIn(r, 'access')).toEqual(['kong.router.get_service', 'kong.request.get_host']);
    expect(roundTrips(r)).toBe(FLOOR + 3);
  });

  it('a failing call costs the same; the request that opens the circuit logs it (one call more)', async () => {
    const api = env.api('cost-fail', { config: breakerConfig() });
    env.upstream.set('cost-fail', { status: 500 });
    await warm(api.path);
    const failed = await env.get(api.path);
    expect(roundTrips(failed)).toBe(FLOOR + 1);
    await env.get(api.path);
    const opening = await env.get(api.path);
    expect(callsIn(opening, 'log')).toEqual(['kong.log.serialize', 'kong.log.warn']);
  });
});

describe('open and half-open', () => {
  it('open, plugin on its service: access is HandleEvent answered by the exit; log reads serialize only', async () => {
    const api = env.api('cost-open', { config: breakerConfig() });
    env.upstream.set('cost-open', { status: 500 });
    await burst(env, api.path, 4);
    const r = await env.get(api.path);
    expect(r.status).toBe(503);
    expect(callsIn(r, 'access')).toEqual(['kong.response.exit']);
    expect(r.calls.find((c) => c.method === 'kong.response.exit')!.args).toEqual([
      503,
      { message: 'The upstream server is currently unavailable' },
      { 'Retry-After': '30', 'X-Circuit-Breaker-State': 'open' },
    ]);
    expect(callsIn(r, 'log')).toEqual(['kong.log.serialize']);
    // the exit is the answer to HandleEvent itself, and Kong sends no Step after it
    expect(r.events.find((e) => e.plugin === 'circuit-breaker' && e.phase === 'access')!.roundTrips).toBe(1);
    expect(roundTrips(r)).toBe(FLOOR + 1);
  });

  it('open, plugin on a route with scope service: the key call, then the exit', async () => {
    const api = env.api('cost-open-route', { config: breakerConfig(), attach: 'route' });
    env.upstream.set('cost-open-route', { status: 500 });
    await burst(env, api.path, 4);
    const r = await env.get(api.path);
    expect(r.status).toBe(503);
    expect(callsIn(r, 'access')).toEqual(['kong.router.get_service', 'kong.response.exit']);
    expect(roundTrips(r)).toBe(FLOOR + 2);
  });

  it('half-open: a probe marks itself in kong.ctx.shared and the log phase reads the mark', async () => {
    const api = env.api('cost-probe', { config: breakerConfig() });
    env.upstream.set('cost-probe', { status: 500 });
    await burst(env, api.path, 4);
    env.upstream.set('cost-probe', { status: 200 });
    env.advance(30_000);
    const probe = await env.get(api.path);
    expect(probe.status).toBe(200);
    expect(callsIn(probe, 'access')).toEqual(['kong.log.notice', 'kong.ctx.shared.set']);
    expect(callsIn(probe, 'log')).toEqual(['kong.log.serialize', 'kong.ctx.shared.get', 'kong.log.notice']);
    expect(probe.calls.find((c) => c.method === 'kong.ctx.shared.set')!.args[0]).toBe('circuit_breaker_probe');
    const after = await env.get(api.path);
    expect(roundTrips(after)).toBe(FLOOR + 1);
  });

  it('a request refused before the breaker costs it one call, in log', async () => {
    const api = env.api('cost-refused', { config: breakerConfig() });
    await warm(api.path);
    const r = await env.get(api.path, [['X-Terminate-Before', '403']]);
    expect(r.status).toBe(403);
    expect(callsIn(r, 'access')).toEqual([]);
    expect(callsIn(r, 'log')).toEqual(['kong.log.serialize']);
  });

  it('the state endpoint: one exit, no log call', async () => {
    const api = env.api('cost-state', { config: { state_endpoint: true }, attach: 'route' });
    await warm(api.path);
    const r = await env.get(api.path);
    expect(callsIn(r, 'access')).toEqual(['kong.response.exit']);
    expect(callsIn(r, 'log')).toEqual([]);
  });
});
