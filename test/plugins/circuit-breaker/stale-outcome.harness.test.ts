/**
 * docs/circuit-breaker.md, "Calls without outcome": requests let through while the circuit was
 * closed, still in flight when it opened (a hanging upstream answering late), do not count once
 * the circuit has closed again. The log phase settles the oldest pending call of the breaker with
 * whatever outcome comes, so such a late failure used to settle a call of the new closed period
 * and reopen the recovered circuit on failures that predate the recovery; Kong's `started_at`
 * now tells them apart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { breakerConfig, startBreakerEnvWithState, type BreakerEnv } from './harness-env';
import type { StateJson } from '../../../plugins/circuit-breaker/state-view';

let env: BreakerEnv;
let statePath: string;
beforeAll(async () => ({ env, statePath } = await startBreakerEnvWithState()));
afterAll(async () => env?.close());

it('failures of calls let through before the circuit opened do not count after it closed again', async () => {
  const api = env.api('stale', { config: breakerConfig({ minimum_requests: 4, error_threshold_percentage: 50 }) });

  // closed period: 4 requests to a hanging upstream (they will answer 500, late)
  env.upstream.set('stale', { status: 500, hold: true });
  const stale = [env.get(api.path), env.get(api.path), env.get(api.path), env.get(api.path)];
  await env.upstream.heldCount('stale', 4);

  // more failures open the circuit
  env.upstream.set('stale', { status: 500 });
  let opened = false;
  for (let i = 0; i < 10 && !opened; i++) opened = (await env.get(api.path)).status === 503;
  expect(opened).toBe(true);

  // the upstream recovers; the probe succeeds and the circuit closes
  env.advance(30_000);
  env.upstream.set('stale', { status: 200 });
  const probe = await env.get(api.path);
  expect(probe.status).toBe(200);

  // new traffic of the recovered period, in flight (held, will answer 200)
  env.upstream.set('stale', { status: 200, hold: true });
  const fresh = [env.get(api.path), env.get(api.path), env.get(api.path), env.get(api.path)];
  await env.upstream.heldCount('stale', 8);

  // the hanging pre-opening requests finally answer 500, then the fresh ones 200
  env.upstream.release('stale');
  const staleResults = await Promise.all(stale);
  expect(staleResults.map((r) => r.status)).toEqual([500, 500, 500, 500]);
  const freshResults = await Promise.all(fresh);
  expect(freshResults.map((r) => r.status)).toEqual([200, 200, 200, 200]);

  // every call of the recovered period succeeded: the circuit must still be closed
  const state = ((await env.get(statePath)).json() as StateJson).breakers.find((b) => b.key === `service:${api.service.id}`);
  expect({ state: state?.state, failures: state?.window.failures, last: state?.last_transition?.reason }).toEqual({
    state: 'closed',
    failures: 0,
    last: '1 probe request succeeded',
  });
  env.upstream.set('stale', { status: 200 });
  const next = await env.get(api.path);
  expect(next.headers.first('x-circuit-breaker-state')).toBeUndefined();
  expect(next.status).toBe(200);
});
