/**
 * One circuit breaker: an opossum CircuitBreaker whose protected call is the request Kong proxies.
 *
 * What opossum does here: every let-through request is `fire(deferred)` — a call that stays
 * pending until the log phase settles it with the request's outcome — and opossum keeps the
 * rolling window (fires, successes, failures) and decides to OPEN: failure percentage above
 * `errorThresholdPercentage` once `volumeThreshold` calls are in the window. Its 'open' and
 * 'close' events drive this class.
 *
 * What this class adds, because opossum cannot do it:
 * - time from the plugin's clock (plugins/shared/clock.ts), not from timers: the window's buckets
 *   are rotated through opossum's `rotateBucketController`, and open -> half-open happens when a
 *   request (or a look at the state) finds the open duration elapsed. Transitions so happen inside
 *   a request, which can log them (a PDK call needs a `kong` object), and tests can move the clock;
 * - N half-open probes (opossum lets exactly one through) and an open duration that grows after
 *   each failed trial, up to a cap;
 * - calls that never get an outcome (a later plugin refused the request, the log event was lost)
 *   are dropped after `pendingTimeoutMs`, neither success nor failure: opossum has no neutral
 *   outcome, so the dropped call's `fires` count is taken back out of its bucket and its promise
 *   is left unreferenced for the garbage collector.
 *
 * No opossum fallback is registered: a refused request is answered 503 by the handler, never with
 * a made-up success.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { Outcome } from './outcome';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
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

export interface Transition {
  from: CircuitState;
  to: CircuitState;
  atMs: number;
  reason: string;
  /** to `open`: for how long. */
  openForMs?: number;
}

export type Admission =
  | { kind: 'pass' }
  | { kind: 'probe'; marker: string }
  | { kind: 'reject'; state: 'open' | 'half_open'; retryAfterSeconds: number };

export interface BreakerView {
  state: CircuitState;
  sinceMs: number;
  openUntilMs: number | null;
  retryAfterSeconds: number | null;
  /** The open duration in force (while open) or that the next opening will use. */
  openDurationMs: number;
  failedTrials: number;
  window: { fires: number; successes: number; failures: number; failurePercentage: number };
  pendingCalls: number;
  rejectedSinceOpen: number;
  probes: { allowed: number; inFlight: number; succeeded: number } | null;
  lastTransition: Transition | null;
}

/** A failed upstream call, as the deferred call is rejected with. */
export class UpstreamCallFailed extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'UpstreamCallFailed';
  }
}

interface PendingCall {
  resolve(): void;
  reject(error: Error): void;
  /** fire()'s promise: settled once opossum has counted the outcome (and maybe opened). */
  counted: Promise<unknown>;
  /** The window bucket the fire was counted in. */
  bucket: { fires: number } | undefined;
  expiresAtMs: number;
}

/** Bounds on what a breaker keeps, whatever the traffic. */
const MAX_PENDING_CALLS = 100_000;
/**
 * A wall clock going back more than this is a step (NTP correction, VM resume), absorbed; less is
 * the jitter of timestamps taken a moment apart, which must not add up to a clock running ahead.
 */
const CLOCK_STEP_MS = 1000;
const MAX_TRANSITIONS = 32;

export class Breaker {
  /** Names this breaker in a probe's `kong.ctx.shared` marker. */
  readonly id = randomUUID();
  private readonly circuit: CircuitBreaker<[Promise<void>], void>;
  private readonly rotation = new EventEmitter();
  private readonly originMs: number;
  private rotations = 0;
  private nowMs: number;
  private state: CircuitState = 'closed';
  private sinceMs: number;
  private openUntilMs = 0;
  private openForMs = 0;
  private failedTrials = 0;
  private nextTicket = 1;
  private readonly pending = new Map<number, PendingCall>();
  /** Half-open probes in flight: ticket -> expiry. */
  private readonly probes = new Map<number, number>();
  private probeSuccesses = 0;
  private rejectedSinceOpen = 0;
  private lastFailure = '';
  private lastUsedMs: number;
  /**
   * When the circuit last opened, by the wall clock Kong's `started_at` uses (not the plugin's
   * clock, which tests set): only compared with the `started_at` of requests.
   */
  private openedAtWallMs = Number.NEGATIVE_INFINITY;
  /** When the circuit last closed, on the same wall clock (a late probe's request started before). */
  private closedAtWallMs = Number.NEGATIVE_INFINITY;
  /** Backward steps of the wall clock absorbed so far (`steady`). */
  private clockOffsetMs = 0;
  private lastRawMs: number;
  private readonly transitions: Transition[] = [];
  private last: Transition | null = null;

