/**
 * The store claims this plugin server process holds for requests still running: taken in
 * `access`, settled in a later phase (`response`, `log`). While none is held, no request here
 * can hold one, so those later phases answer without asking Kong for the claim: a PDK round trip
 * saved on every request that claimed nothing (replays, duplicates, other methods...). A
 * request's phases all run in the plugin server that claimed for it, so a process-wide table is
 * exact.
 *
 * A plugin server that starts (Kong restarts a crashed one, `kong reload` replaces it) cannot know
 * the claims its predecessor took: their requests' later phases now come here. So for one lock
 * TTL after the start (`startupWindowMs`, the config's: by then every claim taken before has
 * expired) every later phase asks, and completes or releases what it finds, as it must: a
 * skipped completion would let a retry run the operation again once the lock expires.
 *
 * An entry whose request never comes back (Kong dropped it) must not keep every later phase
 * asking forever, so it goes `keptAfterLockMs` after its lock expired: releasing that lock would
 * do nothing by then, and a request slower than its lock still finds its entry and reports the
 * lock it lost. An entry kept too long only costs a PDK call per phase; one dropped too early
 * would skip a release, which is why nothing but this expiry drops entries.
 *
 * Zero-call events are freed by this project's plugin server (plugins/server); kong-pdk 0.6.0's
 * leaks each one, which is one reason kong.conf runs the former.
 */
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';

export const KEPT_AFTER_LOCK_MS = 10 * 60 * 1000;

export class HeldClaims {
  /** Owner token -> when the entry goes (ms, monotonic clock). */
  private readonly held = new Map<string, number>();
  /**
   * Tokens settled here, so that a later phase of the same request knows there is nothing left
   * to do. A request's log follows its response within milliseconds; a minute and 100k entries
   * are far beyond that, and forgetting one only costs an owner-checked no-op in the store.
   */
  private readonly settled = new LRUCache<string, true>({ max: 100_000, ttl: 60_000 });
  /** Module load: no later than this process's first event, so the window errs on the long side. */
  private readonly startedAt: number;

  constructor(
    private readonly keptAfterLockMs = KEPT_AFTER_LOCK_MS,
    now = performance.now(),
  ) {
    this.startedAt = now;
  }

  hold(token: string, lockTtlMs: number, now = performance.now()): void {
    this.held.set(token, now + lockTtlMs + this.keptAfterLockMs);
  }

  /**
   * true once per claim: whoever gets true settles it (completes or releases it in the store).
   * A claim this process never held (its predecessor's) is settled by its first caller too.
   */
  settle(token: string): boolean {
    if (this.settled.has(token)) return false;
    this.held.delete(token);
    this.settled.set(token, true);
    return true;
  }

  /**
   * Whether this request may hold a claim: one is held here, or this process started less than
   * `startupWindowMs` ago (a predecessor's claim may be waiting). Also how many entries were found
   * expired on the way (requests that never ended: worth a warning). Expired entries go from the
   * oldest on: insertion order is expiry order for one lock TTL, and a longer lock ahead of a
   * shorter one only keeps the shorter one a little longer.
   */
  any(startupWindowMs: number, now = performance.now()): { held: boolean; expired: number } {
    let expired = 0;
    for (const [token, expires] of this.held) {
      if (expires > now) return { held: true, expired };
      this.held.delete(token);
      expired++;
    }
    return { held: now - this.startedAt < startupWindowMs, expired };
  }
}
