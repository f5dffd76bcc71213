/**
 * A key's material as Kong 3.4+ checks it in Lua, which `/schemas/keys` does not show: keys.lua's
 * custom entity check of `jwk` (JSON, its `kid`, resty.openssl's `load_jwk`, the typedefs.jwk
 * record) and typedefs.pem's `validate_pem_keys`: validate.ts `checkKey`, kong-key-material.ts.
 * Each refusal in Kong's words, at the line and column of the field it is about.
 *
 * The keys were generated once with Node's crypto (`generateKeyPairSync(…).export(…)`).
 */
import { describe, expect, it } from 'vitest';
import { restyJwkRefusal } from '../../../cli/src/desired/kong-key-material';
import { located, yamlValidator } from './validate-yaml';

const EC_P256_PRIVATE = {
  kty: 'EC',
  crv: 'P-256',
  x: '8FB-KaopdGmZJTowWmCttSQCVvSRUyMStx-zJfvDfWo',
  y: '7WLmpSK3__duUxMDfEBzBReYApD99DNzezKfacvKJ8s',
  d: '8oxRKDXiSVGLWXGkIKp2-mrkhnh_INhiU2X41N8BOBk',
};
const EC_P384 = {
  kty: 'EC',
  crv: 'P-384',
  x: 'HKMti9Ot5mWyIgs2KKuUh8WNDnN7_b9hDFRQSmoZynDxSZuT2a-Fh4-rEbt9eY_R',
  y: 'WhA9kgCMzWMxuDAyHy7TOtFDnyUi7MujNK6Tr1t102mf1q-HMoY2Vt95MpBbqthj',
};
/** Node loads it; resty.openssl names P-256, P-384 and P-521 only. */
const EC_SECP256K1 = {
  kty: 'EC',
  crv: 'secp256k1',
  x: 'qNpXFPDnERVOWSthMofSFGPp_oCnXEhN8bPUUSftt7Q',
  y: 'olodMWvqdTWLgGaeAS9ujUl40JrozA6fnVd1QnGuyTI',
};
const ED25519_PRIVATE = {
  kty: 'OKP',
  crv: 'Ed25519',
  x: 'VT0bK-XsEeAhQ8nmAK0W6GHuoPcIDAZF9Q-GY4eBonw',
  d: 'lwyPUSQ__pF3HlXb4_zNYxW5stq8zasoflNZ6Qk-gmE',
};
const X448 = { kty: 'OKP', crv: 'X448', x: 'L4u4CugBf6tnwal9XpaVVz_uhgCmZyMunFzYEGn_2B2HN-cevdjLAq0Lssu9vSt1orEnQKQ1WJ4' };
const RSA = { kty: 'RSA', e: 'AQAB', n: 'vg7S59kHu39czRh9LwJ9RUZqW1Hx44ENeTfufmCaigiieF8i2YP35O1BZrYUnhidOyUxFPDoB1d4sD28xrhWOw' };

