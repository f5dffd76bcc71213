/**
 * An open breaker left without traffic is kept (docs/circuit-breaker.md, "Node-wide, in memory"):
 * once its open period has elapsed, exactly half_open_probes requests are let through, and the
 * failed-trial count that sets the next open duration is still there. It used to be forgotten
 * like an idle closed one, so every request after a quiet spell went to the upstream that was
 * still down.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { breakerConfig, burst, startBreakerEnvWithState, type BreakerEnv } from './harness-env';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';

let env: BreakerEnv;
let statePath: string;
beforeAll(async () => ({ env, statePath } = await startBreakerEnvWithState()));
afterAll(async () => env?.close());

it('an open circuit left without traffic still lets exactly one probe through when traffic resumes', async () => {
  const config = breakerConfig({ window_ms: 10_000, open_duration_ms: 30_000, max_open_duration_ms: 60_000, pending_timeout_ms: 1000 });
  const api = env.api('quiet', { config });
  env.upstream.set('quiet', { status: 500 });
  await burst(env, api.path, 4);
  expect((await env.get(api.path)).status).toBe(503);
  const hitsWhenOpened = env.upstream.hits('quiet');

  // no traffic to this service for a while (e.g. overnight); the upstream is still down
  env.advance(61_000);
  const s = (await env.get(statePath)).json() as StateJson; // (the sweeper runs every second anyway)
  const listed = s.breakers.filter((b) => b.key === `service:${api.service.id}`).map((b) => b.state);

  env.upstream.set('quiet', { status: 500, hold: true });
  const requests = Array.from({ length: 6 }, () => env.get(api.path));
  await env.upstream.heldCount('quiet', 1);
  await new Promise((r) => setTimeout(r, 300));
  const reached = env.upstream.hits('quiet') - hitsWhenOpened;
  env.upstream.release('quiet');
  env.upstream.set('quiet', { status: 500 });
  const statuses = (await Promise.all(requests)).map((r) => r.status).sort();

  expect({ listed, reached, statuses }).toEqual({ listed: ['half_open'], reached: 1, statuses: [500, 503, 503, 503, 503, 503] });
});

it("the open breaker of a replaced config leaves the state endpoint once unused as long", async () => {
  // settings no other plugin here uses: once this plugin moves on, nothing runs with them
  const config = breakerConfig({ window_ms: 11_000, open_duration_ms: 30_000, max_open_duration_ms: 60_000, pending_timeout_ms: 1000 });
  const api = env.api('replaced', { config });
  env.upstream.set('replaced', { status: 500 });
  await burst(env, api.path, 4);
  expect((await env.get(api.path)).status).toBe(503);
  const listedFor = async () =>
    ((await env.get(statePath)).json() as StateJson).breakers.filter((b) => b.key === `service:${api.service.id}`).map((b) => `${b.config_id} ${b.state}`);
  const [before] = await listedFor();
  expect(before).toMatch(/ open$/);

  // the operator edits the plugin: a new config, whose instance starts fresh
  env.sim.updatePlugin(api.pluginId!, { ...config, open_duration_ms: 20_000 });
  env.upstream.set('replaced', { status: 200 });
  expect((await env.get(api.path)).status).toBe(200);
  env.advance(61_000);
  const after = await listedFor();
  expect(after).not.toContain(before);
  expect(after.every((b) => b.endsWith(' closed')), JSON.stringify({ before, after })).toBe(true);
});
