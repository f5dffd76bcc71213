/**
 * A pure model of one circuit breaker as docs/circuit-breaker.md describes it (with opossum 8.5's
 * window semantics), for model.harness.test.ts. Times are the plugin clock in ms, computed with
 * the same arithmetic as the plugin (so Retry-After and ISO dates match to the bit).
 *
 * What the docs promise, and this model holds:
 * - a rolling window of `window_buckets` buckets rotated every window_ms / window_buckets from the
 *   breaker's creation; a call counts in the bucket where it was let through (its `fires`), its
 *   outcome in the bucket where it arrives (opossum counts both when they happen);
 * - opening is decided when a failure arrives (opossum's check): at least minimum_requests calls
 *   in the window (in flight included) and failures / calls * 100 ABOVE the threshold;
 * - open: 503 with Retry-After = ceil(time left / 1 s), at least 1; after the open duration the
 *   first request finds it half-open: half_open_probes probes, others 503 half_open Retry-After 1;
 *   all probes succeed: closed with an empty window; a probe fails: open again for
 *   open × multiplier^n, capped; a probe without outcome (refused later) gives its place back;
 * - a log event settles the oldest pending call of the current closed period; outcomes of calls
 *   let through in another period (before the circuit last opened or closed) are ignored;
 * - a call without outcome is dropped after pending_timeout_ms, taken back out of its bucket;
 * - a backward step of the clock (more than 1 s) counts as no time.
 */

export interface ModelSettings {
  errorThresholdPercentage: number;
  minimumRequests: number;
  windowMs: number;
  windowBuckets: number;
  openDurationMs: number;
  openDurationMultiplier: number;
  maxOpenDurationMs: number;
  halfOpenProbes: number;
  pendingTimeoutMs: number;
}

export type State = 'closed' | 'open' | 'half_open';

export interface Transition {
  from: State;
  to: State;
  atMs: number;
  reason: string;
  openForMs?: number;
}

export type Outcome = { kind: 'none' } | { kind: 'success' } | { kind: 'failure'; detail: string };

interface Bucket {
  fires: number;
  successes: number;
  failures: number;
}

/** What access decided for a request; kept by the test until the request's log phase. */
export type Admission =
  | { kind: 'pass'; seq: number }
  | { kind: 'probe'; ticket: number; breakerId: number; seq: number }
  | { kind: 'reject'; state: 'open' | 'half_open'; retryAfterSeconds: number };

const CLOCK_STEP_MS = 1000;
let nextBreakerId = 1;

export class ModelBreaker {
  /** Distinguishes a re-created breaker (a probe marker names the breaker it was let through by). */
  readonly id = nextBreakerId++;
  private window: Bucket[];
  private readonly originMs: number;
  private rotations = 0;
  private nowMs: number;
  state: State = 'closed';
  private sinceMs: number;
  private openUntilMs = 0;
  private openForMs = 0;
  failedTrials = 0;
  private nextTicket = 1;
  /** Pending calls of the current closed period, oldest first. */
  private pending: Array<{ ticket: number; bucket: Bucket; expiresAtMs: number }> = [];
  private probes = new Map<number, number>();
  private probeSuccesses = 0;
  private rejectedSinceOpen = 0;
  private lastFailure = '';
  lastUsedMs: number;
  /**
   * The request sequence number (the order Kong received the requests in: Kong's `started_at`)
   * at the latest opening: an outcome of a request received before it is ignored.
   */
  private openedAtSeq = Number.NEGATIVE_INFINITY;
  /** The same at the latest closing (a probe let through before it, answering late). */
  private closedAtSeq = Number.NEGATIVE_INFINITY;
  private clockOffsetMs = 0;
  private lastRawMs: number;
  private seqNow = 0;
  /** Why the latest log event was ignored, if it was for a reason worth counting (FC_STATS). */
  note: string | undefined;
  last: Transition | null = null;
  /** Transitions of the current request phase (drained by the caller, which logs them). */
  transitions: Transition[] = [];

  constructor(
    readonly settings: ModelSettings,
    nowMs: number,
  ) {
    this.lastRawMs = nowMs;
    this.nowMs = nowMs;
    this.originMs = nowMs;
    this.sinceMs = nowMs;
    this.lastUsedMs = nowMs;
    this.window = Array.from({ length: settings.windowBuckets }, () => ({ fires: 0, successes: 0, failures: 0 }));
  }

