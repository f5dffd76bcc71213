/**
 * Through the real plugin server: an identity provider that sends the JWKS response headers and
 * then stalls. With jwks_timeout 300 ms the request is answered 503 with Retry-After (keys
 * unavailable) promptly, rather than held until the client gives up.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { makeToken, nowSec, rsaKey } from './tokens';

const key = rsaKey();
const ISS = 'https://idp.stall.example';
let env: JwtClaimsEnv;
let idp: http.Server;
let url: string;

beforeAll(async () => {
  idp = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"keys":[');
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`;
  env = await startJwtClaims();
});
afterAll(async () => {
  await env?.close();
  idp.closeAllConnections();
  await new Promise<void>((resolve) => idp.close(() => resolve()));
});

describe('jwt-claims with a stalling JWKS endpoint', () => {
  it('answers 503 within a few jwks_timeout periods', async () => {
    const path = env.route('stall', { issuers: [{ issuer: ISS, jwks_uri: url }], jwks_timeout: 300 });
    const token = makeToken('RS256', key.privateKey, { iss: ISS, sub: 'u', exp: nowSec() + 600 }, { kid: 'k1' });
    const answer = await Promise.race([
      env.request(bearer(path, token)),
      new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 5000)),
    ]);
    expect(answer, 'no answer 5 s after a 300 ms jwks_timeout').not.toBe('pending');
    if (answer === 'pending') return;
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.first('retry-after'))).toBeGreaterThan(0);
  }, 20_000);
});