  constructor(
    readonly settings: BreakerSettings,
    nowMs: number,
    name: string,
  ) {
    this.lastRawMs = nowMs;
    this.nowMs = nowMs;
    this.originMs = nowMs;
    this.sinceMs = nowMs;
    this.lastUsedMs = nowMs;
    this.circuit = new CircuitBreaker((deferred: Promise<void>) => deferred, {
      name,
      // the deferred call has no timer of its own: calls without outcome are dropped (sweep)
      timeout: false,
      // opossum's own reset timer only flips its internal flag; this class decides half-open from
      // the plugin's clock and never fires unless closed. The cap bounds how long that timer lives.
      resetTimeout: settings.maxOpenDurationMs,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.minimumRequests,
      rollingCountTimeout: settings.windowMs,
      rollingCountBuckets: settings.windowBuckets,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: this.rotation,
    });
    this.circuit.on('open', () => this.onOpened());
    this.circuit.on('close', () => this.onClosed());
    // opossum (8.x) keeps every call's latency in the current bucket even with percentiles off:
    // ~10 bytes a call for as long as the window lasts (an hour's window at 1000 req/s: 36 MB per
    // breaker). Nothing here reads them; its own listeners, registered first, have counted the call.
    const dropLatencies = (): void => {
      const bucket = (this.circuit.status.window as Array<{ latencyTimes?: number[] }>)[0];
      if (bucket?.latencyTimes) bucket.latencyTimes.length = 0;
    };
    this.circuit.on('success', dropLatencies);
    this.circuit.on('failure', dropLatencies);
    this.circuit.on('timeout', dropLatencies);
  }

  /** The access phase's question: may this request reach the upstream? */
  admit(wallMs: number): Admission {
    const nowMs = this.steady(wallMs);
    this.tick(nowMs);
    if (this.state === 'closed') return this.fire();
    if (this.state === 'half_open' && this.probes.size + this.probeSuccesses < this.settings.halfOpenProbes) {
      const ticket = this.nextTicket++;
      this.probes.set(ticket, nowMs + this.settings.pendingTimeoutMs);
      return { kind: 'probe', marker: `${this.id}.${ticket}` };
    }
    this.rejectedSinceOpen++;
    const retryAfterSeconds = this.state === 'open' ? Math.max(1, Math.ceil((this.openUntilMs - nowMs) / 1000)) : 1;
    return { kind: 'reject', state: this.state, retryAfterSeconds };
  }

  /**
   * A let-through request's outcome (log phase). Settles the oldest pending call: calls are
   * counted per breaker, so which one a log event settles does not change the counts. A request
   * Kong received before the circuit last opened (`startedAtWallMs`, Kong's `started_at`) was let
   * through in an earlier closed period: its late outcome (a hanging upstream answering at last)
   * is ignored, or it would count against the calls of the period that followed the recovery.
   */
  async settle(outcome: Outcome, wallMs: number, startedAtWallMs?: number): Promise<void> {
    this.tick(this.steady(wallMs));
    if (outcome.kind === 'none' || this.state !== 'closed') return;
    if (startedAtWallMs !== undefined && startedAtWallMs < this.openedAtWallMs) return;
    const oldest = this.pending.keys().next();
    if (oldest.done) return;
    const call = this.pending.get(oldest.value)!;
    this.pending.delete(oldest.value);
    if (outcome.kind === 'success') {
      call.resolve();
    } else {
      this.lastFailure = outcome.detail;
      call.reject(new UpstreamCallFailed(outcome.detail));
    }
    await call.counted;
  }

  /**
   * Whether Kong received the request (`started_at`) before the circuit last closed. Then, with the
   * circuit closed, it may be a probe of the trial that closed it, whose place went to another
   * request after `pendingTimeoutMs` (a long-lived connection): its marker tells, and its late
   * outcome is over with that trial — it must not settle a call of the recovered period.
   */
  receivedBeforeClose(startedAtWallMs: number | undefined): boolean {
    return startedAtWallMs !== undefined && startedAtWallMs < this.closedAtWallMs;
  }

  /** Whether a log event may be a probe's (then its `kong.ctx.shared` marker is worth reading). */
  hasProbesInFlight(): boolean {
    return this.probes.size > 0;
  }

  /** The ticket of a probe marker of this breaker, if it is one. */
  probeTicket(marker: unknown): number | undefined {
    if (typeof marker !== 'string' || !marker.startsWith(`${this.id}.`)) return undefined;
    const ticket = Number(marker.slice(this.id.length + 1));
    return Number.isInteger(ticket) ? ticket : undefined;
  }