  /** `seq`: the request's number in the order Kong received them. */
  admit(wallMs: number, seq: number): Admission {
    const nowMs = this.steady(wallMs);
    this.tick(nowMs);
    if (this.state === 'closed') {
      const bucket = this.window[0]!;
      bucket.fires++;
      this.pending.push({ ticket: this.nextTicket++, bucket, expiresAtMs: this.nowMs + this.settings.pendingTimeoutMs });
      return { kind: 'pass', seq };
    }
    if (this.state === 'half_open' && this.probes.size + this.probeSuccesses < this.settings.halfOpenProbes) {
      const ticket = this.nextTicket++;
      this.probes.set(ticket, nowMs + this.settings.pendingTimeoutMs);
      return { kind: 'probe', ticket, breakerId: this.id, seq };
    }
    this.rejectedSinceOpen++;
    const retryAfterSeconds = this.state === 'open' ? Math.max(1, Math.ceil((this.openUntilMs - nowMs) / 1000)) : 1;
    return { kind: 'reject', state: this.state, retryAfterSeconds };
  }

  /** The log phase of a request access let through (`admission`), with its outcome; `seqNow`:
   *  the number the next request Kong receives will get (when a state change happens now). */
  log(admission: Admission, outcome: Outcome, wallMs: number, seqNow: number): void {
    this.seqNow = seqNow;
    this.note = undefined;
    if (admission.kind === 'reject') {
      this.tick(this.steady(wallMs));
      return;
    }
    if (admission.kind === 'probe' && admission.breakerId === this.id && this.probes.size > 0) {
      this.tick(this.steady(wallMs));
      if (this.state !== 'half_open' || !this.probes.delete(admission.ticket)) return void (this.note = 'ignored: a probe no longer in flight');
      if (outcome.kind === 'none') return;
      if (outcome.kind === 'failure') {
        this.lastFailure = outcome.detail;
        this.failedTrials++;
        this.openFor(this.durationAfter(this.failedTrials), `half-open probe failed: ${outcome.detail}`);
        return;
      }
      this.probeSuccesses++;
      if (this.probeSuccesses >= this.settings.halfOpenProbes) this.close();
      return;
    }
    this.tick(this.steady(wallMs));
    if (outcome.kind === 'none' || this.state !== 'closed') return;
    // a call let through before the circuit last opened, or a probe of the trial before it last
    // closed (its place given up after pending_timeout_ms), says nothing about the calls made since
    if (admission.seq < this.openedAtSeq) return void (this.note = 'ignored: let through before the circuit opened');
    if (admission.seq < this.closedAtSeq) return void (this.note = 'ignored: let through before the circuit closed');
    const call = this.pending.shift();
    if (!call) return void (this.note = 'ignored: no pending call');
    if (outcome.kind === 'success') {
      this.window[0]!.successes++;
      return;
    }
    this.lastFailure = outcome.detail;
    this.window[0]!.failures++;
    const s = this.stats();
    if (s.fires < this.settings.minimumRequests) return;
    if ((s.failures / s.fires) * 100 > this.settings.errorThresholdPercentage) {
      const pct = s.fires > 0 ? Math.round((s.failures / s.fires) * 100) : 0;
      this.pending = [];
      this.openFor(
        this.durationAfter(0),
        `${s.failures} of ${s.fires} calls failed (${pct}%) in the last ${this.settings.windowMs} ms; last: ${this.lastFailure || 'n/a'}`,
      );
    }
  }

  /** The runtime's sweep (timer, state endpoint): drops overdue calls. */
  sweep(wallMs: number): void {
    this.dropExpired(this.steady(wallMs));
  }

  isIdle(wallMs: number): boolean {
    return this.state === 'closed' && this.isUnused(wallMs);
  }

  isUnused(wallMs: number): boolean {
    const { windowMs, maxOpenDurationMs, pendingTimeoutMs } = this.settings;
    return this.steady(wallMs) - this.lastUsedMs > Math.max(windowMs, maxOpenDurationMs, pendingTimeoutMs);
  }

  /** The state endpoint's view (docs, "State endpoint"). */
  view(wallMs: number) {
    const nowMs = this.steady(wallMs);
    this.advanceWindow(nowMs);
    this.dropExpired(nowMs);
    const s = this.stats();
    const elapsed = this.state === 'open' && nowMs >= this.openUntilMs;
    const state: State = elapsed ? 'half_open' : this.state;
    const open = state === 'open';
    return {
      state,
      sinceMs: (elapsed ? this.openUntilMs : this.sinceMs) - this.clockOffsetMs,
      openUntilMs: open ? this.openUntilMs - this.clockOffsetMs : null,
      retryAfterSeconds: open ? Math.max(1, Math.ceil((this.openUntilMs - nowMs) / 1000)) : null,
      openDurationMs: open ? this.openForMs : this.durationAfter(state === 'half_open' ? this.failedTrials + 1 : 0),
      failedTrials: this.failedTrials,
      window: { ...s, failurePercentage: s.fires > 0 ? Math.round((s.failures / s.fires) * 10000) / 100 : 0 },
      pendingCalls: this.pending.length,
      rejected: state === 'closed' ? 0 : this.rejectedSinceOpen,
      probes: state === 'half_open' ? { allowed: this.settings.halfOpenProbes, in_flight: this.probes.size, succeeded: this.probeSuccesses } : null,
      lastTransition: this.last,
      lastRequestAtMs: this.lastUsedMs - this.clockOffsetMs,
    };
  }

