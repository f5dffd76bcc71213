/**
 * Differential tests of jwt-claims' verifier against jose (jose-oracle.ts): tokens jose signs,
 * with keys jose generates, verify in the plugin exactly when jose.jwtVerify with the equivalent
 * options accepts them.
 *
 * - Every algorithm the plugin supports (RS/PS/ES 256/384/512, EdDSA with Ed25519; jose cannot
 *   do Ed448, see jose-malformed.test.ts), keys as PEM (`public_keys`) or in a JWKS (kid, alg,
 *   use set or not; several keys, of several types).
 * - Random policies (algorithm allow-list, audiences, leeway, max_token_age, required_claims,
 *   token_types) and claims: exp/nbf/iat anywhere in their valid window and exactly on its
 *   edges, iss, aud as a string or an array, extra claims with any Unicode.
 * - Each token is valid, or carries one or two faults (wrong key, kid, iss, aud, typ, algorithm
 *   not allowed, JWK alg/use/key_ops, expired, not yet valid, issued in the future, too old, a
 *   required claim missing, a time claim of the wrong type; at or past the leeway edges): the
 *   plugin must agree with jose, and both with what the token is.
 * - Where both accept, the claims the plugin hands on are the ones jose decoded.
 * HS256/384/512 the plugin never accepts (schema.ts: asymmetric only): jose-malformed.test.ts.
 * Deterministic: fixed seed (jose-oracle.ts SEED; FC_SEED=<n> to explore).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  ALGS_OF,
  DEFAULT_POLICY,
  ISS,
  OTHER_ISS,
  bothVerdicts,
  generateJoseKeys,
  joseSign,
  runs,
  type Header,
  type JoseKey,
  type KeySource,
  type Policy,
} from './jose-oracle';
import type { Algorithm } from '../../../plugins/jwt-claims/schema';

let keys: JoseKey[];
beforeAll(async () => {
  keys = await generateJoseKeys();
}, 60_000);

const NOW_MIN = 1_700_000_000;
const NOW_MAX = 1_900_000_000;

const FAULTS = [
  'alg-not-allowed',
  'wrong-iss',
  'wrong-aud',
  'expired',
  'not-yet-valid',
  'iat-in-future',
  'too-old',
  'time-claim-type',
  'missing-required',
  'typ-mismatch',
  'wrong-key',
  'unknown-kid',
  'jwk-alg-mismatch',
  'jwk-use-enc',
  'jwk-key-ops',
] as const;
type Fault = (typeof FAULTS)[number];

/** None about half the time, else one or two. */
const faultsArb: fc.Arbitrary<Fault[]> = fc.oneof(
  { arbitrary: fc.constant<Fault[]>([]), weight: 9 },
  { arbitrary: fc.constantFrom(...FAULTS).map((f) => [f]), weight: 8 },
  { arbitrary: fc.uniqueArray(fc.constantFrom(...FAULTS), { minLength: 2, maxLength: 2 }), weight: 3 },
);

/** A point of a window: on its near edge (0), one second inside (1), or anywhere in it. */
const windowPoint = fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 600 }));

const RESERVED = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'sub', 'tenant', 'jti', 'absent']);
const unicodeText = (maxLength: number) => fc.string({ unit: 'grapheme', maxLength });
/** Audiences a policy never lists (close misses included). */
const foreignAud = fc.constantFrom('other', 'ORDERS', 'orders ', 'billing-x', '');

