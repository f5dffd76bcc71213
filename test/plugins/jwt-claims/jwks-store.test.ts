import { describe, expect, it } from 'vitest';
import { JwksStore, MAX_JWKS_KEYS } from '../../../plugins/jwt-claims/jwks';
import { ecKey, edKey, rsaKey } from './tokens';

const k1 = rsaKey();
const k2 = ecKey('P-256');

/** A fetcher whose answer and availability the test sets, counting calls. */
function fakeProvider(initial: unknown[]) {
  const state = { keys: initial, down: false, calls: 0, gate: undefined as Promise<void> | undefined };
  const fetcher = async () => {
    state.calls += 1;
    if (state.gate) await state.gate;
    if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    return state.keys;
  };
  return { state, fetcher };
}

function clockAt(start: number) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

const options = { ttlMs: 60_000, cooldownMs: 10_000, timeoutMs: 1000 };

describe('JwksStore', () => {
  it('fetches once, then serves from memory', async () => {
    const { state, fetcher } = fakeProvider([k1.jwk({ kid: 'a' })]);
    const store = new JwksStore('https://idp/jwks', options, fetcher, clockAt(0).read);
    expect((await store.lookup('a')).keys).toHaveLength(1);
    expect((await store.lookup('a')).keys).toHaveLength(1);
    expect((await store.lookup(undefined)).keys).toHaveLength(1);
    expect(state.calls).toBe(1);
  });

  it('refetches on an unknown kid (rotation), at most once per cooldown', async () => {
    const { state, fetcher } = fakeProvider([k1.jwk({ kid: 'a' })]);
    const clock = clockAt(0);
    const store = new JwksStore('u', options, fetcher, clock.read);
    await store.lookup('a');
    clock.now = 10_000;
    state.keys = [k1.jwk({ kid: 'a' }), k2.jwk({ kid: 'b' })];
    expect((await store.lookup('b')).keys.map((k) => k.kid)).toEqual(['b']);
    expect(state.calls).toBe(2);
    expect((await store.lookup('random-1')).keys).toEqual([]);
    expect((await store.lookup('random-2')).keys).toEqual([]);
    expect(state.calls).toBe(2);
    clock.now = 20_000;
    await store.lookup('random-3');
    expect(state.calls).toBe(3);
  });

  it('keeps serving cached keys while the provider is down, refreshing in the background when stale', async () => {
    const { state, fetcher } = fakeProvider([k1.jwk({ kid: 'a' })]);
    const clock = clockAt(0);
    const store = new JwksStore('u', options, fetcher, clock.read);
    await store.lookup('a');
    state.down = true;
    clock.now = 120_000;
    const lookup = await store.lookup('a');
    expect(lookup).toMatchObject({ available: true });
    expect(lookup.keys).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.calls).toBe(2);
    expect(store.lastError).toContain('ECONNREFUSED');
    expect((await store.lookup('a')).keys).toHaveLength(1);
    state.down = false;
    state.keys = [k2.jwk({ kid: 'b' })];
    clock.now = 200_000;
    await store.lookup('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.lastError).toBeUndefined();
    expect((await store.lookup('b')).keys).toHaveLength(1);
  });

  it('reports unavailable when no key set was ever fetched, without retrying inside the cooldown', async () => {
    const { state, fetcher } = fakeProvider([]);
    state.down = true;
    const clock = clockAt(0);
    const store = new JwksStore('u', options, fetcher, clock.read);
    expect(await store.lookup('a')).toEqual({ keys: [], available: false });
    expect(await store.lookup('a')).toEqual({ keys: [], available: false });
    expect(state.calls).toBe(1);
    state.down = false;
    state.keys = [k1.jwk({ kid: 'a' })];
    clock.now = 10_000;
    expect((await store.lookup('a')).available).toBe(true);
  });

  it('coalesces concurrent fetches into one request', async () => {
    const { state, fetcher } = fakeProvider([k1.jwk({ kid: 'a' })]);
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const store = new JwksStore('u', options, fetcher, clockAt(0).read);
    const pending = [store.lookup('a'), store.lookup('a'), store.lookup('a')];
    open();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.keys.length === 1)).toBe(true);
    expect(state.calls).toBe(1);
  });

  it('skips keys not meant for signatures, keys published with their private part and junk; an empty set keeps the old keys', async () => {
    const { state, fetcher } = fakeProvider([
      k1.jwk({ kid: 'enc', use: 'enc' }),
      k1.jwk({ kid: 'wrap', key_ops: ['wrapKey'] }),
      // RFC 7517 §4.3/§4.4: key_ops strings without duplicates, alg a string; else not used
      k1.jwk({ kid: 'ops-twice', key_ops: ['verify', 'verify'] }),
      k1.jwk({ kid: 'ops-not-strings', key_ops: ['verify', 1] }),
      k1.jwk({ kid: 'alg-not-a-string', alg: 256 }),
      k1.jwk({ kid: 'alg-null', alg: null }),
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
      { kty: 'RSA', kid: 'broken', n: 'AQAB' },
      'junk',
      { ...edKey().privateKey.export({ format: 'jwk' }), kid: 'ed-with-private-part' },
      k2.jwk({ kid: 'ok', use: 'sig', key_ops: ['verify'] }),
    ]);
    const clock = clockAt(0);
    const store = new JwksStore('u', { ...options, cooldownMs: 0 }, fetcher, clock.read);
    const all = await store.lookup(undefined);
    // A private key anyone can fetch is a disclosed one: tokens it verifies prove nothing.
    expect(all.keys.map((k) => k.kid)).toEqual(['ok']);
    expect(all.keys.every((k) => k.key.type === 'public')).toBe(true);
    expect(store.disclosedKeys).toEqual(['"hmac"', '"ed-with-private-part"']);
    state.keys = [];
    clock.now = 1;
    await store.lookup('unknown');
    expect(store.lastError).toBe('the JWKS holds no usable signing key');
    expect((await store.lookup('ok')).keys).toHaveLength(1);
  });

  it('says which keys were published with their private part when no other key is usable', async () => {
    const { fetcher } = fakeProvider([{ ...edKey().privateKey.export({ format: 'jwk' }), kid: 'leaked' }, { ...k1.jwk({}), d: 'AQAB' }]);
    const store = new JwksStore('u', { ...options, cooldownMs: 0 }, fetcher, clockAt(0).read);
    expect((await store.lookup('leaked')).available).toBe(false);
    expect(store.lastError).toBe(
      'the JWKS holds no usable signing key (key "leaked", (no kid) published with its private part, so not used: anyone can sign with it; rotate it)',
    );
  });

  it(`keeps at most ${MAX_JWKS_KEYS} keys`, async () => {
    const jwk = k2.jwk();
    const { fetcher } = fakeProvider(Array.from({ length: MAX_JWKS_KEYS + 10 }, (_, i) => ({ ...jwk, kid: `k${i}` })));
    const store = new JwksStore('u', options, fetcher, clockAt(0).read);
    expect((await store.lookup(undefined)).keys).toHaveLength(MAX_JWKS_KEYS);
  });
});
