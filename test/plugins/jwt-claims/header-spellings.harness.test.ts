/**
 * Vouched headers cannot be smuggled under their `_` spelling (found by review). jwt-claims
 * promises the upstream that the headers it vouches for (claims_to_headers targets, X-Consumer-*
 * with consumer_claim) come from it. Kong runs nginx with `underscores_in_headers on`, and
 * ngx.req.set_header / clear_header match a name ignoring case only, so clearing `X-User-Id`
 * left a client's `X_User_Id: admin`, which CGI/WSGI/PHP/Rack upstreams read as HTTP_X_USER_ID:
 * any token holder could pose as another user (the class of oauth2-proxy CVE-2025-64484).
 * Likewise a second token under a token header's `_` spelling went unnoticed. The harness models
 * nginx's matching (test/harness/headers.ts), so the upstream echo shows what would get through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kongConsumer, type SimResult } from '../../harness';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, makeToken, nowSec } from './tokens';

const key = ecKey('P-256');
const ISS = 'https://idp.example';
const issuers = [{ issuer: ISS, public_keys: [key.pem] }];
const token = () => makeToken('ES256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 600 });

const SMUGGLED: Array<[string, string]> = [
  ['X_User_Id', 'admin'],
  ['X_Consumer_Username', 'admin'],
  ['X_Consumer_ID', '00000000-0000-4000-8000-000000000000'],
];

let env: JwtClaimsEnv;
let route: string;
let preflightRoute: string;
let tokenHeaderRoute: string;

beforeAll(async () => {
  env = await startJwtClaims();
  env.sim.addConsumer(kongConsumer({ username: 'alice' }));
  const common = { issuers, claims_to_headers: [{ claim: 'sub', header: 'X-User-Id' }], consumer_claim: 'sub' };
  route = env.route('smuggle', common);
  preflightRoute = env.route('smuggle-preflight', { ...common, run_on_preflight: false });
  tokenHeaderRoute = env.route('smuggle-token', { issuers, header_names: ['x-api-token'] });
});
afterAll(async () => env?.close());

/** Header names the plugin's set_headers call(s) cleared (value [] or ''), lower-cased. */
function clearedNames(res: SimResult): Set<string> {
  const out = new Set<string>();
  for (const call of res.calls) {
    if (call.method !== 'kong.service.request.set_headers') continue;
    for (const [name, value] of Object.entries((call.args[0] ?? {}) as Record<string, unknown>)) {
      if ((Array.isArray(value) && value.length === 0) || value === '') out.add(name.toLowerCase());
    }
  }
  return out;
}

function expectSmuggledHeadersDropped(res: SimResult): void {
  expect(res.status).toBeLessThan(300);
  const cleared = clearedNames(res);
  for (const [name] of SMUGGLED) {
    expect(cleared.has(name.toLowerCase()), `${name} is not cleared by its own name`).toBe(true);
    expect(res.upstreamRequest?.headers.exactValues(name), `${name} (read as ${name.replace(/_/g, '-')} by WSGI/CGI upstreams) reaches the upstream`).toEqual([]);
  }
}

describe('underscore spellings of vouched headers', () => {
  it('are cleared on an authenticated request', async () => {
    const res = await env.request(bearer(route, token(), SMUGGLED));
    expectSmuggledHeadersDropped(res);
  });

  it('are cleared on a preflight that passes unauthenticated (run_on_preflight: false)', async () => {
    const res = await env.request({
      method: 'OPTIONS',
      path: preflightRoute,
      headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'GET'], ...SMUGGLED],
    });
    expectSmuggledHeadersDropped(res);
  });

  it('a second token under the underscore spelling of a token header is a second token (401)', async () => {
    const forged = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: ISS, sub: 'admin', exp: nowSec() + 600 })).toString('base64url')}.AAAA`;
    const res = await env.request({ method: 'GET', path: tokenHeaderRoute, headers: [['X-Api-Token', token()], ['X_Api_Token', forged]] });
    expect(res.status).toBe(401);
    expect(res.headers.first('www-authenticate')).toContain('error="invalid_request"');
    expect(res.upstreamRequest).toBeUndefined();
  });
});
