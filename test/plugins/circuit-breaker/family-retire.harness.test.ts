/**
 * docs/circuit-breaker.md, "Node-wide, in memory": the breakers of a replaced config (every plugin
 * entity that used it now runs with another) are forgotten whatever their state; the breakers of a
 * config still in use are not — an open one is kept however long no request comes.
 *
 * Found while writing model.harness.test.ts's model of retirement. Which entities ran with a config was kept
 * on the family object, and a family leaves the map once all its breakers are forgotten: the
 * object a restarted instance then made knew only that instance's entity, and when that entity
 * moved to another config the family was retired under the entities still running with it, whose
 * open breakers were then forgotten after a quiet spell (the next request passed freely instead
 * of being a probe).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { breakerConfig, burst, startBreakerEnvWithState, type BreakerEnv } from './harness-env';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';

let env: BreakerEnv;
let statePath: string;
beforeAll(async () => ({ env, statePath } = await startBreakerEnvWithState()));
afterAll(async () => env?.close());

it('a config still used by one plugin entity is not retired when another entity of it moves on, even after its breakers were all forgotten', async () => {
  // two routes of one service, each with its own plugin entity, same config: one family
  const config = breakerConfig({ pending_timeout_ms: 1000, max_open_duration_ms: 30_000, window_ms: 10_000 });
  const a = env.api('retire-a', { config, attach: 'route' });
  const b = env.api('retire-b', { config, attach: 'route', service: a.service });
  expect((await env.get(a.path)).status).toBe(200);
  expect((await env.get(b.path)).status).toBe(200);
  const breakers = async () => ((await env.get(statePath)).json() as StateJson).breakers.filter((x) => x.service_id === a.service.id);

  // a quiet spell: the closed breaker is forgotten (nothing lost)
  env.advance(31_000);
  expect(await breakers()).toEqual([]);

  // b's instance restarts with the same config (any PATCH of the entity), then b moves to another config
  env.sim.updatePlugin(b.pluginId!, { ...config });
  expect((await env.get(b.path)).status).toBe(200);
  env.sim.updatePlugin(b.pluginId!, breakerConfig({ open_duration_ms: 60_000 }));
  expect((await env.get(b.path)).status).toBe(200);

  // a still runs with the first config: its circuit opens...
  env.upstream.set('retire-a', { status: 500 });
  await burst(env, a.path, 4);
  expect((await env.get(a.path)).status).toBe(503);
  const configId = (await breakers()).find((x) => x.state === 'open')?.config_id;
  expect(configId).toBeDefined();

  // ...and stays known through a longer quiet spell: the next request is a probe, not a free pass
  env.advance(31_000);
  expect((await breakers()).filter((x) => x.config_id === configId).map((x) => x.state)).toEqual(['half_open']);
  env.upstream.set('retire-a', { status: 200, hold: true });
  const probe = env.get(a.path);
  await env.upstream.heldCount('retire-a', 1);
  const other = await env.get(a.path);
  expect(other.status).toBe(503);
  expect(other.headers.first('x-circuit-breaker-state')).toBe('half_open');
  env.upstream.release('retire-a');
  expect((await probe).status).toBe(200);
});
