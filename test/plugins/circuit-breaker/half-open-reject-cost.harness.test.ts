/**
 * docs/circuit-breaker.md, "Cost (PDK round trips)": a request refused while half-open without a
 * free probe place costs `response.exit` in access and `log.serialize` + `ctx.shared.get` in log,
 * since a probe is in flight whenever no place is free and the log event could be the probe's.
 * The table used to say `log.serialize` only.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { breakerConfig, burst, callsIn, startBreakerEnv, type BreakerEnv } from './harness-env';

let env: BreakerEnv;
beforeAll(async () => {
  env = await startBreakerEnv();
});
afterAll(async () => env?.close());

it('half-open without a free probe place: the refused request costs what the cost table says', async () => {
  const api = env.api('busy', { config: breakerConfig() });
  env.upstream.set('busy', { status: 500 });
  await burst(env, api.path, 4);
  expect((await env.get(api.path)).status).toBe(503);
  env.advance(30_000);
  env.upstream.set('busy', { status: 200, hold: true });
  const probe = env.get(api.path);
  await env.upstream.heldCount('busy', 1);

  const refused = await env.get(api.path);
  expect(refused.status).toBe(503);
  expect(refused.headers.first('x-circuit-breaker-state')).toBe('half_open');
  expect(callsIn(refused, 'access')).toEqual(['kong.response.exit']);
  const log = callsIn(refused, 'log');
  env.upstream.release('busy');
  await probe;
  expect(log).toEqual(['kong.log.serialize', 'kong.ctx.shared.get']);
});