const specArb = fc.record({
  now: fc.integer({ min: NOW_MIN, max: NOW_MAX }),
  faults: faultsArb,
  policy: fc.record({
    algorithms: fc.subarray([...ALGORITHMS]),
    audiences: fc.constantFrom<string[]>([], ['orders'], ['orders', 'billing']),
    leeway: fc.oneof(fc.constantFrom(0, 30), fc.integer({ min: 0, max: 300 })),
    maxTokenAge: fc.option(fc.integer({ min: 1, max: 3600 }), { nil: null }),
    required: fc.subarray(['exp', 'sub', 'nbf', 'iat', 'tenant']),
    tokenTypes: fc.constantFrom<string[]>([], [], ['at+jwt'], ['JWT']),
  }),
  signer: fc.record({ key: fc.nat({ max: 9 }), algPick: fc.nat() }),
  keySource: fc.record({
    jwks: fc.boolean(),
    others: fc.subarray([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { maxLength: 5 }),
    position: fc.nat(),
    signerKid: fc.boolean(),
    signerAlg: fc.boolean(),
    signerUse: fc.boolean(),
    othersDecor: fc.array(fc.record({ kid: fc.boolean(), alg: fc.boolean(), use: fc.constantFrom(undefined, 'sig', 'enc') }), {
      minLength: 10,
      maxLength: 10,
    }),
  }),
  typVariant: fc.nat(),
  claims: fc.record({
    sub: fc.option(unicodeText(16), { nil: undefined }),
    audAsArray: fc.boolean(),
    audPick: fc.nat(),
    audOthers: fc.array(fc.oneof(foreignAud, fc.constantFrom('orders', 'billing')), { maxLength: 2 }),
    exp: fc.option(windowPoint, { nil: undefined }),
    nbf: fc.option(windowPoint, { nil: undefined }),
    iat: fc.option(fc.record({ fromOld: fc.boolean(), at: windowPoint }), { nil: undefined }),
    tenant: fc.option(fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 1 }), { nil: undefined }),
    extra: fc.dictionary(
      unicodeText(12).filter((k) => k !== '' && !RESERVED.has(k)),
      fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 2 }),
      { maxKeys: 4 },
    ),
  }),
  /** How far past an edge a faulty time claim is: exactly on it (0) or further. */
  pastEdge: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
  wrongIss: fc.constantFrom<unknown>(OTHER_ISS, `${ISS} `, ISS.slice(0, -1), ISS.toUpperCase(), undefined, 5, [ISS]),
  wrongTimeType: fc.record({
    claim: fc.constantFrom('exp', 'nbf', 'iat'),
    value: fc.constantFrom<unknown>('1900000000', null, true, [1900000000], { $date: 1 }),
  }),
  wrongTyp: fc.constantFrom<string | undefined>(undefined, 'at+jwt ', 'jwt+at', 'application/at+jwt; charset=utf-8', 'text/plain'),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

const TYP_SPELLINGS: Record<string, string[]> = {
  'at+jwt': ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+Jwt'],
  JWT: ['JWT', 'jwt', 'application/jwt', 'APPLICATION/JWT'],
};

interface Case {
  token: string;
  source: KeySource;
  policy: Policy;
  now: number;
  header: Header;
  claims: Record<string, unknown>;
  faults: Fault[];
}

