/**
 * A JWKS endpoint that streams without end must cost a failed fetch, not the plugin server. The
 * fetch used to gather the whole body in one string, so a body past V8's string limit threw inside
 * a socket 'data' listener: an uncaught exception that killed the plugin server, after which Kong
 * proxies every route whose instance it had cached without the plugin, static-key routes
 * included. Whoever controls one issuer's JWKS bytes (the IdP, its CDN, anyone on the path of an
 * http:// jwks_uri) could switch authentication off everywhere. (Found by review; see
 * jwks-fetch.test.ts for the fetch's own bounds.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { makeToken, nowSec, rsaKey } from './tokens';

const ISS = 'https://static.example';
const HOSTILE = 'https://hostile.example';
const key = rsaKey();
const attacker = rsaKey();

let env: JwtClaimsEnv;
let idp: http.Server;
let jwksUrl = '';

beforeAll(async () => {
  // A JWKS endpoint that answers 200 and then streams JSON whitespace as fast as the client reads.
  idp = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"keys":[');
    const chunk = ' '.repeat(1 << 20);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    res.on('close', () => res.off('drain', pump));
    pump();
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`;
  env = await startJwtClaims();
});

afterAll(async () => {
  await env?.close();
  idp?.closeAllConnections();
  await new Promise<void>((resolve) => idp.close(() => resolve()));
});

describe('an oversized JWKS response', () => {
  it('is refused without taking the plugin server down (no fail-open on other routes)', async () => {
    const safe = env.route('static-only', { issuers: [{ issuer: ISS, public_keys: [key.pem] }] });
    const hostile = env.route('hostile-jwks', { issuers: [{ issuer: HOSTILE, jwks_uri: jwksUrl }], jwks_timeout: 60_000 });

    // the static-key route works, and its instance is now cached by Kong
    const good = await env.request(bearer(safe, makeToken('RS256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 600 })));
    expect(good.status).toBe(200);

    // one request with any token naming the hostile issuer makes the plugin fetch its JWKS
    const trigger = await env.request(bearer(hostile, makeToken('RS256', attacker.privateKey, { iss: HOSTILE, sub: 'x', exp: nowSec() + 600 })));
    expect.soft(trigger.upstreamRequest, 'the request that triggered the JWKS fetch reached the upstream').toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 500)); // let a crash be noticed
    expect.soft(env.server.running, `plugin server died:\n${env.server.logs.slice(-15).join('\n')}`).toBe(true);

    // a forged token on the static-key route must still be refused
    const forged = await env.request(bearer(safe, makeToken('RS256', attacker.privateKey, { iss: ISS, sub: 'admin', exp: nowSec() + 600 })));
    expect.soft(forged.upstreamRequest, 'a forged token reached the upstream').toBeUndefined();
    expect(forged.status).toBe(401);
  }, 90_000);
});
