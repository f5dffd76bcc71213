/**
 * A header or query argument named `__proto__` (found by a flaky property test of the codec).
 * Any client can send one: Kong runs nginx with `underscores_in_headers on`, and query arguments
 * are not filtered at all. Kong packs `kong.request.get_headers()` / `get_query()` as a map with
 * that key, which @msgpack/msgpack refuses ("The key __proto__ is not allowed"). The project's
 * server used to close Kong's connection over it: Kong logs "no data" and proxies the request
 * without the plugin's verdict, so `curl -H '__proto__: x'` skipped token verification. Now the
 * key decodes as an own entry (plugins/server/lua-strings.ts), and the plugin answers as it
 * would without it.
 *
 * kong-pdk's server throws the same error from its socket listener and exits: that request and
 * every request until Kong restarts it are proxied without any of its plugins. Under
 * TEST_PLUGIN_SERVER=kong-pdk the test asserts that instead (plugins/server/README.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, makeToken, nowSec } from './tokens';

const ours = TEST_PLUGIN_SERVER === 'project';
const key = ecKey('P-256');
const ISS = 'https://idp.example';
const token = () => makeToken('ES256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 600 });

let env: JwtClaimsEnv;
let route: string;

beforeAll(async () => {
  env = await startJwtClaims();
  route = env.route('proto', { issuers: [{ issuer: ISS, public_keys: [key.pem] }], query_param_names: ['access_token'], hide_credentials: true });
});
afterAll(async () => env?.close());

const rpcErrors = (res: SimResult) => res.kongLog.filter((l) => /no data|connection refused|no such file/.test(l.message));

describe(`a client's \`__proto__\` header or query argument (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  if (ours) {
    it('does not get a request without a token past the plugin', async () => {
      for (const req of [
        { method: 'GET', path: route, headers: [['__proto__', 'x']] as Array<[string, string]> },
        { method: 'GET', path: `${route}?__proto__=x` },
        { method: 'GET', path: `${route}?__proto__=x&__proto__=y`, headers: [['__proto__', '{}'], ['__proto__', 'z']] as Array<[string, string]> },
      ]) {
        const res = await env.request(req);
        expect(res.status, `${req.path} ${JSON.stringify(req.headers)}`).toBe(401);
        expect(res.upstreamRequest).toBeUndefined();
        expect(rpcErrors(res)).toEqual([]);
      }
    });

    it('lets a valid token through, the header and argument forwarded untouched', async () => {
      const res = await env.request(bearer(`${route}?__proto__=q`, token(), [['__proto__', 'h']]));
      expect(res.status, res.text()).toBe(200);
      expect(res.upstreamRequest?.headers.exactValues('__proto__')).toEqual(['h']);
      expect(res.upstreamRequest?.path).toContain('__proto__=q');
      expect(rpcErrors(res)).toEqual([]);
    });

    it('reads a token given in the query next to it, and forwards the rest of the query', async () => {
      for (const query of ['__proto__=q', '__proto__=q&__proto__=r']) {
        const res = await env.request({ method: 'GET', path: `${route}?${query}&access_token=${token()}` });
        expect(res.status, res.text()).toBe(200);
        // the token's argument taken out (kong.service.request.set_query), the others kept
        expect(res.upstreamRequest?.path).toBe(`/?${query}`);
      }
    });
  } else {
    it('kong-pdk: the server exits, and the request goes upstream without a token', async () => {
      expect(env.server.running).toBe(true);
      const res = await env.request({ method: 'GET', path: route, headers: [['__proto__', 'x']] });
      expect(res.upstreamRequest).toBeDefined();
      expect(res.status).toBe(200);
      expect(await env.server.exitsWithin(5000)).toBe(true);
      expect(env.server.logs.join('\n')).toMatch(/__proto__ is not allowed/);
    });
  }
});
