/**
 * Whatever else a client sends, jwt-claims decides: a request without a valid token never reaches
 * the upstream, a request with one always does, and every event is answered (no RPC error in
 * Kong's log, which would mean Kong proxied without the plugin). Properties over requests with
 * arbitrary extra headers and query arguments (test/plugins/fuzz-names.ts), the way a
 * `__proto__` header once skipped the plugin.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { decodeArgs } from '../../harness/uri';
import { headers, query } from '../fuzz-names';
import { startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, makeToken, nowSec } from './tokens';

const key = ecKey('P-256');
const ISS = 'https://idp.example';
const token = () => makeToken('ES256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 600 });
/** Where the route looks for a token: a second one anywhere is refused (RFC 6750 §2). */
const TOKEN_HEADERS = ['authorization', 'x-api-token', 'x_api_token', 'cookie'];
const TOKEN_ARGS = ['access_token'];

let env: JwtClaimsEnv;
let route: string;

beforeAll(async () => {
  env = await startJwtClaims();
  route = env.route('any', {
    issuers: [{ issuer: ISS, public_keys: [key.pem] }],
    header_names: ['authorization', 'x-api-token'],
    query_param_names: TOKEN_ARGS,
    cookie_names: ['session'],
    hide_credentials: true,
  });
});
afterAll(async () => env?.close());

function expectAnswered(res: SimResult): void {
  expect(res.kongLog.filter((l) => l.plugin === undefined && (l.level === 'err' || l.level === 'crit')).map((l) => l.message), 'Kong logged an RPC error: it proxied without the plugin').toEqual([]);
  expect(env.server.running).toBe(true);
}

describe(`jwt-claims on any request (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it('refuses every request without a valid token, whatever else it carries', async () => {
    await fc.assert(
      fc.asyncProperty(headers(), query(), fc.constantFrom('GET', 'POST', 'DELETE'), async (extra, q, method) => {
        const res = await env.request({ method, path: q ? `${route}?${q}` : route, headers: extra });
        expect(res.status, JSON.stringify({ extra, q, kongLog: res.kongLog, server: env.server.logs.slice(-15) })).toBe(401);
        expect(res.upstreamRequest).toBeUndefined();
        expectAnswered(res);
      }),
      { numRuns: 150 },
    );
  });

  it('lets every request with one valid token through, the rest of it forwarded', async () => {
    await fc.assert(
      fc.asyncProperty(headers(TOKEN_HEADERS), query(TOKEN_ARGS), fc.boolean(), async (extra, q, inQuery) => {
        const jwt = token();
        const args = inQuery ? [q, `access_token=${jwt}`].filter(Boolean).join('&') : q;
        const res = await env.request({
          method: 'GET',
          path: args ? `${route}?${args}` : route,
          headers: inQuery ? extra : [['Authorization', `Bearer ${jwt}`], ...extra],
        });
        expect(res.status, JSON.stringify({ extra, args, body: res.text() })).toBe(200);
        const forwarded = res.upstreamRequest!;
        for (const [name, value] of extra) expect(forwarded.headers.exactValues(name), name).toContain(value);
        expect(forwarded.headers.exactValues('authorization')).toEqual([]);
        // the token's argument hidden (hide_credentials), every other one kept
        expect(decodeArgs(forwarded.path.split('?')[1])).toEqual(decodeArgs(q));
        expectAnswered(res);
      }),
      { numRuns: 200 },
    );
  });
});