/** A valid token, key source and policy for the spec, then its faults applied. */
async function buildCase(spec: Spec): Promise<Case> {
  const has = (f: Fault) => spec.faults.includes(f);
  const now = spec.now;
  const signer = keys[spec.signer.key]!;
  const alg = ALGS_OF[signer.kind][spec.signer.algPick % ALGS_OF[signer.kind].length]!;

  // policy
  let algorithms: Algorithm[] = [...new Set([...spec.policy.algorithms, alg])];
  if (has('alg-not-allowed')) {
    algorithms = algorithms.filter((a) => a !== alg);
    if (algorithms.length === 0) algorithms = ALGORITHMS.filter((a) => a !== alg);
  }
  let audiences = spec.policy.audiences;
  if (has('wrong-aud') && audiences.length === 0) audiences = ['orders'];
  let maxTokenAge = spec.policy.maxTokenAge;
  if ((has('iat-in-future') || has('too-old')) && maxTokenAge === null) maxTokenAge = 3600;
  let tokenTypes = spec.policy.tokenTypes;
  if (has('typ-mismatch') && tokenTypes.length === 0) tokenTypes = ['at+jwt'];
  const leeway = spec.policy.leeway;

  // claims, valid: every time claim inside its window (`at` seconds in from the edge)
  const c = spec.claims;
  const claims: Record<string, unknown> = { ...c.extra, iss: ISS };
  if (c.sub !== undefined) claims.sub = c.sub;
  if (audiences.length > 0) {
    const mine = audiences[c.audPick % audiences.length]!;
    claims.aud = c.audAsArray ? [...c.audOthers, mine] : mine;
  } else if (c.audAsArray || c.audOthers.length > 0) {
    claims.aud = c.audAsArray ? c.audOthers : c.audOthers[0];
  }
  if (c.exp !== undefined) claims.exp = now - leeway + 1 + c.exp; // exp = now - leeway is expired
  if (c.nbf !== undefined) claims.nbf = now + leeway - c.nbf;
  if (c.iat !== undefined || maxTokenAge !== null) {
    const iat = c.iat ?? { fromOld: false, at: 0 };
    // not in the future: iat <= now + leeway; not too old: iat >= now - max_token_age - leeway
    const oldest = maxTokenAge === null ? now - 600 : now - maxTokenAge - leeway;
    claims.iat = iat.fromOld ? Math.min(oldest + iat.at, now + leeway) : Math.max(now + leeway - iat.at, oldest);
  }
  if (c.tenant !== undefined) claims.tenant = c.tenant;
  const requiredClaims = spec.policy.required.filter((name) => claims[name] !== undefined);

  // faults in the claims
  if (has('wrong-iss')) {
    if (spec.wrongIss === undefined) delete claims.iss;
    else claims.iss = spec.wrongIss;
  }
  if (has('wrong-aud')) {
    const choice = c.audPick % 3;
    if (choice === 0) delete claims.aud;
    else claims.aud = choice === 1 ? 'other' : ['other', 'ORDERS', 'orders '];
  }
  if (has('expired')) claims.exp = now - leeway - spec.pastEdge;
  if (has('not-yet-valid')) claims.nbf = now + leeway + 1 + spec.pastEdge;
  if (has('iat-in-future')) claims.iat = now + leeway + 1 + spec.pastEdge;
  if (has('too-old')) claims.iat = now - maxTokenAge! - leeway - 1 - spec.pastEdge;
  if (has('time-claim-type')) claims[spec.wrongTimeType.claim] = spec.wrongTimeType.value;
  if (has('missing-required')) requiredClaims.push(['sub', 'jti', 'nbf', 'absent'].find((n) => claims[n] === undefined)!);

  // header
  const header: Header = { alg };
  if (tokenTypes.length > 0) {
    const spellings = TYP_SPELLINGS[tokenTypes[0]!]!;
    header.typ = spellings[spec.typVariant % spellings.length];
  } else if (spec.typVariant % 3 > 0) {
    header.typ = spec.typVariant % 3 === 1 ? 'JWT' : 'at+jwt';
  }
  if (has('typ-mismatch')) {
    if (spec.wrongTyp === undefined) delete header.typ;
    else header.typ = spec.wrongTyp;
  }

  // keys: the signer among others (never another copy of it), as PEMs or a JWKS
  const ks = spec.keySource;
  const chosen = ks.others.map((i) => keys[i]!).filter((k) => k !== signer);
  if (!has('wrong-key')) chosen.splice(ks.position % (chosen.length + 1), 0, signer);
  if (chosen.length === 0) chosen.push(keys[(spec.signer.key + 2) % keys.length]!);
  let source: KeySource;
  const useJwks = ks.jwks || has('unknown-kid') || has('jwk-alg-mismatch') || has('jwk-use-enc') || has('jwk-key-ops');
  if (!useJwks) {
    source = { pems: chosen.map((k) => k.pem) };
  } else {
    const jwks = chosen.map((k) => {
      const jwk: Record<string, unknown> = { ...k.publicJwk };
      if (k === signer) {
        if (ks.signerKid) jwk.kid = k.name;
        if (ks.signerAlg) jwk.alg = alg;
        if (ks.signerUse) jwk.use = 'sig';
        if (has('jwk-alg-mismatch')) jwk.alg = ALGS_OF[k.kind].find((a) => a !== alg) ?? (k.kind === 'rsa' ? 'ES256' : 'RS256');
        if (has('jwk-use-enc')) jwk.use = 'enc';
        if (has('jwk-key-ops')) jwk.key_ops = ks.signerUse ? ['sign'] : ['encrypt', 'wrapKey'];
      } else {
        const d = ks.othersDecor[keys.indexOf(k)]!;
        if (d.kid) jwk.kid = k.name;
        if (d.alg) jwk.alg = ALGS_OF[k.kind][0];
        if (d.use) jwk.use = d.use;
      }
      return jwk;
    });
    source = { jwks: { keys: jwks } };
    if (ks.signerKid) header.kid = signer.name;
    if (has('unknown-kid')) header.kid = 'no-such-kid';
  }

  const policy: Policy = { algorithms, audiences, leeway, maxTokenAge, requiredClaims, tokenTypes };
  const token = await joseSign(signer, header, claims);
  return { token, source, policy, now, header, claims, faults: spec.faults };
}