  /** On the wall clock: when the open period ends (open only), and when the window next moves. */
  deadlines(): { openUntilMs: number | null; nextRotationMs: number; nextExpiryMs: number | null } {
    const bucketMs = this.settings.windowMs / this.settings.windowBuckets;
    const expiries = [...this.pending.map((c) => c.expiresAtMs), ...this.probes.values()];
    return {
      openUntilMs: this.state === 'open' ? this.openUntilMs - this.clockOffsetMs : null,
      nextRotationMs: this.originMs + (this.rotations + 1) * bucketMs - this.clockOffsetMs,
      nextExpiryMs: expiries.length > 0 ? Math.min(...expiries) - this.clockOffsetMs : null,
    };
  }

  drain(): Transition[] {
    return this.transitions.splice(0);
  }

  // ------------------------------------------------------------------ internals

  private stats(): Bucket {
    const t = { fires: 0, successes: 0, failures: 0 };
    for (const b of this.window) {
      t.fires += b.fires;
      t.successes += b.successes;
      t.failures += b.failures;
    }
    return t;
  }

  private steady(wallMs: number): number {
    const back = this.lastRawMs - wallMs;
    if (back > CLOCK_STEP_MS) {
      this.clockOffsetMs += back;
      this.lastRawMs = wallMs;
    } else if (back < 0) {
      this.lastRawMs = wallMs;
    }
    return wallMs + this.clockOffsetMs;
  }

  private tick(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    this.lastUsedMs = Math.max(this.lastUsedMs, nowMs);
    this.advanceWindow(nowMs);
    this.dropExpired(nowMs);
    if (this.state === 'open' && nowMs >= this.openUntilMs) {
      this.state = 'half_open';
      this.sinceMs = nowMs;
      this.probes.clear();
      this.probeSuccesses = 0;
      const n = this.settings.halfOpenProbes;
      this.record({ from: 'open', to: 'half_open', atMs: nowMs, reason: `open for ${this.openForMs} ms; letting ${n} probe request${n === 1 ? '' : 's'} through` });
    }
  }

  private dropExpired(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    while (this.pending.length > 0 && this.pending[0]!.expiresAtMs <= nowMs) {
      const call = this.pending.shift()!;
      if (call.bucket.fires > 0) call.bucket.fires--;
    }
    for (const [ticket, expiresAtMs] of this.probes) if (expiresAtMs <= nowMs) this.probes.delete(ticket);
  }

  private close(): void {
    const from = this.state;
    const n = this.probeSuccesses;
    this.state = 'closed';
    this.closedAtSeq = this.seqNow;
    this.sinceMs = this.nowMs;
    this.failedTrials = 0;
    this.probes.clear();
    this.probeSuccesses = 0;
    this.pending = [];
    this.window = this.window.map(() => ({ fires: 0, successes: 0, failures: 0 }));
    this.record({ from, to: 'closed', atMs: this.nowMs, reason: `${n} probe request${n === 1 ? '' : 's'} succeeded` });
  }

  private openFor(durationMs: number, reason: string): void {
    const from = this.state;
    this.state = 'open';
    this.openedAtSeq = this.seqNow;
    this.sinceMs = this.nowMs;
    this.openForMs = durationMs;
    this.openUntilMs = this.nowMs + durationMs;
    this.rejectedSinceOpen = 0;
    this.probes.clear();
    this.probeSuccesses = 0;
    this.record({ from, to: 'open', atMs: this.nowMs, reason, openForMs: durationMs });
  }

  private durationAfter(failedTrials: number): number {
    const { openDurationMs, openDurationMultiplier, maxOpenDurationMs } = this.settings;
    return Math.min(Math.round(openDurationMs * openDurationMultiplier ** failedTrials), maxOpenDurationMs);
  }

  private record(t: Transition): void {
    this.last = t;
    this.transitions.push(t);
  }

  private advanceWindow(nowMs: number): void {
    const bucketMs = this.settings.windowMs / this.settings.windowBuckets;
    const due = Math.floor((nowMs - this.originMs) / bucketMs);
    const rotate = Math.min(due - this.rotations, this.settings.windowBuckets);
    if (due > this.rotations) this.rotations = due;
    for (let i = 0; i < rotate; i++) {
      this.window.unshift({ fires: 0, successes: 0, failures: 0 });
      this.window.pop();
    }
  }
}
