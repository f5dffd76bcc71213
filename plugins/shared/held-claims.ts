/**
 * The store claims this plugin server process holds for requests still running: taken in
 * `access`, settled in a later phase (`response`, `log`). While none is held, no request here
 * can hold one, so those later phases answer without asking Kong for the claim: a PDK round trip
 * saved on every request that claimed nothing (replays, duplicates, other methods...). A
 * request's phases all run in the plugin server that claimed for it, so a process-wide table is
 * exact.
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

export const KEPT_AFTER_LOCK_MS = 10 * 60 * 1000;

export class HeldClaims {
  /** Owner token -> when the entry goes (ms, monotonic clock). */
  private readonly held = new Map<string, number>();

  constructor(private readonly keptAfterLockMs = KEPT_AFTER_LOCK_MS) {}

  hold(token: string, lockTtlMs: number, now = performance.now()): void {
    this.held.set(token, now + lockTtlMs + this.keptAfterLockMs);
  }

  /** true once, for a claim still held: whoever gets true settles it. */
  settle(token: string): boolean {
    return this.held.delete(token);
  }

  /**
   * Whether any request here may hold a claim, and how many entries were found expired on the
   * way (requests that never ended: worth a warning). Expired entries go from the oldest on:
   * insertion order is expiry order for one lock TTL, and a longer lock ahead of a shorter one
   * only keeps the shorter one a little longer.
   */
  any(now = performance.now()): { held: boolean; expired: number } {
    let expired = 0;
    for (const [token, expires] of this.held) {
      if (expires > now) return { held: true, expired };
      this.held.delete(token);
      expired++;
    }
    return { held: false, expired };
  }
}
