/**
 * The state endpoint: a circuit-breaker instance with `state_endpoint: true` on an admin route,
 * protected here by key-auth (Lua, priority 1250: it refuses before the endpoint answers), answers
 * the JSON state of every breaker of the node (docs/circuit-breaker.md documents the shape).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAuthCredential, kongConsumer } from '../../harness';
import { breakerConfig, burst, startBreakerEnv, T0, type BreakerEnv } from './harness-env';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';

let env: BreakerEnv;
let statePath: string;
const ADMIN_KEY = 'ops-secret';

beforeAll(async () => {
  env = await startBreakerEnv();
  const ops = env.sim.addConsumer(kongConsumer({ username: 'ops' }));
  env.sim.addCredential(keyAuthCredential({ consumer: { id: ops.id }, key: ADMIN_KEY }));
  statePath = env.api('_breakers', { config: { state_endpoint: true }, attach: 'route', routePlugins: [{ name: 'key-auth' }] }).path;
});
afterAll(async () => env?.close());

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

async function state(): Promise<StateJson> {
  const res = await env.get(statePath, [['apikey', ADMIN_KEY]]);
  expect(res.status).toBe(200);
  expect(res.headers.first('content-type')).toBe('application/json; charset=utf-8');
  expect(res.headers.first('cache-control')).toBe('no-store');
  expect(res.upstreamRequest).toBeUndefined();
  return res.json() as StateJson;
}

describe('state endpoint', () => {
  it('refuses without the admin key (key-auth runs first)', async () => {
    const res = await env.get(statePath);
    expect(res.status).toBe(401);
    expect(res.text()).not.toContain('breakers');
  });

  it('an empty node: no breaker yet', async () => {
    expect(await state()).toEqual({ version: 1, generated_at: iso(T0), pid: env.server.pid, breakers: [] });
  });

  it('every breaker with its state, window, open deadline and probes', async () => {
    const healthy = env.api('healthy', { config: breakerConfig() });
    const broken = env.api('broken', { config: breakerConfig({ half_open_probes: 2 }) });
    await burst(env, healthy.path, 2);
    env.upstream.set('broken', { status: 500 });
    await burst(env, broken.path, 4);
    env.advance(10_000);
    await burst(env, broken.path, 3); // refused

    const s = await state();
    expect(s.generated_at).toBe(iso(T0 + 10));
    const byName = Object.fromEntries(s.breakers.map((b) => [b.name, b]));
    expect(byName.healthy).toEqual({
      key: `service:${healthy.service.id}`,
      scope: 'service',
      service_id: healthy.service.id,
      route_id: null,
      host: null,
      name: 'healthy',
      config_id: expect.stringMatching(/^[0-9a-f]{12}$/),
      state: 'closed',
      since: iso(T0),
      last_request_at: iso(T0),
      open_until: null,
      retry_after_seconds: null,
      open_duration_ms: 30000,
      failed_trials: 0,
      window: { length_ms: 60000, calls: 2, successes: 2, failures: 0, failure_percentage: 0, minimum_requests: 4, error_threshold_percentage: 50 },
      pending_calls: 0,
      rejected: 0,
      probes: null,
      last_transition: null,
    });
    expect(byName.broken).toMatchObject({
      state: 'open',
      since: iso(T0),
      open_until: iso(T0 + 30),
      retry_after_seconds: 20,
      open_duration_ms: 30000,
      rejected: 3,
      window: { calls: 4, failures: 4, failure_percentage: 100 },
      last_transition: { from: 'closed', to: 'open', at: iso(T0), reason: expect.stringContaining('4 of 4 calls failed') },
    });
    expect(byName.healthy.config_id).not.toBe(byName.broken.config_id);
    expect(s.breakers.map((b) => b.key)).toEqual([...s.breakers.map((b) => b.key)].sort());

    env.advance(20_000);
    expect((await state()).breakers.find((b) => b.name === 'broken')).toMatchObject({
      state: 'half_open',
      since: iso(T0 + 30),
      open_until: null,
      retry_after_seconds: null,
      probes: { allowed: 2, in_flight: 0, succeeded: 0 },
    });
    env.upstream.set('broken', { status: 200, hold: true });
    const probe = env.get(broken.path);
    await env.upstream.heldCount('broken', 1);
    expect((await state()).breakers.find((b) => b.name === 'broken')).toMatchObject({
      state: 'half_open',
      probes: { allowed: 2, in_flight: 1, succeeded: 0 },
      last_transition: { from: 'open', to: 'half_open', reason: 'open for 30000 ms; letting 2 probe requests through' },
    });
    env.upstream.release('broken');
    expect((await probe).status).toBe(200);
    expect((await state()).breakers.find((b) => b.name === 'broken')).toMatchObject({ state: 'half_open', probes: { in_flight: 0, succeeded: 1 } });
  });

  it('forgets breakers unused for longer than their window, open duration cap and pending timeout', async () => {
    const api = env.api('forgotten', { config: breakerConfig({ max_open_duration_ms: 120_000, pending_timeout_ms: 90_000 }) });
    await env.get(api.path);
    const names = async () => (await state()).breakers.map((b) => b.name);
    expect(await names()).toContain('forgotten');
    env.advance(120_000);
    expect(await names()).toContain('forgotten');
    env.advance(1);
    expect(await names()).not.toContain('forgotten');
    expect((await env.get(api.path)).status).toBe(200); // a request brings it back, closed
    expect((await state()).breakers.find((b) => b.name === 'forgotten')).toMatchObject({ state: 'closed', window: { calls: 1 } });
  });
});
