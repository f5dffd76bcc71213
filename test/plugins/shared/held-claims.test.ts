/** The claims a plugin server holds for running requests: what lets later phases skip a PDK call. */
import { describe, expect, it } from 'vitest';
import { HeldClaims, KEPT_AFTER_LOCK_MS } from '../../../plugins/shared/held-claims';

// The process "started" at 0; t0 is past every startup window below but the one tested.
const t0 = 1_000_000;
const WINDOW = 300_000;

describe('HeldClaims', () => {
  it('is held from hold() until settled once, whoever settles first', () => {
    const claims = new HeldClaims(KEPT_AFTER_LOCK_MS, 0);
    expect(claims.any(WINDOW, t0)).toEqual({ held: false, expired: 0 });
    claims.hold('a', 1000, t0);
    claims.hold('b', 1000, t0 + 1);
    expect(claims.any(WINDOW, t0 + 2).held).toBe(true);
    expect(claims.settle('a')).toBe(true);
    expect(claims.settle('a')).toBe(false);
    expect(claims.any(WINDOW, t0 + 2).held).toBe(true);
    expect(claims.settle('b')).toBe(true);
    expect(claims.any(WINDOW, t0 + 2)).toEqual({ held: false, expired: 0 });
  });

  it('counts as held for one lock TTL after the process started: a predecessor\'s claims may be waiting', () => {
    const claims = new HeldClaims(KEPT_AFTER_LOCK_MS, 0);
    expect(claims.any(WINDOW, 0)).toEqual({ held: true, expired: 0 });
    expect(claims.any(WINDOW, WINDOW - 1)).toEqual({ held: true, expired: 0 });
    expect(claims.any(WINDOW, WINDOW)).toEqual({ held: false, expired: 0 });
    // The window is the asking config's lock TTL: a shorter one is over sooner.
    expect(claims.any(1000, 1000)).toEqual({ held: false, expired: 0 });
  });

  it('keeps an entry past its lock (a slow request still finds it), then drops it and counts it', () => {
    const claims = new HeldClaims(KEPT_AFTER_LOCK_MS, 0);
    claims.hold('slow', 1000, t0);
    claims.hold('dropped', 1000, t0);
    expect(claims.any(WINDOW, t0 + 1000 + KEPT_AFTER_LOCK_MS - 1)).toEqual({ held: true, expired: 0 });
    expect(claims.settle('slow')).toBe(true);
    expect(claims.any(WINDOW, t0 + 1000 + KEPT_AFTER_LOCK_MS)).toEqual({ held: false, expired: 1 });
    // Should its request still end, its first settler completes or releases it (owner-checked).
    expect(claims.settle('dropped')).toBe(true);
    expect(claims.settle('dropped')).toBe(false);
  });

  it('settles a claim it never held (a predecessor\'s) once: response then log of one request', () => {
    const claims = new HeldClaims(KEPT_AFTER_LOCK_MS, 0);
    expect(claims.settle('from-before-the-restart')).toBe(true);
    expect(claims.settle('from-before-the-restart')).toBe(false);
    expect(claims.any(WINDOW, t0)).toEqual({ held: false, expired: 0 });
  });

  it('drops expired entries oldest first and stops at the first live one', () => {
    const claims = new HeldClaims(0, 0);
    claims.hold('old', 10, t0);
    claims.hold('long', 100000, t0);
    claims.hold('short', 10, t0);
    expect(claims.any(WINDOW, t0 + 11)).toEqual({ held: true, expired: 1 });
    // "short" expired too but waits behind "long": held a little longer, never dropped early.
    expect(claims.settle('short')).toBe(true);
    expect(claims.settle('long')).toBe(true);
    expect(claims.any(WINDOW, t0 + 11)).toEqual({ held: false, expired: 0 });
  });

  it('holding a token again moves its expiry, it is still settled once', () => {
    const claims = new HeldClaims(0, 0);
    claims.hold('t', 10, t0);
    claims.hold('t', 1000, t0);
    expect(claims.any(WINDOW, t0 + 500)).toEqual({ held: true, expired: 0 });
    expect(claims.settle('t')).toBe(true);
    expect(claims.settle('t')).toBe(false);
  });
});
