/**
 * Differential tests against jose (jose-oracle.ts) on tokens no honest issuer makes: tampered,
 * badly encoded, unsigned or HMAC-signed, with a header that does not fit the key, `crit`/`b64`,
 * odd JSON, badly encoded signatures, and JWKS key selection with keys that must not be used.
 *
 * Mostly both refuse. Where the two differ, the RFCs (7515, 7517, 7518, 7519, 8037, 8725) and
 * the plugin's README decide, and the test says which:
 * - "plugin stricter, on purpose": the plugin refuses, jose accepts, and the RFC allows the
 *   refusal (or requires it: "jose lenient");
 * - "jose stricter": jose refuses something the RFCs have a verifier accept or ignore.
 * The plugin bugs these found (fixed with them): JSON that is not UTF-8 accepted (jws.ts), a PS*
 * signature one byte short accepted (algorithms.ts), a JWK whose `alg` is not a string or whose
 * `key_ops` lists an operation twice or a non-string used (keys.ts).
 */
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import * as jose from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERIFY_ATTEMPTS } from '../../../plugins/jwt-claims/verify';
import type { Algorithm } from '../../../plugins/jwt-claims/schema';
import {
  ALGORITHMS,
  ALGS_OF,
  DEFAULT_POLICY,
  ISS,
  b64u,
  bothVerdicts,
  generateJoseKey,
  generateJoseKeys,
  joseSign,
  jsonSegment,
  rawSignature,
  runs,
  signSegments,
  type JoseKey,
  type KeySource,
  type Policy,
  type PluginVerdict,
  type Verdict,
} from './jose-oracle';

const NOW = 1_800_000_000;
const claims = (extra: Record<string, unknown> = {}) => ({ iss: ISS, sub: 'user-1', exp: NOW + 600, ...extra });

let keys: JoseKey[];
let byName: (name: string) => JoseKey;
/** Every key's PEM: what the plugin and jose verify hand-built tokens against by default. */
let allPems: KeySource;

beforeAll(async () => {
  keys = await generateJoseKeys();
  byName = (name) => keys.find((k) => k.name === name)!;
  allPems = { pems: keys.map((k) => k.pem) };
}, 60_000);

const signerFor = (alg: Algorithm, second = false): JoseKey => {
  const kind = Object.entries(ALGS_OF).find(([, algs]) => algs.includes(alg))![0];
  return byName(`${kind === 'ed25519' ? 'ed25519' : kind}-${second ? 2 : 1}`);
};

async function verdicts(token: string, source: KeySource = allPems, policy: Policy = DEFAULT_POLICY, now = NOW) {
  return bothVerdicts(token, source, policy, now);
}

const show = (v: { plugin: PluginVerdict; jose: Verdict }) => JSON.stringify(v);

function expectBothRefuse(v: { plugin: PluginVerdict; jose: Verdict }): void {
  expect({ plugin: v.plugin.ok, jose: v.jose.ok }, show(v)).toEqual({ plugin: false, jose: false });
}
function expectBothAccept(v: { plugin: PluginVerdict; jose: Verdict }): void {
  expect({ plugin: v.plugin.ok, jose: v.jose.ok }, show(v)).toEqual({ plugin: true, jose: true });
}
const pluginFailure = (v: { plugin: PluginVerdict }) => (v.plugin.ok ? undefined : v.plugin.failure.code);

/** A valid hand-built token (header and claims JSON as given), signed by the alg's first key. */
const handBuilt = (alg: Algorithm, header: string, payload: string, key: KeyObject = signerFor(alg).privateKey) =>
  signSegments(alg, key, header, payload);

const algArb = fc.constantFrom(...ALGORITHMS);
const claimsArb = fc.dictionary(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((k) => !['iss', 'exp', 'nbf', 'iat', 'aud'].includes(k)),
  fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 2 }),
  { maxKeys: 4 },
);

describe('tampered tokens', () => {
  it('a flipped bit in the header, payload or signature, or the wrong key: both refuse', async () => {
    await fc.assert(
      fc.asyncProperty(
        algArb,
        claimsArb,
        fc.constantFrom('header', 'payload', 'signature', 'wrong-key'),
        fc.nat(),
        fc.nat({ max: 7 }),
        async (alg, extra, target, at, bit) => {
          const signer = signerFor(alg);
          const token = await joseSign(signer, { alg, typ: 'JWT' }, claims(extra));
          let forged: string;
          if (target === 'wrong-key') {
            forged = await joseSign(signerFor(alg, true), { alg, typ: 'JWT' }, claims(extra));
          } else {
            const parts = token.split('.');
            const i = ['header', 'payload', 'signature'].indexOf(target);
            const bytes = Buffer.from(parts[i]!, 'base64url');
            bytes[at % bytes.length]! ^= 1 << bit;
            parts[i] = b64u(bytes);
            forged = parts.join('.');
          }
          // the genuine token passes both (else refusing the forgery would prove nothing)
          expectBothAccept(await verdicts(token, { pems: [signer.pem] }));
          expectBothRefuse(await verdicts(forged, { pems: [signer.pem] }));
        },
      ),
      runs(150),
    );
  });

  it('keys offered in the header (jwk, jku, x5u, x5c) are never used: both refuse', async () => {
    const attacker = await generateJoseKey('attacker', 'rsa');
    const x5c = ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'];
    for (const hint of [
      { jwk: attacker.publicJwk },
      { jku: 'https://attacker.example/jwks.json' },
      { x5u: 'https://attacker.example/cert.pem' },
      { x5c },
    ]) {
      const token = await joseSign(attacker, { alg: 'RS256', kid: 'rsa-1', ...hint }, claims());
      const jwks: KeySource = { jwks: { keys: [{ ...byName('rsa-1').publicJwk, kid: 'rsa-1' }] } };
      expectBothRefuse(await verdicts(token, { pems: [byName('rsa-1').pem] }));
      expectBothRefuse(await verdicts(token, jwks));
    }
  });

  it.each([
    ['two segments', (t: string) => t.split('.').slice(0, 2).join('.')],
    ['four segments', (t: string) => `${t}.${t.split('.')[2]}`],
    ['five segments (JWE-shaped)', (t: string) => `${t}..x`],
    ['trailing dot', (t: string) => `${t}.`],
    ['empty signature', (t: string) => t.replace(/[^.]+$/, '')],
    ['empty header', (t: string) => t.replace(/^[^.]+/, '')],
    ['empty payload', (t: string) => t.replace(/\.[^.]+\./, '..')],
  ])('framing: %s: both refuse', async (_, mangle) => {
    const token = await joseSign(byName('p256-1'), { alg: 'ES256' }, claims());
    expectBothRefuse(await verdicts(mangle(token)));
  });
});

