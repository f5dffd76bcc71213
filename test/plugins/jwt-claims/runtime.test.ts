/** The verified-token cache and the per-config module state, without the plugin server. */
import { describe, expect, it } from 'vitest';
import { authenticate, runtimeFor } from '../../../plugins/jwt-claims/runtime';
import { makeToken, nowSec, rsaKey } from './tokens';

const key = rsaKey();
const ISS = 'https://cache.example';
const base = { issuers: [{ issuer: ISS, public_keys: [key.pem] }], leeway: 0 };

describe('runtimeFor', () => {
  it('shares one runtime between instances of equal settings, ignoring Kong bookkeeping', () => {
    const a = runtimeFor({ ...base, __seq__: 1, route_id: 'r1' });
    const b = runtimeFor({ ...base, __seq__: 7, route_id: 'r2', realm: null });
    expect(a).toBe(b);
    expect(runtimeFor({ ...base, realm: 'other' })).not.toBe(a);
  });

  it('keeps config problems instead of throwing', () => {
    const runtime = runtimeFor({ issuers: [{ issuer: 'x' }] });
    expect(runtime.config).toBeUndefined();
    expect(runtime.errors).toEqual(['issuers[0]: needs a jwks_uri or public_keys']);
  });
});

describe('authenticate', () => {
  it('caches a verified token until its exp, re-checking time on every hit', async () => {
    const runtime = runtimeFor({ ...base, cache_ttl: 3600 });
    const config = runtime.config!;
    const now = nowSec();
    const token = makeToken('RS256', key.privateKey, { iss: ISS, exp: now + 100, sub: 'u' });
    const first = await authenticate(runtime, config, token, now);
    expect(first.ok).toBe(true);
    expect(runtime.cache!.size).toBe(1);
    const remaining = runtime.cache!.getRemainingTTL([...runtime.cache!.keys()][0]!);
    expect(remaining).toBeGreaterThan(90_000);
    expect(remaining).toBeLessThanOrEqual(100_000);

    const second = await authenticate(runtime, config, token, now + 50);
    expect(second.ok && first.ok && second.value).toBe(first.ok && first.value);

    expect(await authenticate(runtime, config, token, now + 100)).toEqual({ ok: false, failure: { code: 'expired' } });
    expect(runtime.cache!.size).toBe(0);
  });

  it('caches genuine tokens that fail a rule, and never caches invalid ones', async () => {
    const runtime = runtimeFor({ ...base, claim_rules: [{ path: 'scope', contains: ['admin'] }] });
    const config = runtime.config!;
    const now = nowSec();
    const token = makeToken('RS256', key.privateKey, { iss: ISS, exp: now + 100, scope: 'read' });
    const denied = { ok: false, failure: { code: 'rule', detail: 'scope' } };
    expect(await authenticate(runtime, config, token, now)).toEqual(denied);
    expect(runtime.cache!.size).toBe(1);
    expect(await authenticate(runtime, config, token, now)).toEqual(denied);

    const forged = `${token.slice(0, -4)}AAAA`;
    expect((await authenticate(runtime, config, forged, now)).ok).toBe(false);
    expect(runtime.cache!.size).toBe(1);
  });

  it('does not cache when cache_size is 0', async () => {
    const off = runtimeFor({ ...base, cache_size: 0 });
    expect(off.cache).toBeUndefined();
    const now = nowSec();
    expect((await authenticate(off, off.config!, makeToken('RS256', key.privateKey, { iss: ISS, exp: now + 60 }), now)).ok).toBe(
      true,
    );
  });
});
