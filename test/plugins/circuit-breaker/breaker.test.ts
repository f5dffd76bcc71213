/**
 * The breaker's state machine in-process, with an explicit clock: opossum's counting and
 * threshold, the window moved by the clock, N probes, growth of the open duration, and calls
 * that never get an outcome.
 */
import { describe, expect, it } from 'vitest';
import { Breaker, type Admission, type BreakerSettings } from '../../../plugins/circuit-breaker/breaker';
import type { Outcome } from '../../../plugins/circuit-breaker/outcome';

const T = 1_000_000;
const ok: Outcome = { kind: 'success' };
const bad: Outcome = { kind: 'failure', reason: 'status', detail: 'status 500' };
const none: Outcome = { kind: 'none' };

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

/** One request through the breaker: admitted, then its outcome. */
async function call(b: Breaker, outcome: Outcome, now: number): Promise<Admission> {
  const a = b.admit(now);
  if (a.kind === 'pass') await b.settle(outcome, now);
  if (a.kind === 'probe') b.settleProbe(b.probeTicket(a.marker)!, outcome, now);
  return a;
}

async function trip(b: Breaker, now: number): Promise<void> {
  for (let i = 0; i < b.settings.minimumRequests; i++) await call(b, bad, now);
  expect(b.currentState).toBe('open');
}

describe('opening', () => {
  it('stays closed until the minimum volume, then opens on a failure rate above the threshold', async () => {
    const b = new Breaker(settings(), T, 'b');
    for (let i = 0; i < 3; i++) await call(b, bad, T);
    expect(b.currentState).toBe('closed');
    await call(b, bad, T);
    expect(b.currentState).toBe('open');
    const [t] = b.drainTransitions();
    expect(t).toMatchObject({ from: 'closed', to: 'open', openForMs: 30_000 });
    expect(t!.reason).toBe('4 of 4 calls failed (100%) in the last 10000 ms; last: status 500');
  });

  it('exactly the threshold does not open; above it does (opossum compares with >)', async () => {
    const b = new Breaker(settings(), T, 'b');
    for (const o of [ok, ok, bad, bad]) await call(b, o, T);
    expect(b.currentState).toBe('closed');
    await call(b, bad, T);
    expect(b.currentState).toBe('open');
  });

  it('failures older than the window no longer count', async () => {
    const b = new Breaker(settings(), T, 'b');
    for (let i = 0; i < 3; i++) await call(b, bad, T);
    // the window is 10 s: at T + 10 s the first bucket has rotated out
    await call(b, bad, T + 10_000);
    expect(b.currentState).toBe('closed');
    expect(b.view(T + 10_000).window).toMatchObject({ fires: 1, failures: 1 });
  });

  it('refuses while open with a Retry-After that counts down', async () => {
    const b = new Breaker(settings(), T, 'b');
    await trip(b, T);
    expect(b.admit(T)).toEqual({ kind: 'reject', state: 'open', retryAfterSeconds: 30 });
    expect(b.admit(T + 12_500)).toEqual({ kind: 'reject', state: 'open', retryAfterSeconds: 18 });
    expect(b.admit(T + 29_999)).toEqual({ kind: 'reject', state: 'open', retryAfterSeconds: 1 });
    expect(b.view(T + 29_999).rejectedSinceOpen).toBe(3);
  });
});