describe('base64url that is not the canonical encoding (RFC 7515 §2: no padding, no whitespace)', () => {
  const DEVIATIONS = ['padding', 'standard-alphabet', 'trailing-bits', 'space', 'line-break', 'tab'] as const;
  type Deviation = (typeof DEVIATIONS)[number];
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  /** The segment encoded with the deviation, or undefined when it cannot apply (e.g. no padding
   *  for a length that is a multiple of 4). */
  function deviate(segment: string, how: Deviation, at: number): string | undefined {
    switch (how) {
      case 'padding':
        return segment.length % 4 === 0 ? undefined : segment + '='.repeat(4 - (segment.length % 4));
      case 'standard-alphabet':
        return /[-_]/.test(segment) ? segment.replace(/-/g, '+').replace(/_/g, '/') : undefined;
      case 'trailing-bits': {
        // the last character carries 2 or 4 unused bits; set one: same bytes, other text
        if (segment.length % 4 === 0) return undefined;
        const last = ALPHABET.indexOf(segment[segment.length - 1]!);
        return segment.slice(0, -1) + ALPHABET[last + 1];
      }
      case 'space':
      case 'line-break':
      case 'tab': {
        const ws = how === 'space' ? ' ' : how === 'tab' ? '\t' : '\r\n';
        const i = 1 + (at % (segment.length - 1));
        return segment.slice(0, i) + ws + segment.slice(i);
      }
    }
  }

  /**
   * What jose (v6) decodes anyway: on a runtime without Uint8Array.fromBase64 (Node 20 has none)
   * it decodes with atob() (WHATWG forgiving-base64), which strips ASCII whitespace, takes correct
   * padding and ignores trailing bits; the standard alphabet it refuses. Since the signature
   * covers the segments as sent, a producer that signed such a segment passes jose.
   * jose lenient: RFC 7515 §2 defines the encoding without padding, line breaks, whitespace or
   * other characters, and §7.1 the compact serialization as those encodings.
   */
  const JOSE_DECODES: ReadonlySet<Deviation> = new Set(['padding', 'trailing-bits', 'space', 'line-break', 'tab']);

  it('signed over the deviating segment as sent: the plugin refuses it as malformed', async () => {
    const joseAccepted = new Set<Deviation>();
    await fc.assert(
      fc.asyncProperty(
        algArb,
        claimsArb,
        fc.string({ maxLength: 3 }),
        fc.constantFrom('header', 'payload', 'signature'),
        fc.constantFrom(...DEVIATIONS),
        fc.nat(),
        async (alg, extra, filler, where, how, at) => {
          const key = signerFor(alg);
          // a `-` and `_` often enough for the standard alphabet to differ: `>` and `?` encode to them
          const header = jsonSegment({ alg, typ: 'JWT', x: `>?${filler}` });
          const payload = jsonSegment(claims({ ...extra, filler: `${filler}>>>???` }));
          let token: string;
          if (where === 'signature') {
            const sig = b64u(rawSignature(alg, key.privateKey, `${header}.${payload}`));
            const bad = deviate(sig, how, at);
            fc.pre(bad !== undefined);
            token = `${header}.${payload}.${bad}`;
          } else {
            const bad = deviate(where === 'header' ? header : payload, how, at);
            fc.pre(bad !== undefined);
            token = where === 'header' ? handBuilt(alg, bad!, payload) : handBuilt(alg, header, bad!);
          }
          const v = await verdicts(token, { pems: [key.pem] });
          expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'malformed' } });
          if (v.jose.ok) {
            expect(JOSE_DECODES.has(how), show(v)).toBe(true);
            joseAccepted.add(how);
          }
        },
      ),
      { ...runs(200), maxSkipsPerRun: 1000 },
    );
    // on this runtime jose's leniency shows (the cases pinned below)
    if (typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 !== 'function') {
      expect([...joseAccepted].sort()).toEqual([...JOSE_DECODES].sort());
    }
  });
});