describe('jose-signed tokens: the plugin accepts exactly what jose.jwtVerify accepts', () => {
  it('valid tokens and tokens with one or two faults, random policies, PEM or JWKS keys', async () => {
    const tally = { accepted: 0, refused: 0, nullRequired: 0, jwks: 0, pem: 0 };
    const faultsSeen = new Set<Fault>();
    await fc.assert(
      fc.asyncProperty(specArb, async (spec) => {
        const k = await buildCase(spec);
        const { plugin, jose } = await bothVerdicts(k.token, k.source, k.policy, k.now);
        const context = JSON.stringify({ plugin, jose, faults: k.faults, policy: k.policy, header: k.header, claims: k.claims });

        // Deliberately stricter: a required claim that is null counts as missing in the plugin
        // (claims.ts checkRequiredClaims); jose's requiredClaims only checks that the member is
        // there. RFC 7519 says nothing either way.
        const nullRequired = k.policy.requiredClaims.find((name) => k.claims[name] === null);
        if (jose.ok && nullRequired !== undefined) {
          expect(plugin, context).toEqual({ ok: false, failure: { code: 'missing_claim', detail: nullRequired } });
          tally.nullRequired += 1;
        } else {
          // the verdicts agree, and are what the token is: valid without faults, else invalid
          expect({ plugin: plugin.ok, jose: jose.ok }, context).toEqual({ plugin: k.faults.length === 0, jose: k.faults.length === 0 });
        }
        if (plugin.ok && jose.ok) expect(plugin.claims).toEqual(jose.claims);
        tally[plugin.ok ? 'accepted' : 'refused'] += 1;
        tally['jwks' in k.source ? 'jwks' : 'pem'] += 1;
        for (const f of k.faults) faultsSeen.add(f);
      }),
      runs(400),
    );
    // both outcomes, both key sources and every fault well represented
    expect(tally.accepted).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(100);
    expect(Math.min(tally.jwks, tally.pem)).toBeGreaterThan(100);
    expect([...faultsSeen].sort()).toEqual([...FAULTS].sort());
  });

  it.each(ALGORITHMS)('%s: valid tokens with any Unicode claims are accepted by both, by PEM and by JWKS', async (alg) => {
    const signers = keys.filter((k) => ALGS_OF[k.kind].includes(alg));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: NOW_MIN, max: NOW_MAX }),
        fc.nat({ max: signers.length - 1 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 86_400 }),
        fc.dictionary(unicodeText(12).filter((k) => !RESERVED.has(k)), fc.jsonValue({ stringUnit: 'grapheme', maxDepth: 3 }), {
          maxKeys: 6,
        }),
        async (now, which, viaJwks, lifetime, extra) => {
          const signer = signers[which]!;
          const claims = { ...extra, iss: ISS, sub: 'user-ü-😀', aud: ['orders'], iat: now, exp: now + lifetime };
          const token = await joseSign(signer, viaJwks ? { alg, kid: signer.name } : { alg }, claims);
          const policy: Policy = { ...DEFAULT_POLICY, algorithms: [alg], audiences: ['orders'], requiredClaims: ['exp', 'sub'] };
          const source: KeySource = viaJwks
            ? { jwks: { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.name, use: 'sig' })) } }
            : { pems: signers.map((k) => k.pem) };
          const { plugin, jose } = await bothVerdicts(token, source, policy, now);
          expect(jose.ok, JSON.stringify(jose)).toBe(true);
          expect(plugin.ok, JSON.stringify(plugin)).toBe(true);
          if (plugin.ok && jose.ok) expect(plugin.claims).toEqual(jose.claims);
        },
      ),
      runs(12),
    );
  });
});