describe('half-open', () => {
  it('lets exactly N probes through; others are refused until they report', async () => {
    const b = new Breaker(settings({ halfOpenProbes: 3 }), T, 'b');
    await trip(b, T);
    b.drainTransitions();
    const now = T + 30_000;
    const admitted = [b.admit(now), b.admit(now), b.admit(now), b.admit(now), b.admit(now)];
    expect(admitted.map((a) => a.kind)).toEqual(['probe', 'probe', 'probe', 'reject', 'reject']);
    expect(admitted[3]).toEqual({ kind: 'reject', state: 'half_open', retryAfterSeconds: 1 });
    expect(b.drainTransitions().map((t) => `${t.from}->${t.to}`)).toEqual(['open->half_open']);
    for (const a of admitted.slice(0, 2)) b.settleProbe(b.probeTicket((a as { marker: string }).marker)!, ok, now);
    expect(b.currentState).toBe('half_open');
    expect(b.admit(now).kind).toBe('reject'); // 2 succeeded + 1 in flight = 3
    b.settleProbe(b.probeTicket((admitted[2] as { marker: string }).marker)!, ok, now);
    expect(b.currentState).toBe('closed');
    expect(b.drainTransitions()).toMatchObject([{ from: 'half_open', to: 'closed', reason: '3 probe requests succeeded' }]);
  });

  it('a closed circuit starts from an empty window', async () => {
    const b = new Breaker(settings(), T, 'b');
    await trip(b, T);
    await call(b, ok, T + 30_000);
    expect(b.currentState).toBe('closed');
    expect(b.view(T + 30_000).window).toMatchObject({ fires: 0, failures: 0 });
    for (let i = 0; i < 3; i++) await call(b, bad, T + 30_000);
    expect(b.currentState).toBe('closed');
  });

  it('a probe without outcome gives its place back; a foreign marker is not a probe', async () => {
    const b = new Breaker(settings(), T, 'b');
    await trip(b, T);
    const p = b.admit(T + 30_000) as { kind: 'probe'; marker: string };
    expect(b.admit(T + 30_000).kind).toBe('reject');
    b.settleProbe(b.probeTicket(p.marker)!, none, T + 30_000);
    expect(b.admit(T + 30_000).kind).toBe('probe');
    expect(b.probeTicket(`${new Breaker(settings(), T, 'other').id}.1`)).toBeUndefined();
    expect(b.probeTicket(42)).toBeUndefined();
  });

  it('an overdue probe is dropped, so a lost log event cannot block the trial forever', async () => {
    const b = new Breaker(settings({ pendingTimeoutMs: 5000 }), T, 'b');
    await trip(b, T);
    expect(b.admit(T + 30_000).kind).toBe('probe');
    expect(b.admit(T + 34_999).kind).toBe('reject');
    expect(b.admit(T + 35_000).kind).toBe('probe');
  });

  it('reopens on a failed probe, the duration growing by the multiplier up to the cap, and resets on close', async () => {
    const b = new Breaker(settings({ openDurationMs: 10_000, openDurationMultiplier: 2, maxOpenDurationMs: 25_000 }), T, 'b');
    await trip(b, T);
    let now = T;
    const durations: number[] = [];
    for (let i = 0; i < 4; i++) {
      const openFor = b.view(now).openDurationMs;
      durations.push(openFor);
      now += openFor;
      await call(b, bad, now);
      expect(b.currentState).toBe('open');
    }
    expect(durations).toEqual([10_000, 20_000, 25_000, 25_000]);
    expect(b.drainTransitions().filter((t) => t.to === 'open').map((t) => t.reason)).toEqual([
      '4 of 4 calls failed (100%) in the last 10000 ms; last: status 500',
      'half-open probe failed: status 500',
      'half-open probe failed: status 500',
      'half-open probe failed: status 500',
      'half-open probe failed: status 500',
    ]);
    now += 25_000;
    await call(b, ok, now);
    expect(b.currentState).toBe('closed');
    await trip(b, now);
    expect(b.view(now).openDurationMs).toBe(10_000);
  });

  it('outcomes of calls let through before the circuit opened are ignored', async () => {
    const b = new Breaker(settings({ minimumRequests: 1, errorThresholdPercentage: 0 }), T, 'b');
    expect(b.admit(T).kind).toBe('pass'); // a slow call, still in flight
    await call(b, bad, T); // 1 failure of 2 calls: opens
    expect(b.currentState).toBe('open');
    const p = b.admit(T + 30_000) as { kind: 'probe'; marker: string };
    await b.settle(ok, T + 30_000); // the slow call's log arrives: not a probe
    expect(b.currentState).toBe('half_open');
    b.settleProbe(b.probeTicket(p.marker)!, ok, T + 30_000);
    expect(b.currentState).toBe('closed');
  });
});