describe('alg none, HMAC, and algorithm confusion (RFC 8725 §3.1, §3.2)', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, no signature or a signature: both refuse', async (alg) => {
    const unsigned = `${jsonSegment({ alg, typ: 'JWT' })}.${jsonSegment(claims())}.`;
    expectBothRefuse(await verdicts(unsigned));
    const real = await joseSign(byName('rsa-1'), { alg: 'RS256' }, claims());
    expectBothRefuse(await verdicts(`${jsonSegment({ alg })}.${real.split('.')[1]}.${real.split('.')[2]}`));
  });

  /**
   * HS* signed with what a verifier holds as a *public* key: its PEM (as bytes), its JWK JSON.
   * jose, told to allow HS256 and handed those bytes as the secret, accepts these tokens: the
   * forgery is real against a verifier that takes the algorithm from the token. The plugin never
   * does HMAC (schema.ts: asymmetric only), and jose with the plugin's options refuses too.
   */
  it.each(['HS256', 'HS384', 'HS512'] as const)('%s with the RSA public key as the HMAC secret: both refuse', async (alg) => {
    const rsa = byName('rsa-1');
    for (const secret of [Buffer.from(rsa.pem), Buffer.from(rsa.pem.trim()), Buffer.from(JSON.stringify(rsa.publicJwk))]) {
      const input = `${jsonSegment({ alg, typ: 'JWT' })}.${jsonSegment(claims())}`;
      const token = `${input}.${createHmac(`sha${alg.slice(2)}`, secret).update(input).digest('base64url')}`;
      await expect(jose.jwtVerify(token, new Uint8Array(secret), { algorithms: [alg], currentDate: new Date(NOW * 1000) })).resolves.toBeTruthy();
      const v = await verdicts(token, { pems: [rsa.pem] });
      expectBothRefuse(v);
      expect(pluginFailure(v)).toBe('algorithm');
      expectBothRefuse(await verdicts(token, { jwks: { keys: [rsa.publicJwk] } }));
    }
  });

  it('jose-signed HS256/384/512 tokens (a shared secret): refused by the plugin, whose algorithms never include HMAC', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const token = await new jose.SignJWT(claims()).setProtectedHeader({ alg }).sign(secret);
      const v = await verdicts(token);
      expect(v.plugin).toEqual({ ok: false, failure: { code: 'algorithm' } });
      expect(v.jose.ok).toBe(false); // its `algorithms` option is the plugin's list
    }
  });

  it('alg is one thing, the signature another (an RS256 header over an ES256 or PS256 signature, ...): both refuse', async () => {
    const pairs: Array<[Algorithm, Algorithm]> = [
      ['RS256', 'PS256'],
      ['PS256', 'RS256'],
      ['RS256', 'ES256'],
      ['ES256', 'EdDSA'],
      ['EdDSA', 'ES256'],
      ['ES384', 'ES256'],
      ['RS512', 'RS256'],
    ];
    for (const [claimed, actual] of pairs) {
      const header = jsonSegment({ alg: claimed });
      const payload = jsonSegment(claims());
      const token = `${header}.${payload}.${b64u(rawSignature(actual, signerFor(actual).privateKey, `${header}.${payload}`))}`;
      expectBothRefuse(await verdicts(token));
    }
  });
});

describe("the header's alg against the key's alg, kty and crv", () => {
  /** `alg` in the header (kid k), signed by `key`: as `alg` says when the key can, else with the
   *  hash `alg` names in the key's own scheme. */
  function crossSigned(alg: Algorithm, key: KeyObject): string {
    const header = jsonSegment({ alg, kid: 'k' });
    const payload = jsonSegment(claims());
    const input = `${header}.${payload}`;
    const type = key.asymmetricKeyType;
    const fits = alg.startsWith('ES') ? type === 'ec' : alg === 'EdDSA' ? type === 'ed25519' : type === 'rsa';
    if (fits) return `${input}.${b64u(rawSignature(alg, key, input))}`;
    const hash = type === 'ed25519' ? null : alg === 'EdDSA' ? 'sha256' : `sha${alg.slice(2)}`;
    const sig = type === 'ec' ? sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }) : sign(hash, Buffer.from(input), key);
    return `${input}.${b64u(sig)}`;
  }

  it.each([
    ['ES256 over a P-384 key', 'ES256', 'p384-1', {}],
    ['ES384 over a P-256 key', 'ES384', 'p256-1', {}],
    ['ES512 over a P-384 key', 'ES512', 'p384-1', {}],
    ['RS256 over an Ed25519 key', 'RS256', 'ed25519-1', {}],
    ['EdDSA over a P-256 key', 'EdDSA', 'p256-1', {}],
    ['ES256 over a P-384 key whose JWK says alg ES256', 'ES256', 'p384-1', { alg: 'ES256' }],
    ['ES256 over a P-256 key whose JWK says crv P-384 (not its curve)', 'ES256', 'p256-1', { crv: 'P-384' }],
    ['RS256 over a key whose JWK says alg PS256', 'RS256', 'rsa-1', { alg: 'PS256' }],
    ['PS256 over a key whose JWK says alg RS256', 'PS256', 'rsa-1', { alg: 'RS256' }],
    ['RS384 over a key whose JWK says alg RS256', 'RS384', 'rsa-1', { alg: 'RS256' }],
    ['ES256 over a P-256 key whose JWK says alg ES384', 'ES256', 'p256-1', { alg: 'ES384' }],
    ['EdDSA over an Ed25519 key whose JWK says alg Ed25519 (RFC 9864)', 'EdDSA', 'ed25519-1', { alg: 'Ed25519' }],
    ['RS256 over a key whose JWK says kty EC', 'RS256', 'rsa-1', { kty: 'EC' }],
  ] as Array<[string, Algorithm, string, Record<string, unknown>]>)('%s: both refuse', async (_, alg, keyName, jwkExtra) => {
    const key = byName(keyName);
    const token = crossSigned(alg, key.privateKey);
    expectBothRefuse(await verdicts(token, { jwks: { keys: [{ ...key.publicJwk, kid: 'k', ...jwkExtra }] } }));
    // a key of the wrong type or curve is wrong whatever its form; a JWK's alg only binds the JWK
    if (Object.keys(jwkExtra).length === 0) expectBothRefuse(await verdicts(token, { pems: [key.pem] }));
  });

  it('the same tokens with the JWK that fits them pass both (the refusals are about the fit)', async () => {
    for (const [alg, keyName] of [
      ['ES256', 'p256-1'],
      ['RS256', 'rsa-1'],
      ['PS256', 'rsa-1'],
      ['EdDSA', 'ed25519-1'],
    ] as Array<[Algorithm, string]>) {
      const key = byName(keyName);
      const token = crossSigned(alg, key.privateKey);
      expectBothAccept(await verdicts(token, { jwks: { keys: [{ ...key.publicJwk, kid: 'k', alg }] } }));
    }
  });

  /**
   * RFC 9864 (fully-specified algorithms) registers `Ed25519` for what `EdDSA` with an Ed25519 key
   * is. The plugin does not know that name: an `Ed25519` token is refused for its algorithm, as
   * by jose given the plugin's algorithm list; jose allows it when told to.
   */
  it('alg Ed25519 (RFC 9864): not an algorithm the plugin accepts; jose does when allowed', async () => {
    const key = byName('ed25519-1');
    const token = handBuilt('EdDSA', jsonSegment({ alg: 'Ed25519' }), jsonSegment(claims()));
    const v = await verdicts(token, { pems: [key.pem] });
    expect(v.plugin).toEqual({ ok: false, failure: { code: 'algorithm' } });
    expect(v.jose.ok).toBe(false);
    const jwk = await jose.importJWK({ ...key.publicJwk }, 'Ed25519');
    await expect(jose.jwtVerify(token, jwk, { algorithms: ['Ed25519'], currentDate: new Date(NOW * 1000) })).resolves.toBeTruthy();
  });
});

