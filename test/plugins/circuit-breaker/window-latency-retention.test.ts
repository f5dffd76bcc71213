/**
 * A settled call leaves only counters in the window (found by review): opossum 8.x pushes every
 * call's latency into the current bucket even with rollingPercentilesEnabled off, ~10 bytes a
 * call kept for window_ms (a day's window, which the schema allows, at 1000 req/s: ~0.9 GB).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect, it } from 'vitest';
import { Breaker, type BreakerSettings } from '../../../plugins/circuit-breaker/breaker';
import type { Outcome } from '../../../plugins/circuit-breaker/outcome';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function retained(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const settings: BreakerSettings = {
  errorThresholdPercentage: 50,
  minimumRequests: 20,
  windowMs: 3_600_000, // one hour
  windowBuckets: 60, // of one minute
  openDurationMs: 30_000,
  openDurationMultiplier: 1,
  maxOpenDurationMs: 600_000,
  halfOpenProbes: 1,
  pendingTimeoutMs: 300_000,
};
const ok: Outcome = { kind: 'success' };

it('settled calls leave nothing behind in the window but its counters', async () => {
  const T = 1_800_000_000_000;
  const b = new Breaker(settings, T, 'b');
  const calls = 400_000; // ~7 minutes of 1 000 requests/s, all inside the window
  const base = retained();
  for (let i = 0; i < calls; i++) {
    const now = T + i; // one call per ms
    b.admit(now);
    await b.settle(ok, now);
  }
  const grown = retained() - base;
  expect(b.view(T + calls).window).toMatchObject({ fires: calls, successes: calls, failures: 0 });
  expect(b.view(T + calls).pendingCalls).toBe(0);
  // about 10 bytes per call were kept (~4 MB here); counters alone are a few KB
  expect(grown).toBeLessThan(512 * 1024);
}, 60_000);
