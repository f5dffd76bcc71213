/**
 * Which requests share a breaker, what does not count, and what survives an instance restart —
 * through the real plugin server and a real loopback upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakerConfig, burst, startBreakerEnvWithState, type BreakerEnv } from './harness-env';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';

let env: BreakerEnv;
let statePath: string;
beforeAll(async () => ({ env, statePath } = await startBreakerEnvWithState()));
afterAll(async () => env?.close());

async function stateOf(key: string): Promise<StateJson['breakers']> {
  const all = (await env.get(statePath)).json() as StateJson;
  return all.breakers.filter((b) => b.key === key);
}

describe('scope', () => {
  it('one breaker per service: a failing service does not open another', async () => {
    const a = env.api('svc-a', { config: breakerConfig() });
    const b = env.api('svc-b', { config: breakerConfig() });
    env.upstream.set('svc-a', { status: 500 });
    await burst(env, a.path, 4);
    expect((await env.get(a.path)).status).toBe(503);
    expect(await burst(env, b.path, 3)).toEqual([200, 200, 200]);
    expect(env.upstream.hits('svc-b')).toBe(3);
  });

  it('scope service: the routes of a service share its breaker (the plugin on the service or global)', async () => {
    const first = env.api('shared-1', { config: breakerConfig() });
    const second = env.api('shared-2', { service: first.service });
    env.upstream.set('shared-1', { status: 500 });
    await burst(env, first.path, 2);
    await burst(env, second.path, 2);
    expect((await env.get(second.path)).status).toBe(503);
    expect((await env.get(first.path)).status).toBe(503);
  });

  it('scope route: each route has its own breaker', async () => {
    const first = env.api('per-route-1', { config: breakerConfig({ scope: 'route' }), attach: 'route' });
    const second = env.api('per-route-2', { config: breakerConfig({ scope: 'route' }), attach: 'route', service: first.service });
    env.upstream.set('per-route-1', { status: 500 });
    await burst(env, first.path, 4);
    expect((await env.get(first.path)).status).toBe(503);
    expect((await env.get(second.path)).status).toBe(500); // same upstream, still closed
    expect(await stateOf(`route:${second.routeId}`)).toMatchObject([{ state: 'closed', window: { calls: 1, failures: 1 } }]);
  });

  it('scope service_host: one breaker per Host the client asked for', async () => {
    const api = env.api('tenants', { config: breakerConfig({ scope: 'service_host' }), hosts: ['a.example.com', 'b.example.com'] });
    env.upstream.set('tenants', { status: 500 });
    const host = (h: string) => [['Host', h]] as Array<[string, string]>;
    for (let i = 0; i < 4; i++) await env.get(api.path, host('A.example.com'));
    expect((await env.get(api.path, host('a.example.com'))).status).toBe(503);
    expect((await env.get(api.path, host('b.example.com'))).status).toBe(500);
    expect(await stateOf(`service_host:${api.service.id}|a.example.com`)).toMatchObject([{ state: 'open', host: 'a.example.com' }]);
  });

  it('a global plugin breaks per service too', async () => {
    // a global entity applies to every route without a more specific one: give it a config of
    // its own so the other tests' breakers are unaffected, then remove it
    const g = env.api('global', { config: breakerConfig({ minimum_requests: 3 }), attach: 'global' });
    const other = env.api('global-other');
    try {
      env.upstream.set('global', { status: 500 });
      await burst(env, g.path, 3);
      expect((await env.get(g.path)).status).toBe(503);
      expect((await env.get(other.path)).status).toBe(200);
      expect(await stateOf(`service:${g.service.id}`)).toMatchObject([{ state: 'open', name: 'global' }]);
    } finally {
      env.sim.plugins.get(g.pluginId!)!.enabled = false;
    }
  });
});

describe('what does not count', () => {
  it('requests another plugin refused before the breaker never reach it, whatever their status', async () => {
    const api = env.api('refused-before', { config: breakerConfig() });
    env.upstream.set('refused-before', { status: 500 });
    for (let i = 0; i < 10; i++) expect((await env.get(api.path, [['X-Terminate-Before', '503']])).status).toBe(503);
    expect(await burst(env, api.path, 3)).toEqual([500, 500, 500]); // 3 calls: below the minimum of 4
    expect(await stateOf(`service:${api.service.id}`)).toMatchObject([{ state: 'closed', window: { calls: 3, failures: 3 }, pending_calls: 0 }]);
    expect(await burst(env, api.path, 2)).toEqual([500, 503]);
    expect(env.upstream.hits('refused-before')).toBe(4);
  });

  it('requests refused after the breaker let them through stay pending, then drop out of the counts', async () => {
    // a window much longer than the pending timeout: the dropped calls leave it only by being taken out
    const api = env.api('refused-after', { config: breakerConfig({ pending_timeout_ms: 60_000, window_ms: 600_000 }) });
    for (let i = 0; i < 6; i++) expect((await env.get(api.path, [['X-Terminate-After', '503']])).status).toBe(503);
    expect(await stateOf(`service:${api.service.id}`)).toMatchObject([{ state: 'closed', pending_calls: 6, window: { calls: 6, failures: 0 } }]);
    env.advance(60_000);
    expect(await stateOf(`service:${api.service.id}`)).toMatchObject([{ state: 'closed', pending_calls: 0, window: { calls: 0 } }]);
    env.upstream.set('refused-after', { status: 500 });
    expect(await burst(env, api.path, 5)).toEqual([500, 500, 500, 500, 503]);
  });
});

describe('state outlives plugin instances', () => {
  it('a new instance of the same config (Kong restarting it) finds the circuit still open', async () => {
    const config = breakerConfig();
    const api = env.api('restart', { config });
    env.upstream.set('restart', { status: 500 });
    await burst(env, api.path, 4);
    const before = await env.get(api.path);
    expect(before.status).toBe(503);
    const instanceBefore = before.events.find((e) => e.plugin === 'circuit-breaker')!.instanceId;

    env.sim.updatePlugin(api.pluginId!, { ...config });
    const after = await env.get(api.path);
    expect(after.events.find((e) => e.plugin === 'circuit-breaker')!.instanceId).not.toBe(instanceBefore);
    expect(after.status).toBe(503);
    expect(after.headers.first('x-circuit-breaker-state')).toBe('open');
    expect(env.upstream.hits('restart')).toBe(4);
  });

  it('a changed config starts with a fresh breaker', async () => {
    const api = env.api('reconfigured', { config: breakerConfig() });
    env.upstream.set('reconfigured', { status: 500 });
    await burst(env, api.path, 4);
    expect((await env.get(api.path)).status).toBe(503);
    env.sim.updatePlugin(api.pluginId!, breakerConfig({ open_duration_ms: 60_000 }));
    expect((await env.get(api.path)).status).toBe(500);
  });
});