describe('calls without outcome', () => {
  it('are dropped after the pending timeout and taken back out of the counts', async () => {
    const b = new Breaker(settings({ pendingTimeoutMs: 5000, windowMs: 60_000 }), T, 'b');
    for (let i = 0; i < 10; i++) expect(b.admit(T).kind).toBe('pass'); // e.g. refused by a later plugin
    expect(b.view(T)).toMatchObject({ pendingCalls: 10, window: { fires: 10 } });
    b.sweep(T + 4999);
    expect(b.view(T + 4999).pendingCalls).toBe(10);
    b.sweep(T + 5000);
    expect(b.view(T + 5000)).toMatchObject({ pendingCalls: 0, window: { fires: 0 } });
    // the dropped calls do not dilute the failure rate: 4 failures of 4 open the circuit
    for (let i = 0; i < 4; i++) await call(b, bad, T + 5000);
    expect(b.currentState).toBe('open');
  });

  it('an outcome with no pending call changes nothing', async () => {
    const b = new Breaker(settings({ minimumRequests: 1 }), T, 'b');
    await b.settle(bad, T);
    expect(b.currentState).toBe('closed');
    expect(b.view(T).window.failures).toBe(0);
  });
});

// A backward step of the wall clock (an NTP step correction, a VM resume, an operator fixing the
// time) counts as no time at all for a breaker (found by review). Measured on the raw clock, an
// hour's step kept an open circuit open an extra hour, answering Retry-After ~3600, and froze the
// rolling window, so failures an hour old opened the circuit. Small regressions (timestamps taken
// a moment apart) must not make the breaker's clock run ahead either.
const WALL = 1_800_000_000_000;
const HOUR = 3_600_000;

describe('a backward step of the wall clock', () => {
  it('does not stretch the open period nor the Retry-After by the size of the step', async () => {
    const b = new Breaker(settings(), WALL, 'b');
    for (let i = 0; i < 4; i++) await call(b, bad, WALL);
    expect(b.currentState).toBe('open');
    expect(b.admit(WALL + 1_000)).toMatchObject({ kind: 'reject', retryAfterSeconds: 29 });

    // the clock is stepped back by one hour (1 s after the circuit opened, real time)
    const stepped = WALL + 1_000 - HOUR;
    const afterStep = b.admit(stepped);
    expect(afterStep).toMatchObject({ kind: 'reject', state: 'open' });
        expect((afterStep as { retryAfterSeconds: number }).retryAfterSeconds).toBeLessThanOrEqual(30);

    // 30 s of real time after the opening: probes are due
    expect(b.admit(stepped + 29_000).kind).toBe('probe');
  });

  it('does not keep failures older than the window in the window', async () => {
    const b = new Breaker(settings(), WALL, 'b');
    for (let i = 0; i < 3; i++) await call(b, bad, WALL); // 3 failures at WALL (below the minimum of 4)
    await call(b, ok, WALL + 1_000);
    await call(b, ok, WALL + 1_000);
    // the clock steps back one hour; the breaker sees the stepped clock at once (in production the
    // 1-second sweep (runtime.ts) looks at every breaker), then 20 s of real time pass
    const stepped = WALL + 1_000 - HOUR;
    b.view(stepped);
    const later = stepped + 20_000;
    await call(b, bad, later);
    await call(b, bad, later);
    // only 2 calls (2 failures) are younger than 10 s: below minimum_requests, must stay closed
    expect(b.view(later).window).toMatchObject({ fires: 2, failures: 2 });
    expect(b.currentState).toBe('closed');
  });

  it('timestamps a moment apart seen out of order change nothing: durations and shown times stay on the wall clock', async () => {
    const b = new Breaker(settings({ minimumRequests: 1 }), WALL, 'b');
    for (let i = 1; i <= 100; i++) {
      b.view(WALL + i * 1000);
      b.view(WALL + i * 1000 - 500); // a timestamp taken a moment earlier, seen later
    }
    await call(b, bad, WALL + 100_000);
    expect(b.currentState).toBe('open');
    expect(b.view(WALL + 100_000).openUntilMs).toBe(WALL + 130_000);
    // opened at WALL+100 s for 30 s: still open 29 s later, by the wall clock
    expect(b.admit(WALL + 129_000)).toMatchObject({ kind: 'reject', retryAfterSeconds: 1 });
    expect(b.admit(WALL + 130_000).kind).toBe('probe');
  });

  it('the state shows wall-clock times after a step', async () => {
    const b = new Breaker(settings(), WALL, 'b');
    for (let i = 0; i < 4; i++) await call(b, bad, WALL);
    const view = b.view(WALL - HOUR);
    expect(view.openUntilMs).toBe(WALL + 30_000 - HOUR);
    expect(b.lastUsedAtMs).toBe(WALL - HOUR);
  });
});