describe('crit and b64 (RFC 7515 §4.1.11, RFC 7797)', () => {
  const rsa = () => byName('rsa-1');
  const withHeader = (header: Record<string, unknown>, payload = jsonSegment(claims())) =>
    handBuilt('RS256', jsonSegment({ alg: 'RS256', ...header }), payload);

  it.each([
    ['an extension neither knows', { crit: ['urn:example:ext'], 'urn:example:ext': 1 }],
    ['a registered parameter (exp), which crit must not list', { crit: ['exp'], exp: NOW + 600 }],
    ['alg itself', { crit: ['alg'] }],
    ['an empty list', { crit: [] }],
    ['not a list', { crit: 'b64', b64: true }],
    ['a listed parameter that is absent', { crit: ['b64'] }],
  ])('crit naming %s: both refuse', async (_, header) => {
    expectBothRefuse(await verdicts(withHeader(header), { pems: [rsa().pem] }));
  });

  it('b64: false with crit, payload unencoded (RFC 7797): both refuse — a JWT payload is always base64url (RFC 7519 §7.2)', async () => {
    const payload = JSON.stringify(claims()).replace(/\./g, ''); // the compact form cannot carry a '.'
    const header = jsonSegment({ alg: 'RS256', crit: ['b64'], b64: false });
    const token = `${header}.${payload}.${b64u(rawSignature('RS256', rsa().privateKey, `${header}.${payload}`))}`;
    // a valid RFC 7797 JWS (jose's compactVerify takes it), but no JWT
    await expect(jose.compactVerify(token, await jose.importSPKI(rsa().pem, 'RS256'))).resolves.toBeTruthy();
    expectBothRefuse(await verdicts(token, { pems: [rsa().pem] }));
  });

  /**
   * Plugin stricter, on purpose (jws.ts: "no `crit` extensions"; README): it implements no
   * extension, so any `crit` is refused, as RFC 7515 §4.1.11 has a recipient that does not
   * understand a listed extension do. jose implements RFC 7797, and b64: true is the default
   * encoding, so it accepts.
   */
  it('crit ["b64"] with b64: true: the plugin refuses (knows no extension), jose accepts', async () => {
    const v = await verdicts(withHeader({ crit: ['b64'], b64: true }), { pems: [rsa().pem] });
    expect(v.plugin).toEqual({ ok: false, failure: { code: 'malformed' } });
    expect(v.jose.ok).toBe(true);
  });

  /** Without crit, b64 is a header parameter neither is asked to understand, so both ignore it
   *  (RFC 7515 §4) and read the payload as base64url, which it is here. */
  it('b64: false without crit, payload base64url: both ignore b64 and accept', async () => {
    expectBothAccept(await verdicts(withHeader({ b64: false }), { pems: [rsa().pem] }));
  });
});

