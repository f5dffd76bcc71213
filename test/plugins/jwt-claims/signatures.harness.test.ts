/**
 * Acceptance, through the real kong-pdk plugin server and KongSim: signatures of every algorithm
 * family, algorithm confusion, issuer and audience, time claims with leeway under an injected
 * clock, and the RFC 7515 example tokens.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { everyAlgorithm } from './algorithm-cases';
import { ecKey, edKey, makeToken, rsaKey, signingInput } from './tokens';

const vectors = JSON.parse(readFileSync(join(__dirname, '../../fixtures/vectors/jws_vectors.json'), 'utf8'));
const ISS = 'https://idp.example';
const NOW = 1_750_000_000;

const keys = {
  rsa: rsaKey(),
  p256: ecKey('P-256'),
  p384: ecKey('P-384'),
  p521: ecKey('P-521'),
  ed25519: edKey('ed25519'),
  ed448: edKey('ed448'),
};
const families = everyAlgorithm(keys);

let env: JwtClaimsEnv;
let all: string;
let rs256Only: string;
let timed: string;
let audience: string;
let rfc: string;

beforeAll(async () => {
  env = await startJwtClaims();
  all = env.route('all', { issuers: [{ issuer: ISS, public_keys: Object.values(keys).map((k) => k.pem) }], realm: 'api' });
  rs256Only = env.route('rs256', { issuers: [{ issuer: ISS, public_keys: [keys.rsa.pem] }], algorithms: ['RS256'] });
  timed = env.route('timed', {
    issuers: [{ issuer: ISS, public_keys: [keys.p256.pem] }],
    leeway: 60,
    max_token_age: 3600,
  });
  audience = env.route('aud', { issuers: [{ issuer: ISS, public_keys: [keys.p256.pem] }], audiences: ['orders', 'billing'] });
  const pem = (jwk: unknown) => createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  rfc = env.route('rfc', {
    issuers: [{ issuer: 'joe', public_keys: [pem(vectors.RS256.public_jwk), pem(vectors.ES256.public_jwk)] }],
    leeway: 0,
  });
});
afterAll(async () => env?.close());
afterEach(() => env.setClock(undefined));

const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS, sub: 'user-1', exp: NOW + 600, ...extra });
const challenge = (r: { headers: { first(n: string): string | undefined } }) => r.headers.first('www-authenticate');

describe('signatures, every algorithm family', () => {
  it.each(families)('%s: genuine token passes, a flipped signature bit is 401 invalid_token', async (alg, key) => {
    env.setClock(NOW);
    const token = makeToken(alg, key.privateKey, claims());
    const ok = await env.request(bearer(all, token));
    expect(ok.status).toBe(200);
    expect(ok.text()).toBe('upstream');

    const [h, p, s] = token.split('.');
    const sig = Buffer.from(s!, 'base64url');
    sig[0] ^= 0x01;
    const bad = await env.request(bearer(all, `${h}.${p}.${sig.toString('base64url')}`));
    expect(bad.status).toBe(401);
    expect(bad.json()).toEqual({ message: 'Invalid signature' });
    expect(challenge(bad)).toBe('Bearer realm="api", error="invalid_token", error_description="Invalid signature"');
  });

  it('refuses a token signed by a key the issuer does not have', async () => {
    env.setClock(NOW);
    const stranger = rsaKey();
    const res = await env.request(bearer(all, makeToken('RS256', stranger.privateKey, claims())));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Invalid signature' });
  });
});

describe('algorithm confusion', () => {
  it('refuses alg none', async () => {
    env.setClock(NOW);
    const res = await env.request(bearer(all, `${signingInput({ alg: 'none' }, claims())}.`));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Token algorithm not allowed' });
  });

  it('refuses HS256 keyed with the public key PEM', async () => {
    env.setClock(NOW);
    const input = signingInput({ alg: 'HS256', typ: 'JWT' }, claims());
    const mac = createHmac('sha256', keys.rsa.pem).update(input).digest('base64url');
    const res = await env.request(bearer(all, `${input}.${mac}`));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Token algorithm not allowed' });
  });

  it('honours the per-config allow-list', async () => {
    env.setClock(NOW);
    expect((await env.request(bearer(rs256Only, makeToken('RS256', keys.rsa.privateKey, claims())))).status).toBe(200);
    const ps = await env.request(bearer(rs256Only, makeToken('PS256', keys.rsa.privateKey, claims())));
    expect(ps.status).toBe(401);
    expect(ps.json()).toEqual({ message: 'Token algorithm not allowed' });
  });
});

describe('issuer and audience', () => {
  it('refuses an issuer that is not configured, even with a valid signature', async () => {
    env.setClock(NOW);
    const res = await env.request(bearer(all, makeToken('ES256', keys.p256.privateKey, claims({ iss: 'https://evil.example' }))));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Untrusted token issuer' });
  });

  it('accepts any one configured audience and refuses others', async () => {
    env.setClock(NOW);
    const t = (aud: unknown) => makeToken('ES256', keys.p256.privateKey, claims({ aud }));
    expect((await env.request(bearer(audience, t(['x', 'billing'])))).status).toBe(200);
    expect((await env.request(bearer(audience, t('orders')))).status).toBe(200);
    const wrong = await env.request(bearer(audience, t('shipping')));
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual({ message: 'Invalid audience' });
    expect((await env.request(bearer(audience, makeToken('ES256', keys.p256.privateKey, claims())))).status).toBe(401);
  });
});

describe('time claims with leeway (clock injected into the plugin server)', () => {
  const token = (extra: Record<string, unknown>) => makeToken('ES256', keys.p256.privateKey, claims({ iat: NOW - 10, ...extra }));

  it('exp: valid within leeway, refused beyond', async () => {
    const t = token({ exp: NOW });
    env.setClock(NOW + 59);
    expect((await env.request(bearer(timed, t))).status).toBe(200);
    env.setClock(NOW + 60);
    const expired = await env.request(bearer(timed, t));
    expect(expired.status).toBe(401);
    expect(expired.json()).toEqual({ message: 'Token expired' });
  });

  it('nbf: refused before, valid within leeway', async () => {
    const t = token({ nbf: NOW + 100 });
    env.setClock(NOW + 39);
    const early = await env.request(bearer(timed, t));
    expect(early.status).toBe(401);
    expect(early.json()).toEqual({ message: 'Token not valid yet' });
    env.setClock(NOW + 40);
    expect((await env.request(bearer(timed, t))).status).toBe(200);
  });

  it('max_token_age from iat', async () => {
    env.setClock(NOW);
    const old = await env.request(bearer(timed, token({ iat: NOW - 3661 })));
    expect(old.status).toBe(401);
    expect(old.json()).toEqual({ message: 'Token too old' });
    const noIat = await env.request(bearer(timed, makeToken('ES256', keys.p256.privateKey, claims())));
    expect(noIat.json()).toEqual({ message: 'Missing required claim iat' });
  });

  it('the default required claim is exp', async () => {
    env.setClock(NOW);
    const res = await env.request(bearer(all, makeToken('ES256', keys.p256.privateKey, { iss: ISS, sub: 'u' })));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Missing required claim exp' });
  });
});

describe('RFC 7515 example tokens (A.2 RS256, A.3 ES256)', () => {
  it.each(['RS256', 'ES256'])('%s passes under a clock before its exp and is expired now', async (alg) => {
    const token = vectors[alg].token as string;
    env.setClock(1300819379);
    expect((await env.request(bearer(rfc, token))).status).toBe(200);
    env.setClock(undefined);
    const now = await env.request(bearer(rfc, token));
    expect(now.status).toBe(401);
    expect(now.json()).toEqual({ message: 'Token expired' });
  });

  it('refuses the non-canonical variant of the RS256 token', async () => {
    env.setClock(1300819379);
    const token = vectors.RS256.token as string;
    const res = await env.request(bearer(rfc, `${token.slice(0, -2)}Rx`));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Malformed token' });
  });
});
