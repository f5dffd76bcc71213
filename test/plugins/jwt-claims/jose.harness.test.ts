/**
 * jose-signed tokens end to end, through KongSim and the real plugin server (either
 * TEST_PLUGIN_SERVER): keys jose generated, configured as PEM on one route and served as a JWKS
 * by a loopback identity provider on another; per algorithm family a few fast-check runs of valid
 * tokens and tokens with one fault (expired or not yet valid at the leeway edge, wrong audience,
 * wrong key, a flipped signature bit). A request passes (200, the upstream reached with the
 * token's `sub` forwarded) exactly when jose.jwtVerify, with the route's options and the same
 * PEM or the same JWKS URL (createRemoteJWKSet), accepts the token; else 401 invalid_token.
 * The plugin's verifier alone is checked far more widely in jose-differential.test.ts and
 * jose-malformed.test.ts; this is the same contract seen from Kong.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Algorithm } from '../../../plugins/jwt-claims/schema';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import {
  ALGS_OF,
  DEFAULT_POLICY,
  ISS,
  b64u,
  generateJoseKeys,
  joseSign,
  joseVerdict,
  runs,
  type JoseKey,
  type KeySource,
  type Policy,
} from './jose-oracle';

const NOW = 1_750_000_000;
const POLICY: Policy = { ...DEFAULT_POLICY, audiences: ['orders'], leeway: 30, requiredClaims: ['exp'] };

/** The issuer's keys (one per kind); `strangers` are keys of the same kinds it does not have. */
let keys: JoseKey[];
let strangers: JoseKey[];
let env: JwtClaimsEnv;
let idp: http.Server;
let jwksUrl: string;
let pemRoute: string;
let jwksRoute: string;

beforeAll(async () => {
  const all = await generateJoseKeys();
  keys = all.filter((k) => k.name.endsWith('-1'));
  strangers = all.filter((k) => k.name.endsWith('-2'));
  const jwks = JSON.stringify({ keys: keys.map((k) => ({ ...k.publicJwk, kid: k.name, use: 'sig' })) });
  idp = http.createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`;

  env = await startJwtClaims();
  const common = {
    audiences: [...POLICY.audiences],
    leeway: POLICY.leeway,
    required_claims: [...POLICY.requiredClaims],
    claims_to_headers: [{ claim: 'sub', header: 'X-User-Id' }],
  };
  pemRoute = env.route('jose-pem', { issuers: [{ issuer: ISS, public_keys: keys.map((k) => k.pem) }], ...common });
  jwksRoute = env.route('jose-jwks', { issuers: [{ issuer: ISS, jwks_uri: jwksUrl }], ...common });
  env.setClock(NOW);
}, 60_000);

afterAll(async () => {
  await env?.close();
  await new Promise<void>((resolve) => (idp ? idp.close(() => resolve()) : resolve()));
});

const FAMILIES: Array<[string, Algorithm[]]> = [
  ['RS', ['RS256', 'RS384', 'RS512']],
  ['PS', ['PS256', 'PS384', 'PS512']],
  ['ES', ['ES256', 'ES384', 'ES512']],
  ['EdDSA', ['EdDSA']],
];
const FAULTS = ['none', 'none', 'expired', 'not-yet-valid', 'wrong-audience', 'wrong-key', 'flipped-signature'] as const;

describe('jose-signed tokens through Kong and the plugin server', () => {
  it.each(FAMILIES)('%s: 200 exactly when jose accepts, via PEM and via the served JWKS', async (_, algs) => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...algs),
        fc.boolean(),
        fc.constantFrom(...FAULTS),
        fc.constantFrom(0, 1, 2, 120),
        fc.stringMatching(/^[A-Za-z0-9|@._-]{1,24}$/),
        async (alg, viaJwks, fault, edge, sub) => {
          const signer = keys.find((k) => ALGS_OF[k.kind].includes(alg))!;
          const claims: Record<string, unknown> = { iss: ISS, sub, aud: ['x', 'orders'], iat: NOW - 5, exp: NOW + 600 };
          // at the leeway edges: exp = NOW - 30 is expired (NOW - 29 is not), nbf = NOW + 31 is early
          if (fault === 'expired') claims.exp = NOW - POLICY.leeway - edge;
          if (fault === 'none' && edge < 2) claims.exp = NOW - POLICY.leeway + 1 + edge;
          if (fault === 'not-yet-valid') claims.nbf = NOW + POLICY.leeway + 1 + edge;
          if (fault === 'none' && edge >= 2) claims.nbf = NOW + POLICY.leeway;
          if (fault === 'wrong-audience') claims.aud = edge === 0 ? 'orders-v2' : ['ORDERS'];
          // the wrong key claims the right kid
          const key = fault === 'wrong-key' ? strangers.find((k) => k.kind === signer.kind)! : signer;
          let token = await joseSign(key, viaJwks ? { alg, kid: signer.name } : { alg }, claims);
          if (fault === 'flipped-signature') {
            const [h, p, s] = token.split('.') as [string, string, string];
            const sig = Buffer.from(s, 'base64url');
            sig[edge % sig.length]! ^= 0x80;
            token = `${h}.${p}.${b64u(sig)}`;
          }

          const source: KeySource = viaJwks ? { jwksUrl } : { pems: keys.map((k) => k.pem) };
          const jose = await joseVerdict(token, source, POLICY, NOW);
          const res = await env.request(bearer(viaJwks ? jwksRoute : pemRoute, token));
          const context = JSON.stringify({ fault, alg, viaJwks, status: res.status, body: res.text(), jose });

          expect(jose.ok, context).toBe(fault === 'none');
          expect(res.status, context).toBe(jose.ok ? 200 : 401);
          if (jose.ok) {
            expect(res.text()).toBe('upstream');
            expect(res.upstreamRequest?.headers.first('x-user-id'), context).toBe(jose.claims.sub);
          } else {
            expect(res.headers.first('www-authenticate'), context).toMatch(/^Bearer error="invalid_token"/);
            expect(res.upstreamRequest, context).toBeUndefined();
          }
          seen.add(`${viaJwks ? 'jwks' : 'pem'} ${jose.ok ? 'passed' : 'refused'}`);
        },
      ),
      runs(14),
    );
    expect([...seen].sort()).toEqual(['jwks passed', 'jwks refused', 'pem passed', 'pem refused']);
  });
});
