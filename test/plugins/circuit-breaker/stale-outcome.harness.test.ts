/**
 * docs/circuit-breaker.md, "Calls without outcome": requests let through while the circuit was
 * closed, still in flight when it opened (a hanging upstream answering late), do not count once
 * the circuit has closed again. The log phase settles the oldest pending call of the breaker with
 * whatever outcome comes, so such a late failure used to settle a call of the new closed period
 * and reopen the recovered circuit on failures that predate the recovery; Kong's `started_at`
 * now tells them apart.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { breakerConfig, breakerLog, callsIn, startBreakerEnvWithState, type BreakerEnv } from './harness-env';
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

// Found by model.harness.test.ts. A probe whose outcome is late (a long-lived connection, a
// pending_timeout below the service's timeouts) gives its place up after pending_timeout_ms; once
// another probe has closed the circuit, its log event came with no probe in flight, went down the
// closed-circuit path, settled the oldest pending call of the recovered period with the failure
// of the trial before, and reopened the circuit.
it('a probe answering after the circuit closed without it does not count against the recovered period', async () => {
  const api = env.api('stale-probe', { config: breakerConfig({ minimum_requests: 1, pending_timeout_ms: 1000, open_duration_ms: 30_000 }) });
  env.upstream.set('stale-probe', { status: 500 });
  expect((await env.get(api.path)).status).toBe(500);
  expect((await env.get(api.path)).status).toBe(503); // open

  // half-open: the probe hangs (it will answer 500), and outlives pending_timeout_ms
  env.advance(30_000);
  env.upstream.set('stale-probe', { status: 500, hold: true });
  const lateProbe = env.get(api.path);
  await env.upstream.heldCount('stale-probe', 1);
  env.advance(1000);

  // its place went to the next request, which succeeds: closed
  env.upstream.set('stale-probe', { status: 200 });
  const probe = await env.get(api.path);
  expect(probe.status).toBe(200);
  expect(breakerLog(probe).map((l) => l.message)).toEqual([expect.stringContaining('circuit closed')]);

  // a call of the recovered period without outcome yet (a later plugin refused it)
  expect((await env.get(api.path, [['X-Terminate-After', '418']])).status).toBe(418);

  // the old probe answers 500 at last: it says nothing about the recovered upstream
  env.upstream.release('stale-probe');
  const late = await lateProbe;
  expect(late.status).toBe(500);
  expect(breakerLog(late).map((l) => l.message)).toEqual([expect.stringContaining('circuit half-open')]); // its access, as a probe
  expect(callsIn(late, 'log')).toEqual(['kong.log.serialize', 'kong.ctx.shared.get']); // the one extra round trip
  const state = ((await env.get(statePath)).json() as StateJson).breakers.find((b) => b.key === `service:${api.service.id}`);
  expect({ state: state?.state, failures: state?.window.failures, pending: state?.pending_calls }).toEqual({ state: 'closed', failures: 0, pending: 1 });
  const next = await env.get(api.path);
  expect(next.status).toBe(200);
  expect(next.headers.first('x-circuit-breaker-state')).toBeUndefined();
});
