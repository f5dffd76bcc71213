/**
 * Keys from JWKS served by a real loopback HTTP identity provider: rotation, the refetch
 * cooldown, an identity provider that goes down (cached keys keep serving) or never answered
 * (503), and a `kid` from another issuer's key set.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, edKey, makeToken, nowSec, rsaKey } from './tokens';

/** A JWKS endpoint whose key set and health the test controls; it counts requests. */
class FakeIdp {
  keys: unknown[] = [];
  status = 200;
  hits = 0;
  private server!: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      this.hits += 1;
      if (this.status !== 200) {
        res.writeHead(this.status, { 'content-type': 'text/plain' });
        res.end('unavailable');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const oldKey = rsaKey();
const newKey = ecKey('P-256');
const otherIssuerKey = edKey();
const A = 'https://a.example';
const B = 'https://b.example';
const claims = (iss: string) => ({ iss, sub: 'u', exp: nowSec() + 600 });

let env: JwtClaimsEnv;
let idpA: FakeIdp;
let idpB: FakeIdp;
let deadIdp: FakeIdp;

beforeAll(async () => {
  [idpA, idpB, deadIdp] = await Promise.all([new FakeIdp().start(), new FakeIdp().start(), new FakeIdp().start()]);
  idpA.keys = [oldKey.jwk({ kid: 'old', alg: 'RS256', use: 'sig' })];
  idpB.keys = [otherIssuerKey.jwk({ kid: 'b-1' })];
  deadIdp.status = 503;
  env = await startJwtClaims();
});
afterAll(async () => {
  await env?.close();
  await Promise.all([idpA, idpB, deadIdp].map((i) => i?.close()));
});

describe('JWKS', () => {
  let rotating: string;
  let cooled: string;

  beforeAll(() => {
    rotating = env.route('rotating', {
      issuers: [
        { issuer: A, jwks_uri: idpA.url },
        { issuer: B, jwks_uri: idpB.url },
      ],
      jwks_refresh_cooldown: 0,
    });
    cooled = env.route('cooled', { issuers: [{ issuer: A, jwks_uri: idpA.url }], jwks_refresh_cooldown: 3600 });
  });

  it('fetches the key set once and serves later tokens from memory', async () => {
    const before = idpA.hits;
    for (let i = 0; i < 3; i++) {
      const res = await env.request(bearer(rotating, makeToken('RS256', oldKey.privateKey, { ...claims(A), n: i }, { kid: 'old' })));
      expect(res.status).toBe(200);
    }
    expect(idpA.hits - before).toBe(1);
  });

  it('picks up a rotated key: an unknown kid triggers a refetch', async () => {
    idpA.keys = [oldKey.jwk({ kid: 'old', alg: 'RS256' }), newKey.jwk({ kid: 'new', alg: 'ES256' })];
    const before = idpA.hits;
    const res = await env.request(bearer(rotating, makeToken('ES256', newKey.privateKey, claims(A), { kid: 'new' })));
    expect(res.status).toBe(200);
    expect(idpA.hits - before).toBe(1);
  });

  it('does not let a JWK declared for one alg verify another', async () => {
    const res = await env.request(bearer(rotating, makeToken('PS256', oldKey.privateKey, claims(A), { kid: 'old' })));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'No matching signing key' });
  });

  it("refuses a kid that belongs to another issuer's key set", async () => {
    const res = await env.request(bearer(rotating, makeToken('EdDSA', otherIssuerKey.privateKey, claims(A), { kid: 'b-1' })));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'No matching signing key' });
    const own = await env.request(bearer(rotating, makeToken('EdDSA', otherIssuerKey.privateKey, claims(B), { kid: 'b-1' })));
    expect(own.status).toBe(200);
  });

  it('rate-limits refetches for unknown kids to one per cooldown', async () => {
    expect((await env.request(bearer(cooled, makeToken('RS256', oldKey.privateKey, claims(A), { kid: 'old' })))).status).toBe(200);
    const before = idpA.hits;
    for (let i = 0; i < 5; i++) {
      const res = await env.request(bearer(cooled, makeToken('RS256', oldKey.privateKey, claims(A), { kid: `random-${i}` })));
      expect(res.status).toBe(401);
      expect(res.json()).toEqual({ message: 'No matching signing key' });
    }
    expect(idpA.hits - before).toBe(0);
  });

  it('keeps serving cached keys while the identity provider is down', async () => {
    const downRoute = env.route('down-later', { issuers: [{ issuer: A, jwks_uri: idpA.url }], jwks_cache_ttl: 1, jwks_refresh_cooldown: 0 });
    const token = (n: number) => makeToken('ES256', newKey.privateKey, { ...claims(A), n }, { kid: 'new' });
    expect((await env.request(bearer(downRoute, token(0)))).status).toBe(200);
    idpA.status = 500;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // let the cached set become stale
      const hitsBefore = idpA.hits;
      for (let n = 1; n <= 3; n++) expect((await env.request(bearer(downRoute, token(n)))).status).toBe(200);
      // The refresh runs in the background: wait for the provider to see it, then check again.
      for (let waited = 0; idpA.hits === hitsBefore && waited < 5000; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(idpA.hits).toBeGreaterThan(hitsBefore);
      expect((await env.request(bearer(downRoute, token(4)))).status).toBe(200);
    } finally {
      idpA.status = 200;
    }
  });

  it('serves a cached token from memory after its key is withdrawn, until cache_ttl; new tokens are refused', async () => {
    const withdrawn = ecKey('P-256');
    idpA.keys = [oldKey.jwk({ kid: 'old', alg: 'RS256' }), withdrawn.jwk({ kid: 'gone' })];
    const cachedRoute = env.route('cached', { issuers: [{ issuer: A, jwks_uri: idpA.url }], jwks_refresh_cooldown: 0, cache_ttl: 300 });
    const cached = makeToken('ES256', withdrawn.privateKey, claims(A), { kid: 'gone' });
    expect((await env.request(bearer(cachedRoute, cached))).status).toBe(200);

    idpA.keys = [oldKey.jwk({ kid: 'old', alg: 'RS256' })];
    // an unknown kid forces a refetch: the key set no longer holds "gone"
    expect((await env.request(bearer(cachedRoute, makeToken('RS256', oldKey.privateKey, claims(A), { kid: 'rotate-probe' })))).status).toBe(401);
    const fresh = makeToken('ES256', withdrawn.privateKey, { ...claims(A), jti: 'new' }, { kid: 'gone' });
    const refused = await env.request(bearer(cachedRoute, fresh));
    expect(refused.status).toBe(401);
    expect(refused.json()).toEqual({ message: 'No matching signing key' });
    expect((await env.request(bearer(cachedRoute, cached))).status).toBe(200);
  });

  it('picks up a rotation no kid reveals (a set without kids, a key re-issued under its kid) at the next request, not after jwks_cache_ttl', async () => {
    // Found by the JWKS model (jwks-model.harness.test.ts): only an unknown kid made the plugin
    // refetch, so after such a rotation every new token got 401 until jwks_cache_ttl (10 min).
    const [first, second, third] = [rsaKey(), rsaKey(), ecKey('P-256')];
    const idp = await new FakeIdp().start();
    try {
      idp.keys = [first.jwk({ alg: 'RS256' }), first.jwk({ kid: 'main' })];
      const route = env.route('rotating-quietly', { issuers: [{ issuer: A, jwks_uri: idp.url }], jwks_cache_ttl: 600, jwks_refresh_cooldown: 0 });
      const send = (alg: 'RS256' | 'ES256', key: typeof first, header: Record<string, unknown>, n: number) =>
        env.request(bearer(route, makeToken(alg, key.privateKey, { ...claims(A), n }, header)));
      expect((await send('RS256', first, {}, 1)).status).toBe(200);
      expect((await send('RS256', first, { kid: 'main' }, 2)).status).toBe(200);
      expect(idp.hits).toBe(1);

      // the kid-less key is replaced by another of the same type, and "main" re-issued
      idp.keys = [second.jwk({ alg: 'RS256' }), second.jwk({ kid: 'main' })];
      expect((await send('RS256', second, {}, 3)).status).toBe(200);
      expect(idp.hits).toBe(2);
      expect((await send('RS256', second, { kid: 'main' }, 4)).status).toBe(200);
      expect(idp.hits).toBe(2);

      // a kid-less key of a type the cached set lacks
      idp.keys = [second.jwk({ alg: 'RS256' }), third.jwk({})];
      expect((await send('ES256', third, {}, 5)).status).toBe(200);
      expect(idp.hits).toBe(3);
    } finally {
      await idp.close();
    }
  });

  it('refetches for tokens no cached key verifies at most once per cooldown', async () => {
    const known = rsaKey();
    const forger = rsaKey();
    const idp = await new FakeIdp().start();
    try {
      idp.keys = [known.jwk({})];
      const route = env.route('forged-kidless', { issuers: [{ issuer: A, jwks_uri: idp.url }], jwks_refresh_cooldown: 3600 });
      expect((await env.request(bearer(route, makeToken('RS256', known.privateKey, claims(A)))) ).status).toBe(200);
      for (let n = 0; n < 5; n++) {
        const res = await env.request(bearer(route, makeToken('RS256', forger.privateKey, { ...claims(A), n })));
        expect(res.status).toBe(401);
        expect(res.json()).toEqual({ message: 'Invalid signature' });
      }
      expect(idp.hits).toBe(1);
    } finally {
      await idp.close();
    }
  });

  it('never verifies with a key the set publishes with its private part, and logs that once', async () => {
    const leaked = edKey();
    const kept = ecKey('P-256');
    const idp = await new FakeIdp().start();
    try {
      idp.keys = [{ ...leaked.privateKey.export({ format: 'jwk' }), kid: 'leaked' }, kept.jwk({ kid: 'kept' })];
      const route = env.route('leaky', { issuers: [{ issuer: A, jwks_uri: idp.url }], jwks_refresh_cooldown: 3600 });
      const forged = () => env.request(bearer(route, makeToken('EdDSA', leaked.privateKey, claims(A), { kid: 'leaked' })));
      const first = await forged();
      expect(first.status).toBe(401);
      expect(first.json()).toEqual({ message: 'No matching signing key' });
      expect(first.upstreamRequest).toBeUndefined();
      const said = first.kongLog.filter((l) => l.message.includes('published with its private part'));
      expect(said.map((l) => [l.level, l.message])).toEqual([
        ['err', expect.stringContaining(`${idp.url}: (key "leaked" published with its private part, so not used: anyone can sign with it; rotate it)`)],
      ]);
      const second = await forged();
      expect(second.status).toBe(401);
      expect(second.kongLog.filter((l) => l.message.includes('private part'))).toEqual([]);
      expect((await env.request(bearer(route, makeToken('ES256', kept.privateKey, claims(A), { kid: 'kept' })))).status).toBe(200);
    } finally {
      await idp.close();
    }
  });

  it('answers 503 with Retry-After when no key set could ever be fetched, and logs why', async () => {
    const dead = env.route('dead', { issuers: [{ issuer: A, jwks_uri: deadIdp.url }], jwks_refresh_cooldown: 20 });
    const res = await env.request(bearer(dead, makeToken('RS256', oldKey.privateKey, claims(A), { kid: 'old' })));
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({ message: 'Signing keys unavailable' });
    expect(res.headers.first('retry-after')).toBe('20');
    expect(res.upstreamRequest).toBeUndefined();
    const warn = res.kongLog.find((l) => l.message.includes('signing keys unavailable'));
    expect(warn?.level).toBe('warn');
    expect(warn?.message).toContain(deadIdp.url);
  });
});