describe('the JSON inside: duplicates, non-objects, UTF-8', () => {
  const rs = (header: string | Buffer, payload: string | Buffer) =>
    handBuilt('RS256', b64u(typeof header === 'string' ? Buffer.from(header) : header), b64u(typeof payload === 'string' ? Buffer.from(payload) : payload));
  const RS = '{"alg":"RS256"}';
  const body = JSON.stringify(claims());

  /** RFC 7515 §5.2 / RFC 7519 §4: reject duplicate names or take the lexically last; both take the last. */
  it('duplicate member names: the last one counts, for both', async () => {
    expectBothAccept(await verdicts(rs('{"alg":"none","alg":"RS256"}', body)));
    expectBothRefuse(await verdicts(rs('{"alg":"RS256","alg":"none"}', body)));
    expectBothAccept(await verdicts(rs(RS, `{"iss":"https://evil.example/","exp":${NOW + 600},"iss":"${ISS}"}`)));
    expectBothRefuse(await verdicts(rs(RS, `{"iss":"${ISS}","exp":${NOW + 600},"iss":"https://evil.example/"}`)));
    expectBothAccept(await verdicts(rs(RS, `{"iss":"${ISS}","exp":${NOW - 600},"exp":${NOW + 600}}`)));
    expectBothRefuse(await verdicts(rs(RS, `{"iss":"${ISS}","exp":${NOW + 600},"exp":${NOW - 600}}`)));
  });

  it.each(['[]', '"a string"', '42', 'null', 'true', `[${body}]`, `${body} {}`, `${body},`, '', ' '])(
    'a payload that is not one JSON object (%s): both refuse',
    async (payload) => {
      expectBothRefuse(await verdicts(rs(RS, payload)));
    },
  );

  it.each(['["RS256"]', '"RS256"', 'null', `${RS}x`])('a header that is not one JSON object (%s): both refuse', async (header) => {
    expectBothRefuse(await verdicts(rs(header, body)));
  });

  /**
   * RFC 7515 §5.2 steps 3-4 and RFC 7519 §7.2 step 10: the decoded header and claims must be
   * UTF-8 of a valid JSON object. jose decodes with a fatal TextDecoder; the plugin decoded with
   * Buffer.toString, which puts U+FFFD in place of bad bytes, and accepted (fixed: jws.ts).
   */
  it.each([
    ['a byte that is never UTF-8 (FF)', [0xff]],
    ['a truncated sequence (C3)', [0xc3]],
    ['an overlong encoding of "/" (C0 AF)', [0xc0, 0xaf]],
    ['an encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['a code point past U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
  ])('bytes that are not UTF-8 in a claim or header string, %s: both refuse', async (_, bad) => {
    const payload = Buffer.concat([Buffer.from(`{"iss":"${ISS}","exp":${NOW + 600},"name":"a`), Buffer.from(bad), Buffer.from('"}')]);
    const v = await verdicts(rs(RS, payload));
    expectBothRefuse(v);
    expect(pluginFailure(v)).toBe('malformed');
    const header = Buffer.concat([Buffer.from('{"alg":"RS256","x":"'), Buffer.from(bad), Buffer.from('"}')]);
    expectBothRefuse(await verdicts(rs(header, body)));
  });

  it('valid UTF-8 of any code point, and JSON escapes of them, pass both with the same claims', async () => {
    const v = await verdicts(rs(RS, `{"iss":"${ISS}","exp":${NOW + 600},"n":"ü😀\u{10FFFF}","e":"\\u00fc\\ud83d\\ude00","lone":"\\ud800"}`));
    expectBothAccept(v);
    if (v.plugin.ok && v.jose.ok) expect(v.plugin.claims).toEqual(v.jose.claims);
  });

  /**
   * A UTF-8 byte order mark before the JSON: jose's TextDecoder drops it and accepts; the plugin
   * refuses. RFC 8259 §8.1: senders MUST NOT add one, parsers MAY ignore it. Plugin stricter, which
   * the RFC allows: no producer may send one.
   */
  it('a byte order mark before the claims or header: the plugin refuses, jose ignores it', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const token of [rs(RS, Buffer.concat([bom, Buffer.from(body)])), rs(Buffer.concat([bom, Buffer.from(RS)]), body)]) {
      const v = await verdicts(token);
      expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'malformed' } });
      expect(v.jose.ok, show(v)).toBe(true);
    }
  });

  /**
   * Plugin stricter: a `kid` that is not a string makes the header malformed (jws.ts; RFC 7515
   * §4.1.4: kid is a string). jose reads kid only to pick a JWKS key, so with a key given
   * directly (PEM) it accepts; through a JWKS it finds no key.
   */
  it('kid not a string: the plugin refuses it as malformed; jose ignores it unless it picks a JWKS key', async () => {
    for (const kid of [5, null, ['rsa-1'], { id: 'rsa-1' }]) {
      const token = rs(JSON.stringify({ alg: 'RS256', kid }), body);
      const v = await verdicts(token, { pems: [byName('rsa-1').pem] });
      expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'malformed' } });
      expect(v.jose.ok, show(v)).toBe(true);
      expectBothRefuse(await verdicts(token, { jwks: { keys: [{ ...byName('rsa-1').publicJwk, kid: 'rsa-1' }] } }));
    }
  });
});