/** A PEM as one double-quoted YAML scalar. */
const pem = (...lines: string[]) => JSON.stringify(lines.join('\n') + '\n');
/** EC P-256: PKCS#8 private key and its SubjectPublicKeyInfo. */
const EC_PRIVATE_PEM = pem(
  '-----BEGIN PRIVATE KEY-----',
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8oxRKDXiSVGLWXGk',
  'IKp2+mrkhnh/INhiU2X41N8BOBmhRANCAATwUH4pqil0aZklOjBaYK21JAJW9JFT',
  'IxK3H7Ml+8N9au1i5qUit//3blMTA3xAcwUXmAKQ/fQzc3syn2nLyifL',
  '-----END PRIVATE KEY-----',
);
const EC_PUBLIC_PEM = pem(
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8FB+KaopdGmZJTowWmCttSQCVvSR',
  'UyMStx+zJfvDfWrtYualIrf/925TEwN8QHMFF5gCkP30M3N7Mp9py8onyw==',
  '-----END PUBLIC KEY-----',
);
/** Another EC P-256 key, in SEC 1 form ("EC PRIVATE KEY"). */
const OTHER_EC_PRIVATE_PEM = pem(
  '-----BEGIN EC PRIVATE KEY-----',
  'MHcCAQEEIH0yCLk2Q6kNNtF4a2JLw0AlphxX6cDu2plxflfN4HonoAoGCCqGSM49',
  'AwEHoUQDQgAEop5YVq9U4bva7dBJ0a+6U89OFLP/UbVe67Q2pcgXkznzUX/6uVE7',
  'kN9H6gWaOW+Tf/NoqosqJr+iT4F4zOGVug==',
  '-----END EC PRIVATE KEY-----',
);
const ED25519_PRIVATE_PEM = pem('-----BEGIN PRIVATE KEY-----', 'MC4CAQAwBQYDK2VwBCIEIJcMj1EkP/6Rdx5V2+P8zWMVubLavM2rKH5TWekJPoJh', '-----END PRIVATE KEY-----');
const ED25519_PUBLIC_PEM = pem('-----BEGIN PUBLIC KEY-----', 'MCowBQYDK2VwAyEAVT0bK+XsEeAhQ8nmAK0W6GHuoPcIDAZF9Q+GY4eBonw=', '-----END PUBLIC KEY-----');
/** decK's builder fixture's cut-short public key (test/fixtures/deck-builder/keys/new-keys.yaml). */
const CUT_SHORT_PUBLIC_PEM = pem('-----BEGIN PUBLIC KEY-----', 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA', '-----END PUBLIC KEY-----');

/** One key per line, in flow style: its jwk's or pem's value at column 17 + the kid's length. */
const jwkKey = (kid: string, jwk: object) => `- { kid: ${kid}, jwk: '${JSON.stringify({ kid, ...jwk })}' }`;
const pemKey = (kid: string, keys: Record<string, string>) =>
  `- { kid: ${kid}, pem: { ${Object.entries(keys).map(([k, v]) => `${k}: ${v}`).join(', ')} } }`;

const diagnostics = yamlValidator('kong-ctl-key-material-');
const validate = async (...keys: string[]) => (await diagnostics(`keys:\n${keys.join('\n')}\n`)).map(located);

const NOT_LOADED = 'jwk: could not load JWK, likely not a valid key';

describe("Kong's checks of a key's jwk, offline", () => {
  it('takes RSA, EC (P-256, P-384) and OKP (Ed25519, X448) JWKs, public or private', async () => {
    expect(
      await validate(
        jwkKey('rsa', RSA),
        jwkKey('ec', EC_P256_PRIVATE),
        jwkKey('p384', EC_P384),
        jwkKey('ed', ED25519_PRIVATE),
        jwkKey('x448', X448),
        jwkKey('described', { ...RSA, use: 'sig', alg: 'RS256', key_ops: ['verify'], x5c: [] }),
      ),
    ).toEqual([]);
  });

  it('refuses a symmetric ("oct") key: resty.openssl does not load it', async () => {
    expect(await validate(jwkKey('hmac', { kty: 'oct', k: 'c2lnbmluZy1rZXktMQ' }))).toEqual([
      `3:21 keys[0]: ${NOT_LOADED} (resty.openssl: not yet supported jwk type "oct")`,
    ]);
  });

  it('refuses a curve resty.openssl does not name, though Node loads it (secp256k1)', async () => {
    expect(await validate(jwkKey('k1', EC_SECP256K1), jwkKey('ed', { ...X448, crv: 'Ed9' }))).toEqual([
      `3:19 keys[0]: ${NOT_LOADED} (resty.openssl: failed to construct EC key from JWK: curve "secp256k1" is not supported by this library)`,
      // resty.openssl's own message, its closing quote missing.
      `4:19 keys[1]: ${NOT_LOADED} (resty.openssl: unknown curve "Ed9)`,
    ]);
  });

  it('refuses a malformed RSA, EC or OKP JWK', async () => {
    const { n: _n, ...noModulus } = RSA;
    expect(
      await validate(
        jwkKey('no-n', noModulus),
        jwkKey('bad-n', { ...RSA, n: `${RSA.n}+/` }),
        jwkKey('off-curve', { ...EC_P384, y: EC_P384.x }),
        jwkKey('short', { ...X448, x: 'AAAA' }),
      ),
    ).toEqual([
      `3:21 keys[0]: ${NOT_LOADED} (resty.openssl: failed to construct RSA key from JWK: at least "n" and "e" parameter is required)`,
      `4:22 keys[1]: ${NOT_LOADED} (resty.openssl: failed to construct RSA key from JWK: cannot decode parameter "n" from base64)`,
      `5:26 keys[2]: ${NOT_LOADED} (resty.openssl: failed to construct EC key from JWK: the point (x, y) is not on curve P-384)`,
      `6:22 keys[3]: ${NOT_LOADED} (resty.openssl: failed to construct OKP key from JWK: "x" is not a 56-byte X448 key)`,
    ]);
  });

  it('refuses a JWK member of the wrong type or unknown to typedefs.jwk, in errors_to_string\'s words', async () => {
    expect(
      await validate(
        jwkKey('ops', { ...RSA, key_ops: 'sign' }),
        jwkKey('chain', { ...RSA, x5c: [1] }),
        jwkKey('ext', { ...RSA, ext: true, use: '' }),
      ),
    ).toEqual([
      '3:20 keys[0]: jwk: Validation error: key_ops: expected an array',
      // Kong nests an array's element errors in their own "Validation error: ".
      '4:22 keys[1]: jwk: Validation error: x5c: Validation error: expected a string',
      '5:20 keys[2]: jwk: Validation error: ext: unknown field; use: length must be at least 1',
    ]);
  });

  it("still says first what JSON and the kid say, at their field", async () => {
    expect(await validate("- { kid: a, jwk: '{\"kty\":\"oct\"' }", `- { kid: b, jwk: '${JSON.stringify({ ...RSA, kid: 'c' })}' }`)).toEqual([
      '3:18 keys[0]: jwk: could not json decode jwk string',
      '4:10 keys[1]: kid: kid in jwk.kid must be equal to keys.kid',
    ]);
  });

  it('leaves a vault reference to Kong', async () => {
    expect(await validate("- { kid: vaulted, jwk: '{vault://env/signing-jwk}' }")).toEqual([]);
  });
});

describe("Kong's checks of a key's pem, offline (typedefs.pem validate_pem_keys, at pem)", () => {
  it('takes a matching pair, or either key alone', async () => {
    expect(
      await validate(
        pemKey('ec', { private_key: EC_PRIVATE_PEM, public_key: EC_PUBLIC_PEM }),
        pemKey('ed', { public_key: ED25519_PUBLIC_PEM, private_key: ED25519_PRIVATE_PEM }),
        pemKey('sec1', { private_key: OTHER_EC_PRIVATE_PEM }),
        pemKey('public', { public_key: EC_PUBLIC_PEM }),
      ),
    ).toEqual([]);
  });

  it('refuses a cut-short public key, or a certificate given as one', async () => {
    const certificate = pem('-----BEGIN CERTIFICATE-----', 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA', '-----END CERTIFICATE-----');
    expect(await validate(pemKey('cut', { public_key: CUT_SHORT_PUBLIC_PEM, private_key: EC_PRIVATE_PEM }), pemKey('cert', { public_key: certificate }))).toEqual([
      '3:20 keys[0]: pem: could not load public key',
      '4:21 keys[1]: pem: could not load public key',
    ]);
  });

  it('refuses a private key that is not one (Kong appends OpenSSL\'s own error text)', async () => {
    expect(await validate(pemKey('public', { private_key: EC_PUBLIC_PEM }), pemKey('words', { private_key: '"not a key"' }))).toEqual([
      '3:23 keys[0]: pem: could not load private key: OpenSSL cannot read it as an unencrypted PEM private key',
      '4:22 keys[1]: pem: could not load private key: OpenSSL cannot read it as an unencrypted PEM private key',
    ]);
  });

  it('refuses a pair of two keys', async () => {
    expect(
      await validate(
        pemKey('mixed', { private_key: OTHER_EC_PRIVATE_PEM, public_key: EC_PUBLIC_PEM }),
        pemKey('kinds', { private_key: ED25519_PRIVATE_PEM, public_key: EC_PUBLIC_PEM }),
      ),
    ).toEqual(['3:22 keys[0]: pem: public key does not match private key', '4:22 keys[1]: pem: public key does not match private key']);
  });

  it('leaves the pair to Kong when either key is a vault reference', async () => {
    expect(await validate(pemKey('vaulted', { private_key: '"{vault://env/signing-key}"', public_key: CUT_SHORT_PUBLIC_PEM }))).toEqual([]);
  });
});

describe('what the schema already checks is not repeated', () => {
  it("jwk and pem together, neither, or a pem without keys: the schema's entity checks, once each", async () => {
    expect(
      await validate(
        `- { kid: both, jwk: '${JSON.stringify({ ...RSA, kid: 'both' })}', pem: { public_key: ${EC_PUBLIC_PEM} } }`,
        '- { kid: neither }',
        '- { kid: empty, pem: {} }',
      ),
    ).toEqual([
      "3:3 keys[0]: only one or none of these fields must be set: 'jwk', 'pem'",
      "4:3 keys[1]: at least one of these fields must be non-empty: 'jwk', 'pem'",
      // keys.lua's "need to supply a PEM formatted public and/or private key." never comes: the
      // record's own at_least_one_of fails first, and Kong skips an entity check of a failed field.
      "5:3 keys[2]: at least one of these fields must be non-empty: 'jwk', 'pem'",
      "5:22 keys[2]: pem: at least one of these fields must be non-empty: 'private_key', 'public_key'",
    ]);
  });
});

describe('restyJwkRefusal', () => {
  it('reads d, not x, for an OKP private key, as resty.openssl does', () => {
    expect(restyJwkRefusal({ ...ED25519_PRIVATE, x: 'AAAA' })).toBeUndefined();
    expect(restyJwkRefusal({ ...ED25519_PRIVATE, d: 'AAAA' })).toBe('failed to construct OKP key from JWK: "d" is not a 32-byte Ed25519 key');
  });

  it('wants the RSA factors and CRT numbers whole, as OpenSSL sets them', () => {
    expect(restyJwkRefusal({ ...RSA, d: 'AQAB' })).toBeUndefined();
    expect(restyJwkRefusal({ ...RSA, d: 'AQAB', p: 'AQAB' })).toBe('failed to construct RSA key from JWK: incomplete private key factors');
  });

  it('reads members as Lua tests them: false is absent, null is there and does not decode', () => {
    expect(restyJwkRefusal({ ...EC_P384, y: false })).toBe('failed to construct EC key from JWK: at least "x" and "y" parameter is required');
    expect(restyJwkRefusal({ ...EC_P384, y: null })).toBe('failed to construct EC key from JWK: cannot decode parameter "y" from base64');
  });

  it('names a missing kty as Lua prints nil', () => {
    expect(restyJwkRefusal({ kid: 'x' })).toBe('not yet supported jwk type "nil"');
  });
});
