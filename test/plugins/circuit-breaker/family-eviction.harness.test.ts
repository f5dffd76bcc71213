/**
 * The breakers of a config in use are never dropped to make room for other configs
 * (docs/circuit-breaker.md, "Node-wide, in memory"). Configs' families used to live in an LRU of
 * 256 refreshed only when an instance started: after 256 other circuit-breaker configs (every
 * Admin API edit makes one), a busy instance's open breaker left the state endpoint (so
 * `kong-ctl breakers` reported all closed), and an instance restarted with the same config found
 * its circuit closed again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { breakerConfig, burst, startBreakerEnv, type BreakerEnv } from './harness-env';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';

let env: BreakerEnv;
let victimPluginId = '';
beforeAll(async () => {
  env = await startBreakerEnv();
});
afterAll(async () => env?.close());

it('an open breaker of a live instance stays listed and open after 256 other configs were seen', { timeout: 120_000 }, async () => {
  const config = breakerConfig();
  const victim = env.api('victim', { config });
  victimPluginId = victim.pluginId!;
  env.upstream.set('victim', { status: 500 });
  await burst(env, victim.path, 4);
  expect((await env.get(victim.path)).status).toBe(503);

  // 256 other services, each with its own tuning (a distinct config), each used once
  for (let i = 0; i < 256; i++) {
    const other = env.api(`other-${i}`, { config: breakerConfig({ open_duration_ms: 31_000 + i }) });
    expect((await env.get(other.path)).status).toBe(200);
  }

  // the victim's instance is still live and its circuit still open...
  expect((await env.get(victim.path)).status).toBe(503);
  // ...but the state endpoint no longer shows it
  const statePath = env.api('breakers', { config: { state_endpoint: true }, attach: 'route' }).path;
  const state = (await env.get(statePath)).json() as StateJson;
  expect(state.breakers.filter((b) => b.key === `service:${victim.service.id}`).map((b) => b.state)).toEqual(['open']);
});

it('a restarted instance with the same config still finds the open circuit', async () => {
  env.sim.updatePlugin(victimPluginId, { ...breakerConfig() });
  const after = await env.get('/victim');
  expect(after.status).toBe(503);
  expect(env.upstream.hits('victim')).toBe(4);
});