describe('signature encoding and length (RFC 7518 §3.3-3.5, RFC 8037 §3.1)', () => {
  const CHANGES = ['truncated', 'one-byte-short', 'zero-appended', 'zero-prepended', 'doubled', 'empty', 'DER'] as const;

  it('a signature of the wrong length or in DER instead of R || S: both refuse', async () => {
    await fc.assert(
      fc.asyncProperty(algArb, claimsArb, fc.constantFrom(...CHANGES), async (alg, extra, change) => {
        const key = signerFor(alg);
        const header = jsonSegment({ alg });
        const payload = jsonSegment(claims(extra));
        const input = `${header}.${payload}`;
        const sig = rawSignature(alg, key.privateKey, input);
        let bad: Buffer;
        switch (change) {
          case 'truncated':
            bad = sig.subarray(0, sig.length >> 1);
            break;
          case 'one-byte-short':
            bad = sig.subarray(1);
            break;
          case 'zero-appended':
            bad = Buffer.concat([sig, Buffer.alloc(1)]);
            break;
          case 'zero-prepended':
            bad = Buffer.concat([Buffer.alloc(1), sig]);
            break;
          case 'doubled':
            bad = Buffer.concat([sig, sig]);
            break;
          case 'empty':
            bad = Buffer.alloc(0);
            break;
          case 'DER':
            fc.pre(alg.startsWith('ES'));
            bad = sign(`sha${alg.slice(2)}`, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'der' });
            break;
        }
        expectBothAccept(await verdicts(`${input}.${b64u(sig)}`, { pems: [key.pem] }));
        const v = await verdicts(`${input}.${b64u(bad)}`, { pems: [key.pem] });
        if (change === 'one-byte-short' && alg.startsWith('PS') && sig[0] === 0) {
          // A PSS signature that began with a zero byte (1 in 256): jose accepts it without that
          // byte, its known leniency (the tests below); the plugin refuses it all the same.
          expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'signature' } });
          return;
        }
        expectBothRefuse(v);
      }),
      { ...runs(120), maxSkipsPerRun: 1000 },
    );
  });

  /** A signature whose first byte is 0, signed over a `jti` counted up until one is. */
  function signatureWithLeadingZero(alg: Algorithm, key: KeyObject): { input: string; sig: Buffer } {
    for (let jti = 0; ; jti++) {
      const input = `${jsonSegment({ alg })}.${jsonSegment(claims({ jti: String(jti) }))}`;
      const sig = rawSignature(alg, key, input);
      if (sig[0] === 0) return { input, sig };
    }
  }

  /**
   * RFC 8017 §8.1.2 step 1 and §8.2.2 step 1: an RSASSA signature not exactly as long as the
   * modulus is invalid. OpenSSL checks that for PKCS#1 v1.5 but not for PSS, where a signature
   * whose leading zero byte was dropped still verifies: jose (WebCrypto, over OpenSSL) accepts
   * it, and so did the plugin (node:crypto), a second encoding of the same token. Fixed
   * (algorithms.ts); jose lenient.
   */
  it.each(['PS256', 'PS384', 'PS512', 'RS256'] as const)('%s, signature with its leading zero byte dropped: the plugin refuses', async (alg) => {
    const key = signerFor(alg);
    const { input, sig } = signatureWithLeadingZero(alg, key.privateKey);
    expectBothAccept(await verdicts(`${input}.${b64u(sig)}`, { pems: [key.pem] }));
    const v = await verdicts(`${input}.${b64u(sig.subarray(1))}`, { pems: [key.pem] });
    expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'signature' } });
    expect(v.jose.ok, show(v)).toBe(alg.startsWith('PS')); // jose lenient for PSS
  });

  /**
   * ECDSA's (r, n - s) verifies whenever (r, s) does. RFC 7518 §3.4 does not ask for low S, and
   * neither checks it: both accept. (Not a forgery: only the signer's signature can be turned.)
   */
  it('ES256 with s replaced by n - s (the other valid signature): both accept', async () => {
    const n = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');
    const key = byName('p256-1');
    const input = `${jsonSegment({ alg: 'ES256' })}.${jsonSegment(claims())}`;
    const sig = rawSignature('ES256', key.privateKey, input);
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`);
    const flipped = Buffer.concat([sig.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
    expectBothAccept(await verdicts(`${input}.${b64u(flipped)}`, { pems: [key.pem] }));
  });

  /** RFC 8032 §5.1.7: S must be below L; S + L (same value mod L) is refused by both. */
  it('EdDSA (Ed25519) with S replaced by S + L: both refuse', async () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    const key = byName('ed25519-1');
    const input = `${jsonSegment({ alg: 'EdDSA' })}.${jsonSegment(claims())}`;
    const sig = rawSignature('EdDSA', key.privateKey, input);
    const le = (b: Buffer) => BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
    const big = le(sig.subarray(32)) + L;
    const S = Buffer.from(big.toString(16).padStart(64, '0'), 'hex').reverse();
    expectBothAccept(await verdicts(`${input}.${b64u(sig)}`, { pems: [key.pem] }));
    expectBothRefuse(await verdicts(`${input}.${b64u(Buffer.concat([sig.subarray(0, 32), S]))}`, { pems: [key.pem] }));
  });

  /** RFC 7518 §3.5: the PSS salt is as long as the hash. Other salt lengths: both refuse. */
  it.each([0, 20, 64])('PS256 with a salt of %i bytes: both refuse', async (saltLength) => {
    const key = byName('rsa-1');
    const input = `${jsonSegment({ alg: 'PS256' })}.${jsonSegment(claims())}`;
    const sig = sign('sha256', Buffer.from(input), { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
    expectBothRefuse(await verdicts(`${input}.${b64u(sig)}`, { pems: [key.pem] }));
  });
});

describe('JWKS: which key a token gets (RFC 7515 §4.1.4, RFC 7517 §4.5)', () => {
  /** Ten P-256 keys (more than MAX_VERIFY_ATTEMPTS of one type), one RSA, one Ed25519. */
  let pool: JoseKey[];
  beforeAll(async () => {
    pool = [
      ...(await Promise.all(Array.from({ length: 10 }, (_, i) => generateJoseKey(`ec-${i}`, 'p256')))),
      byName('rsa-1'),
      byName('ed25519-1'),
    ];
  }, 60_000);

  const KIDS = ['own', 'shared', 'other-shared', 'none'] as const;

  /**
   * Random key sets: keys in any order, some twice, `kid`s their own, shared between keys (also of
   * different types) or absent; the token names the signer's kid, a shared one, none or an unknown
   * one. The plugin, like jose (which, with several candidates, has them tried in turn as its
   * docs show), picks the keys whose kid matches (all when the token has none), of the type the
   * algorithm needs, and tries them in order; unlike jose it stops after MAX_VERIFY_ATTEMPTS
   * (verify.ts: a key set without kids must not cost unbounded crypto per token). Plugin stricter,
   * on purpose: past that bound it refuses what jose accepts.
   */
  it('the plugin accepts when jose does and the signer is among the first MAX_VERIFY_ATTEMPTS candidates', async () => {
    const tally = { accepted: 0, refused: 0, pastBound: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fc.record({ key: fc.nat({ max: 11 }), kid: fc.constantFrom(...KIDS) }), { minLength: 1, maxLength: 14 }),
          // many EC keys that a kid-less (or shared-kid) token leaves to be tried in turn
          fc.array(fc.record({ key: fc.nat({ max: 9 }), kid: fc.constantFrom<(typeof KIDS)[number]>('none', 'shared') }), {
            minLength: 9,
            maxLength: 14,
          }),
        ),
        fc.nat({ max: 11 }),
        fc.constantFrom('signer', 'shared', 'none', 'unknown'),
        fc.nat(),
        async (entries, signerIndex, tokenKid, which) => {
          const signer = pool[signerIndex]!;
          const alg = ALGS_OF[signer.kind][which % ALGS_OF[signer.kind].length]!;
          const jwks = entries.map((e) => {
            const k = pool[e.key]!;
            const kid = e.kid === 'own' ? k.name : e.kid === 'none' ? undefined : e.kid;
            return { ...k.publicJwk, ...(kid === undefined ? {} : { kid }) };
          });
          // the signer's own kid as the token's: its first entry's kid, when it has one
          const signerEntry = entries.find((e) => pool[e.key] === signer);
          const signerKid = signerEntry?.kid === 'own' ? signer.name : signerEntry?.kid === 'none' ? undefined : signerEntry?.kid;
          const kid = tokenKid === 'signer' ? signerKid : tokenKid === 'shared' ? 'shared' : tokenKid === 'unknown' ? 'unknown' : undefined;
          const token = await joseSign(signer, kid === undefined ? { alg } : { alg, kid }, claims());
          const v = await verdicts(token, { jwks: { keys: jwks } });

          // the candidates, as RFC 7517 §4.5 and both implementations pick them
          const fits = (jwk: Record<string, unknown>) =>
            (kid === undefined || jwk.kid === kid) &&
            jwk.kty === signer.publicJwk.kty &&
            (jwk.crv === undefined || jwk.crv === signer.publicJwk.crv);
          const candidates = jwks.filter(fits);
          const position = candidates.findIndex((jwk) => jwk.x === signer.publicJwk.x && jwk.n === signer.publicJwk.n);
          expect(v.jose.ok, show(v)).toBe(position >= 0);
          expect(v.plugin.ok, show(v)).toBe(position >= 0 && position < MAX_VERIFY_ATTEMPTS);
          if (v.jose.ok && !v.plugin.ok) {
            expect(v.plugin).toEqual({ ok: false, failure: { code: 'signature' } });
            tally.pastBound += 1;
          }
          tally[v.plugin.ok ? 'accepted' : 'refused'] += 1;
        },
      ),
      runs(250),
    );
    expect(tally.accepted).toBeGreaterThan(40);
    expect(tally.refused).toBeGreaterThan(40);
    expect(tally.pastBound).toBeGreaterThan(0);
  });

  it('the same kid on an RSA and an EC key: each algorithm gets the key of its type, for both', async () => {
    const [rsa, ec] = [byName('rsa-1'), byName('p256-1')];
    const jwks: KeySource = { jwks: { keys: [{ ...rsa.publicJwk, kid: 'same' }, { ...ec.publicJwk, kid: 'same' }] } };
    expectBothAccept(await verdicts(await joseSign(rsa, { alg: 'RS256', kid: 'same' }, claims()), jwks));
    expectBothAccept(await verdicts(await joseSign(ec, { alg: 'ES256', kid: 'same' }, claims()), jwks));
    expectBothRefuse(await verdicts(await joseSign(byName('p384-1'), { alg: 'ES384', kid: 'same' }, claims()), jwks));
  });
});

describe('JWKS members: use, key_ops, alg, private parts (RFC 7517 §4)', () => {
  const rsa = () => byName('rsa-1');
  const token = () => joseSign(rsa(), { alg: 'RS256', kid: 'k' }, claims());
  const withJwk = (jwk: Record<string, unknown>): KeySource => ({ jwks: { keys: [{ ...rsa().publicJwk, kid: 'k', ...jwk }] } });

  it.each([
    ['use: sig', { use: 'sig' }],
    ['key_ops: [verify]', { key_ops: ['verify'] }],
    ['alg: RS256', { alg: 'RS256' }],
    ['an unknown member (RFC 7517 §4: ignored)', { 'x-vendor': { any: 'thing' } }],
  ])('%s: both use the key', async (_, jwk) => {
    expectBothAccept(await verdicts(await token(), withJwk(jwk)));
  });

  it.each([
    ['use: enc', { use: 'enc' }],
    ['use: SIG (case matters)', { use: 'SIG' }],
    ['use not a string', { use: 5 }],
    ['key_ops without verify', { key_ops: ['sign'] }],
    ['key_ops for encryption', { key_ops: ['encrypt', 'decrypt'] }],
    ['key_ops empty', { key_ops: [] }],
    ['key_ops a string', { key_ops: 'verify' }],
    // fixed: the plugin used these keys (RFC 7517 §4.3: no duplicates; values are strings)
    ['key_ops with verify twice', { key_ops: ['verify', 'verify'] }],
    ['key_ops with a non-string', { key_ops: ['verify', 5] }],
    // fixed: the plugin took a non-string alg for no alg, so the key verified any RSA algorithm
    ['alg not a string', { alg: 5 }],
    ['alg null', { alg: null }],
    ['alg of another family', { alg: 'ES256' }],
    ['kid of another key', { kid: 'not-k' }],
    ['kid not a string', { kid: 5 }],
  ])('%s: neither uses the key', async (_, jwk) => {
    expectBothRefuse(await verdicts(await token(), withJwk(jwk)));
  });

  /**
   * A JWKS member that carries its private key (d, p, q, ...): a key set anyone can fetch that
   * publishes a private key has disclosed it, and anyone can sign tokens it verifies. Both refuse
   * it: jose ("JSON Web Key Set members must be public keys"), and the plugin, which never uses
   * such a member (keys.ts publishesPrivatePart): with no other key in the set, keys_unavailable.
   */
  it('a member with its private key: never used, by the plugin as by jose', async () => {
    const v = await verdicts(await token(), withJwk(rsa().privateKey.export({ format: 'jwk' })));
    expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'keys_unavailable' } });
    expect(v.jose, show(v)).toMatchObject({ ok: false, reason: expect.stringContaining('must be public keys') });
    const ec = byName('p256-1');
    const ecToken = await joseSign(ec, { alg: 'ES256', kid: 'e' }, claims());
    const ecVerdicts = await verdicts(ecToken, { jwks: { keys: [{ ...ec.privateKey.export({ format: 'jwk' }), kid: 'e' }] } });
    expect({ plugin: ecVerdicts.plugin.ok, jose: ecVerdicts.jose.ok }, show(ecVerdicts)).toEqual({ plugin: false, jose: false });
  });

  /**
   * `ext` is WebCrypto's (a boolean); RFC 7517 does not define it, and §4 has members a verifier
   * does not understand ignored. jose refuses a key whose `ext` is not a boolean; the plugin
   * ignores it. jose stricter, the plugin as the RFC says.
   */
  it('ext not a boolean: the plugin ignores the member, jose refuses the key', async () => {
    const v = await verdicts(await token(), withJwk({ ext: 'yes' }));
    expect(v.plugin.ok, show(v)).toBe(true);
    expect(v.jose.ok, show(v)).toBe(false);
  });

  /**
   * RFC 7517 §4.3 allows key_ops [sign, verify] on a key (the pair's operations). jose hands
   * key_ops to WebCrypto's importKey, which refuses "sign" on a public key, so jose cannot use
   * such a JWK; the plugin uses it for verify. jose stricter, the plugin as the RFC says.
   */
  it('key_ops [verify, sign]: the plugin uses the key, jose cannot import it', async () => {
    const v = await verdicts(await token(), withJwk({ key_ops: ['verify', 'sign'] }));
    expect(v.plugin.ok, show(v)).toBe(true);
    expect(v.jose.ok, show(v)).toBe(false);
  });

  it('an RSA key under 2048 bits, or an EC point not on its curve: neither uses the key', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const input = `${jsonSegment({ alg: 'RS256', kid: 'k' })}.${jsonSegment(claims())}`;
    const smallToken = `${input}.${b64u(rawSignature('RS256', small.privateKey, input))}`;
    expectBothRefuse(await verdicts(smallToken, { jwks: { keys: [{ ...small.publicKey.export({ format: 'jwk' }), kid: 'k' }] } }));

    const ec = byName('p256-1');
    const ecToken = await joseSign(ec, { alg: 'ES256', kid: 'e' }, claims());
    const y = Buffer.from(ec.publicJwk.y!, 'base64url');
    y[31]! ^= 1;
    expectBothRefuse(await verdicts(ecToken, { jwks: { keys: [{ ...ec.publicJwk, y: b64u(y), kid: 'e' }] } }));
  });
});

describe('where jose is no oracle, or is lenient', () => {
  /** RFC 8037 defines EdDSA with Ed25519 and Ed448; jose v6 does Ed25519 only. */
  it('EdDSA with an Ed448 key: the plugin verifies it, jose cannot', async () => {
    const ed448 = generateKeyPairSync('ed448');
    const input = `${jsonSegment({ alg: 'EdDSA' })}.${jsonSegment(claims())}`;
    const token = `${input}.${b64u(sign(null, Buffer.from(input), ed448.privateKey))}`;
    const pem = ed448.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const v = await verdicts(token, { pems: [pem] });
    expect(v.plugin.ok, show(v)).toBe(true);
    expect(v.jose.ok, show(v)).toBe(false);
    // and a flipped bit is refused, so the acceptance is the signature's
    const flipped = Buffer.from(token.split('.')[2]!, 'base64url');
    flipped[0]! ^= 1;
    expect((await verdicts(`${input}.${b64u(flipped)}`, { pems: [pem] })).plugin.ok).toBe(false);
  });

  /**
   * 1e400 is JSON for a number no NumericDate can be (JSON.parse makes it Infinity): jose takes an
   * infinite exp for a token that never expires, and -Infinity for an nbf always past. The plugin
   * refuses non-finite dates (claims.ts); RFC 8259 §6 lets a parser limit the range it accepts,
   * and no issuer means "forever" by it. jose lenient.
   */
  it.each([
    ['exp', '1e400'],
    ['nbf', '-1e400'],
    ['iat', '-1e400'],
  ])('%s: %s (infinite): the plugin refuses, jose accepts', async (name, value) => {
    const payload = `{"iss":"${ISS}","exp":${name === 'exp' ? value : NOW + 600}${name === 'exp' ? '' : `,"${name}":${value}`}}`;
    const v = await verdicts(handBuilt('RS256', jsonSegment({ alg: 'RS256' }), b64u(payload)));
    expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'bad_claim', detail: name } });
    expect(v.jose.ok, show(v)).toBe(true);
  });

  /**
   * NumericDates may have fractions (RFC 7519 §2) and the plugin compares them with the fractional
   * time (plugins/shared/clock.ts); jose compares with the time rounded down to the second, so it
   * accepts a token up to a second after its exp. jose lenient (RFC 7519 §4.1.4: the current time
   * MUST be before exp).
   */
  it('a fractional exp, 0.2 s past: the plugin refuses, jose accepts', async () => {
    const policy: Policy = { ...DEFAULT_POLICY, leeway: 0 };
    const token = await joseSign(byName('rsa-1'), { alg: 'RS256' }, { iss: ISS, exp: NOW + 0.5 });
    const v = await bothVerdicts(token, { pems: [byName('rsa-1').pem] }, policy, NOW + 0.7);
    expect(v.plugin, show(v)).toEqual({ ok: false, failure: { code: 'expired' } });
    expect(v.jose.ok, show(v)).toBe(true);
    expectBothAccept(await bothVerdicts(token, { pems: [byName('rsa-1').pem] }, policy, NOW + 0.3));
  });
});
