/**
 * The verification pipeline on its own (no plugin server): every algorithm, algorithm-confusion
 * attempts, issuer/key binding, the RFC 7515 example tokens under a fixed clock.
 */
import { createHmac, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileConfig, type CompiledConfig } from '../../../plugins/jwt-claims/config';
import { JwksStore } from '../../../plugins/jwt-claims/jwks';
import { verifyToken, type JwksFor } from '../../../plugins/jwt-claims/verify';
import { everyAlgorithm } from './algorithm-cases';
import { ecKey, edKey, makeToken, nowSec, rsaKey, signingInput, type TestKey } from './tokens';

const vectors = JSON.parse(readFileSync(join(__dirname, '../../fixtures/vectors/jws_vectors.json'), 'utf8'));

const keys = {
  rsa: rsaKey(),
  rsaOther: rsaKey(),
  p256: ecKey('P-256'),
  p384: ecKey('P-384'),
  p521: ecKey('P-521'),
  ed25519: edKey('ed25519'),
  ed448: edKey('ed448'),
};

function compiled(config: Record<string, unknown>): CompiledConfig {
  const result = compileConfig(config);
  if (!result.ok) throw new Error(result.errors.join('; '));
  return result.config;
}

const noJwks: JwksFor = () => undefined;
const ISS = 'https://idp.example';
const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS, sub: 'u1', exp: nowSec() + 600, ...extra });

const cases = everyAlgorithm(keys);