  /** A probe's outcome. No outcome (the request never reached the upstream) gives its place back. */
  settleProbe(ticket: number, outcome: Outcome, wallMs: number): void {
    this.tick(this.steady(wallMs));
    if (this.state !== 'half_open' || !this.probes.delete(ticket)) return;
    if (outcome.kind === 'none') return;
    if (outcome.kind === 'failure') {
      this.lastFailure = outcome.detail;
      this.failedTrials++;
      this.openFor(this.durationAfter(this.failedTrials), `half-open probe failed: ${outcome.detail}`);
      return;
    }
    this.probeSuccesses++;
    if (this.probeSuccesses >= this.settings.halfOpenProbes) this.circuit.close();
  }

  /** Transitions not logged yet, oldest first; the caller logs them in its request. */
  drainTransitions(): Transition[] {
    return this.transitions.splice(0);
  }

  /** Drops calls and probes that waited longer than `pendingTimeoutMs`. */
  sweep(wallMs: number): void {
    this.dropExpired(this.steady(wallMs));
  }

  private dropExpired(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    for (const [ticket, call] of this.pending) {
      if (call.expiresAtMs > nowMs) break; // insertion order is expiry order
      this.drop(ticket, call);
    }
    for (const [ticket, expiresAtMs] of this.probes) if (expiresAtMs <= nowMs) this.probes.delete(ticket);
  }

  /** The state as of `nowMs`; an elapsed open duration shows as half_open (the transition itself
   *  waits for a request of this breaker, which logs it). */
  view(wallMs: number): BreakerView {
    const nowMs = this.steady(wallMs);
    this.advanceWindow(nowMs);
    this.dropExpired(nowMs);
    const stats = this.circuit.stats;
    const elapsed = this.state === 'open' && nowMs >= this.openUntilMs;
    const state: CircuitState = elapsed ? 'half_open' : this.state;
    const open = state === 'open';
    return {
      state,
      sinceMs: (elapsed ? this.openUntilMs : this.sinceMs) - this.clockOffsetMs,
      openUntilMs: open ? this.openUntilMs - this.clockOffsetMs : null,
      retryAfterSeconds: open ? Math.max(1, Math.ceil((this.openUntilMs - nowMs) / 1000)) : null,
      openDurationMs: open ? this.openForMs : this.durationAfter(state === 'half_open' ? this.failedTrials + 1 : 0),
      failedTrials: this.failedTrials,
      window: {
        fires: stats.fires,
        successes: stats.successes,
        failures: stats.failures,
        failurePercentage: stats.fires > 0 ? Math.round((stats.failures / stats.fires) * 10000) / 100 : 0,
      },
      pendingCalls: this.pending.size,
      rejectedSinceOpen: state === 'closed' ? 0 : this.rejectedSinceOpen,
      probes: state === 'half_open' ? { allowed: this.settings.halfOpenProbes, inFlight: this.probes.size, succeeded: this.probeSuccesses } : null,
      lastTransition: this.last,
    };
  }

  /**
   * Whether forgetting this breaker loses nothing: closed, and unused for longer than its window,
   * its longest open duration and its pending timeout, so its counts are empty and no call is
   * pending; the next request would find it closed anyway. An open breaker, or one whose open
   * period has elapsed (the next requests must be probes), is kept however long nobody calls:
   * forgetting it would let every request through to an upstream that may still be down.
   */
  isIdle(wallMs: number): boolean {
    return this.state === 'closed' && this.isUnused(wallMs);
  }

  /** Unused for longer than its window, its longest open duration and its pending timeout. */
  isUnused(wallMs: number): boolean {
    const { windowMs, maxOpenDurationMs, pendingTimeoutMs } = this.settings;
    return this.steady(wallMs) - this.lastUsedMs > Math.max(windowMs, maxOpenDurationMs, pendingTimeoutMs);
  }

  /** On the wall clock, as the state endpoint shows it. */
  get lastUsedAtMs(): number {
    return this.lastUsedMs - this.clockOffsetMs;
  }

  get currentState(): CircuitState {
    return this.state;
  }

  /** Stops opossum's timer and listeners (the breaker left the registry). */
  shutdown(): void {
    this.pending.clear();
    this.probes.clear();
    this.circuit.shutdown();
  }

  // ---------------------------------------------------------------- internals

