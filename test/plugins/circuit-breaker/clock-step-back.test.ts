/**
 * A backward step of the wall clock (an NTP step correction, a VM resume, an operator fixing the
 * time) counts as no time at all for a breaker (found by review). Measured on the raw clock, an
 * hour's step kept an open circuit open an extra hour, answering Retry-After ~3600, and froze the
 * rolling window, so failures an hour old opened the circuit. Small regressions (timestamps taken
 * a moment apart) must not make the breaker's clock run ahead either.
 */
import { describe, expect, it } from 'vitest';
import { Breaker, type BreakerSettings } from '../../../plugins/circuit-breaker/breaker';
import type { Outcome } from '../../../plugins/circuit-breaker/outcome';

const T = 1_800_000_000_000;
const HOUR = 3_600_000;
const bad: Outcome = { kind: 'failure', reason: 'status', detail: 'status 500' };
const ok: Outcome = { kind: 'success' };

function settings(extra: Partial<BreakerSettings> = {}): BreakerSettings {
  return {
    errorThresholdPercentage: 50,
    minimumRequests: 4,
    windowMs: 10_000,
    windowBuckets: 10,
    openDurationMs: 30_000,
    openDurationMultiplier: 1,
    maxOpenDurationMs: 600_000,
    halfOpenProbes: 1,
    pendingTimeoutMs: 60_000,
    ...extra,
  };
}

async function call(b: Breaker, outcome: Outcome, now: number): Promise<void> {
  const a = b.admit(now);
  if (a.kind === 'pass') await b.settle(outcome, now);
}

describe('a backward step of the wall clock', () => {
  it('does not stretch the open period nor the Retry-After by the size of the step', async () => {
    const b = new Breaker(settings(), T, 'b');
    for (let i = 0; i < 4; i++) await call(b, bad, T);
    expect(b.currentState).toBe('open');
    expect(b.admit(T + 1_000)).toMatchObject({ kind: 'reject', retryAfterSeconds: 29 });

    // the clock is stepped back by one hour (1 s after the circuit opened, real time)
    const stepped = T + 1_000 - HOUR;
    const afterStep = b.admit(stepped);
    expect(afterStep).toMatchObject({ kind: 'reject', state: 'open' });
        expect((afterStep as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(30);

    // 30 s of real time after the opening: probes are due
    expect(b.admit(stepped + 29_000).kind).toBe('probe');
  });

  it('does not keep failures older than the window in the window', async () => {
    const b = new Breaker(settings(), T, 'b');
    for (let i = 0; i < 3; i++) await call(b, bad, T); // 3 failures at T (below the minimum of 4)
    await call(b, ok, T + 1_000);
    await call(b, ok, T + 1_000);
    // the clock steps back one hour; the breaker sees the stepped clock at once (in production the
    // 1-second sweep (runtime.ts) looks at every breaker), then 20 s of real time pass
    const stepped = T + 1_000 - HOUR;
    b.view(stepped);
    const later = stepped + 20_000;
    await call(b, bad, later);
    await call(b, bad, later);
    // only 2 calls (2 failures) are younger than 10 s: below minimum_requests, must stay closed
    expect(b.view(later).window).toMatchObject({ fires: 2, failures: 2 });
    expect(b.currentState).toBe('closed');
  });

  it('timestamps a moment apart seen out of order change nothing: durations and shown times stay on the wall clock', async () => {
    const b = new Breaker(settings({ minimumRequests: 1 }), T, 'b');
    for (let i = 1; i <= 100; i++) {
      b.view(T + i * 1000);
      b.view(T + i * 1000 - 500); // a timestamp taken a moment earlier, seen later
    }
    await call(b, bad, T + 100_000);
    expect(b.currentState).toBe('open');
    expect(b.view(T + 100_000).openUntilMs).toBe(T + 130_000);
    // opened at T+100 s for 30 s: still open 29 s later, by the wall clock
    expect(b.admit(T + 129_000)).toMatchObject({ kind: 'reject', retryAfterSeconds: 1 });
    expect(b.admit(T + 130_000).kind).toBe('probe');
  });

  it('the state shows wall-clock times after a step', async () => {
    const b = new Breaker(settings(), T, 'b');
    for (let i = 0; i < 4; i++) await call(b, bad, T);
    const view = b.view(T - HOUR);
    expect(view.openUntilMs).toBe(T + 30_000 - HOUR);
    expect(b.lastUsedAtMs).toBe(T - HOUR);
  });
});