describe('verifyToken — signatures', () => {
  const config = compiled({ issuers: [{ issuer: ISS, public_keys: Object.values(keys).map((k) => k.pem) }] });

  it.each(cases)('%s: a genuine signature verifies, a tampered payload or signature does not', async (alg, key) => {
    const token = makeToken(alg, key.privateKey, claims());
    const good = await verifyToken(token, config, nowSec(), noJwks);
    expect(good.ok).toBe(true);

    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${s}`;
    expect(await verifyToken(forged, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'signature' } });

    const sig = Buffer.from(s!, 'base64url');
    sig[sig.length - 1] ^= 1;
    const flipped = `${h}.${token.split('.')[1]}.${sig.toString('base64url')}`;
    expect(await verifyToken(flipped, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'signature' } });
  });

  it.each(['PS256', 'PS384', 'PS512', 'RS256'] as const)(
    '%s: refuses a signature shorter than the modulus (its leading zero byte dropped)',
    async (alg) => {
      // sign until the signature starts with a zero byte (1 in 256)
      for (let jti = 0; ; jti++) {
        const token = makeToken(alg, keys.rsa.privateKey, claims({ jti: String(jti) }));
        const [h, p, s] = token.split('.') as [string, string, string];
        const sig = Buffer.from(s, 'base64url');
        if (sig[0] !== 0) continue;
        expect((await verifyToken(token, config, nowSec(), noJwks)).ok).toBe(true);
        const short = `${h}.${p}.${sig.subarray(1).toString('base64url')}`;
        expect(await verifyToken(short, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'signature' } });
        return;
      }
    },
  );

  it('refuses keys of the wrong type or size for the algorithm', async () => {
    const small = rsaKey(1024);
    const refused = compileConfig({ issuers: [{ issuer: ISS, public_keys: [small.pem] }] });
    expect(refused.ok ? [] : refused.errors).toEqual([
      'issuers[0].public_keys[0]: RSA key of 1024 bits; at least 2048 are required',
    ]);
    const smallJwks = new JwksStore('u', config.jwks, async () => [small.jwk({ kid: 's' })]);
    const viaJwks = compiled({ issuers: [{ issuer: ISS, jwks_uri: 'https://idp.example/jwks' }] });
    const token = makeToken('RS256', small.privateKey, claims(), { kid: 's' });
    expect(await verifyToken(token, viaJwks, nowSec(), () => smallJwks)).toEqual({
      ok: false,
      failure: { code: 'key_not_found' },
    });

    const onlyEc = compiled({ issuers: [{ issuer: ISS, public_keys: [keys.p256.pem] }] });
    const es384 = makeToken('ES384', keys.p384.privateKey, claims());
    expect((await verifyToken(es384, onlyEc, nowSec(), noJwks)).ok).toBe(false);
  });
});

describe('verifyToken — algorithm confusion', () => {
  const config = compiled({ issuers: [{ issuer: ISS, public_keys: [keys.rsa.pem] }], algorithms: ['RS256', 'ES256'] });

  it('refuses alg none', async () => {
    const token = `${signingInput({ alg: 'none' }, claims())}.`;
    expect(await verifyToken(token, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'algorithm' } });
  });

  it('refuses HS256 signed with the public key as HMAC secret', async () => {
    const input = signingInput({ alg: 'HS256' }, claims());
    const secret = keys.rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    expect(await verifyToken(token, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'algorithm' } });
  });

  it('refuses an algorithm outside the allow-list even with a valid signature', async () => {
    const token = makeToken('PS256', keys.rsa.privateKey, claims());
    expect(await verifyToken(token, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'algorithm' } });
  });

  it('ignores keys offered in the token header (jwk, jku)', async () => {
    const attacker = rsaKey();
    const token = makeToken('RS256', attacker.privateKey, claims(), {
      jwk: attacker.jwk(),
      jku: 'https://attacker.example/jwks',
    });
    expect(await verifyToken(token, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'signature' } });
  });
});

describe('verifyToken — issuers and keys', () => {
  const jwksA = { keys: [keys.rsa.jwk({ kid: 'a1' })] };
  const jwksB = { keys: [keys.rsaOther.jwk({ kid: 'b1' })] };
  const config = compiled({
    issuers: [
      { issuer: 'https://a', jwks_uri: 'https://a/jwks' },
      { issuer: 'https://b', jwks_uri: 'https://b/jwks' },
    ],
  });
  const stores = new Map<string, JwksStore>(
    [
      ['https://a/jwks', jwksA],
      ['https://b/jwks', jwksB],
    ].map(([uri, set]) => [
      uri as string,
      new JwksStore(uri as string, config.jwks, async () => (set as { keys: unknown[] }).keys),
    ]),
  );
  const jwksFor: JwksFor = (issuer) => (issuer.jwksUri ? stores.get(issuer.jwksUri) : undefined);

  it("accepts each issuer's tokens with its own keys", async () => {
    const a = makeToken('RS256', keys.rsa.privateKey, claims({ iss: 'https://a' }), { kid: 'a1' });
    const b = makeToken('RS256', keys.rsaOther.privateKey, claims({ iss: 'https://b' }), { kid: 'b1' });
    expect((await verifyToken(a, config, nowSec(), jwksFor)).ok).toBe(true);
    expect((await verifyToken(b, config, nowSec(), jwksFor)).ok).toBe(true);
  });

  it("refuses a token claiming issuer A signed with issuer B's key (kid of B)", async () => {
    const token = makeToken('RS256', keys.rsaOther.privateKey, claims({ iss: 'https://a' }), { kid: 'b1' });
    expect(await verifyToken(token, config, nowSec(), jwksFor)).toEqual({ ok: false, failure: { code: 'key_not_found' } });
    const noKid = makeToken('RS256', keys.rsaOther.privateKey, claims({ iss: 'https://a' }));
    expect(await verifyToken(noKid, config, nowSec(), jwksFor)).toEqual({ ok: false, failure: { code: 'signature' } });
  });

  it('refuses unknown and missing issuers', async () => {
    const other = makeToken('RS256', keys.rsa.privateKey, claims({ iss: 'https://evil' }), { kid: 'a1' });
    expect(await verifyToken(other, config, nowSec(), jwksFor)).toEqual({ ok: false, failure: { code: 'unknown_issuer' } });
    const none = makeToken('RS256', keys.rsa.privateKey, { exp: nowSec() + 60 }, { kid: 'a1' });
    expect(await verifyToken(none, config, nowSec(), jwksFor)).toEqual({ ok: false, failure: { code: 'unknown_issuer' } });
  });

  it('checks audiences per issuer, falling back to the top level', async () => {
    const withAud = compiled({
      audiences: ['api'],
      issuers: [
        { issuer: 'https://a', public_keys: [keys.rsa.pem] },
        { issuer: 'https://b', public_keys: [keys.rsaOther.pem], audiences: ['b-api'] },
      ],
    });
    const t = (key: TestKey, iss: string, aud: unknown) => makeToken('RS256', key.privateKey, claims({ iss, aud }));
    expect((await verifyToken(t(keys.rsa, 'https://a', 'api'), withAud, nowSec(), noJwks)).ok).toBe(true);
    expect((await verifyToken(t(keys.rsa, 'https://a', 'b-api'), withAud, nowSec(), noJwks)).ok).toBe(false);
    expect((await verifyToken(t(keys.rsaOther, 'https://b', ['x', 'b-api']), withAud, nowSec(), noJwks)).ok).toBe(true);
    expect(await verifyToken(t(keys.rsaOther, 'https://b', 'api'), withAud, nowSec(), noJwks)).toEqual({
      ok: false,
      failure: { code: 'audience' },
    });
  });
});

describe('verifyToken — token_types (explicit typing, RFC 8725 §3.11, RFC 9068)', () => {
  const typed = compiled({ token_types: ['at+jwt'], issuers: [{ issuer: 'https://a', public_keys: [keys.rsa.pem] }] });
  const t = (typ: unknown, key: TestKey = keys.rsa) => makeToken('RS256', key.privateKey, claims({ iss: 'https://a' }), { typ });

  it('accepts the listed type, ignoring case and an application/ prefix', async () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+JWT']) {
      expect((await verifyToken(t(typ), typed, nowSec(), noJwks)).ok, typ).toBe(true);
    }
  });

  it('refuses another type (an ID token: JWT), a missing one, or one that is not a string', async () => {
    for (const typ of ['JWT', 'jwt', 'at+jwt ', 'application/jwt', undefined, 5, ['at+jwt']]) {
      expect(await verifyToken(t(typ), typed, nowSec(), noJwks), String(typ)).toEqual({ ok: false, failure: { code: 'token_type' } });
    }
  });

  it('is judged after the signature: a forged token is a signature failure whatever its typ', async () => {
    expect(await verifyToken(t('JWT', keys.rsaOther), typed, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'signature' } });
  });

  it('is not checked when empty (the default)', async () => {
    const untyped = compiled({ issuers: [{ issuer: 'https://a', public_keys: [keys.rsa.pem] }] });
    expect((await verifyToken(t('anything'), untyped, nowSec(), noJwks)).ok).toBe(true);
  });
});

describe('verifyToken — RFC 7515 example tokens', () => {
  const rsaPem = createPublicKey({ key: vectors.RS256.public_jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const ecPem = createPublicKey({ key: vectors.ES256.public_jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const config = compiled({
    issuers: [{ issuer: 'joe', public_keys: [rsaPem, ecPem] }],
    leeway: 0,
    claims_to_headers: [{ claim: 'http://example.com/is_root', header: 'X-Is-Root' }],
  });

  it.each(['RS256', 'ES256'])('%s verifies before exp and is expired at real time', async (alg) => {
    const token = vectors[alg].token as string;
    const valid = await verifyToken(token, config, 1300819379, noJwks);
    expect(valid.ok).toBe(true);
    if (valid.ok) expect(valid.value.forwardHeaders).toEqual({ 'X-Is-Root': 'true' });
    expect(await verifyToken(token, config, 1300819380, noJwks)).toEqual({ ok: false, failure: { code: 'expired' } });
    expect(await verifyToken(token, config, nowSec(), noJwks)).toEqual({ ok: false, failure: { code: 'expired' } });
  });
});