  /**
   * The wall clock with its backward steps absorbed: open durations, Retry-After and the rolling
   * window keep counting real time when an NTP correction or a VM resume steps the clock back
   * (else an hour's step kept a circuit open an extra hour, and failures an hour old in the
   * window). Every public entry point goes through it; the runtime's sweep calls every breaker
   * each second, so each sees a step at once.
   */
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

  private fire(): Admission {
    if (!this.circuit.closed) {
      // cannot happen (opossum is closed whenever this breaker is, unless shut down): let the
      // request through uncounted rather than refuse it on a breaker's bug (see handler.ts)
      return { kind: 'pass' };
    }
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const deferred = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // opossum chains on `deferred` itself; fire()'s own promise rejects on failure: caught here
    const counted = this.circuit.fire(deferred).catch(() => undefined);
    const bucket = this.circuit.status.window[0] as { fires: number } | undefined;
    const ticket = this.nextTicket++;
    this.pending.set(ticket, { resolve, reject, counted, bucket, expiresAtMs: this.nowMs + this.settings.pendingTimeoutMs });
    if (this.pending.size > MAX_PENDING_CALLS) {
      const oldest = this.pending.keys().next().value as number;
      this.drop(oldest, this.pending.get(oldest)!);
    }
    return { kind: 'pass' };
  }

  /** A call that will never be settled: out of the counts, unreferenced. */
  private drop(ticket: number, call: PendingCall): void {
    this.pending.delete(ticket);
    if (call.bucket && call.bucket.fires > 0) call.bucket.fires--;
  }

  /** opossum opened the circuit (threshold reached while closed). */
  private onOpened(): void {
    if (this.state !== 'closed') return; // opossum's parked reset timer re-opening: not a transition
    const stats = this.circuit.stats;
    const pct = stats.fires > 0 ? Math.round((stats.failures / stats.fires) * 100) : 0;
    // the calls in flight belong to the closed period: their outcomes no longer matter
    this.pending.clear();
    this.openFor(
      this.durationAfter(0),
      `${stats.failures} of ${stats.fires} calls failed (${pct}%) in the last ${this.settings.windowMs} ms; last: ${this.lastFailure || 'n/a'}`,
    );
  }

  /** opossum closed the circuit (all probes succeeded). */
  private onClosed(): void {
    if (this.state === 'closed') return;
    const from = this.state;
    const n = this.probeSuccesses;
    this.state = 'closed';
    this.closedAtWallMs = Date.now();
    this.sinceMs = this.nowMs;
    this.failedTrials = 0;
    this.probes.clear();
    this.probeSuccesses = 0;
    this.pending.clear();
    this.resetWindow();
    this.record({ from, to: 'closed', atMs: this.nowMs, reason: `${n} probe request${n === 1 ? '' : 's'} succeeded` });
  }

  private openFor(durationMs: number, reason: string): void {
    const from = this.state;
    this.state = 'open';
    this.openedAtWallMs = Date.now();
    this.sinceMs = this.nowMs;
    this.openForMs = durationMs;
    this.openUntilMs = this.nowMs + durationMs;
    this.rejectedSinceOpen = 0;
    this.probes.clear();
    this.probeSuccesses = 0;
    this.record({ from, to: 'open', atMs: this.nowMs, reason, openForMs: durationMs });
  }

  /** Open duration after `failedTrials` failed half-open trials. */
  private durationAfter(failedTrials: number): number {
    const { openDurationMs, openDurationMultiplier, maxOpenDurationMs } = this.settings;
    return Math.min(Math.round(openDurationMs * openDurationMultiplier ** failedTrials), maxOpenDurationMs);
  }

  private record(t: Transition): void {
    this.last = t;
    this.transitions.push(t);
    if (this.transitions.length > MAX_TRANSITIONS) this.transitions.splice(0, this.transitions.length - MAX_TRANSITIONS);
  }

  /** Rotates opossum's buckets to where the plugin's clock is. */
  private advanceWindow(nowMs: number): void {
    const bucketMs = this.settings.windowMs / this.settings.windowBuckets;
    const due = Math.floor((nowMs - this.originMs) / bucketMs);
    const rotate = Math.min(due - this.rotations, this.settings.windowBuckets);
    if (due > this.rotations) this.rotations = due;
    for (let i = 0; i < rotate; i++) this.rotation.emit('rotate');
  }

  /** A closed circuit starts from an empty window (the failures that opened it are history). */
  private resetWindow(): void {
    for (let i = 0; i < this.settings.windowBuckets; i++) this.rotation.emit('rotate');
  }
}
