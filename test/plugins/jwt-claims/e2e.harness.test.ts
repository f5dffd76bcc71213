/**
 * End to end over real HTTP: a client talks to the harness's Kong front, jwt-claims runs in the
 * real plugin server, and a real upstream server records what it receives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongHttpFront, httpUpstream } from '../../harness';
import { startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { makeToken, nowSec, rsaKey } from './tokens';

const key = rsaKey();
const ISS = 'https://idp.example';

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
}

let env: JwtClaimsEnv;
let front: KongHttpFront;
let base: string;
let upstream: http.Server;
const received: Received[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  env = await startJwtClaims({ upstream: httpUpstream, servicePort: port, kongVersion: '3.4.2' });
  env.route('api', {
    issuers: [{ issuer: ISS, public_keys: [key.pem] }],
    realm: 'api',
    hide_credentials: true,
    claims_to_headers: [
      { claim: 'sub', header: 'X-User-Id' },
      { claim: 'org.id', header: 'X-Org-Id' },
    ],
  });
  front = new KongHttpFront(env.sim);
  base = await front.listen();
});
afterAll(async () => {
  await front?.close();
  await env?.close();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe('jwt-claims over HTTP', () => {
  it('refuses without a token: 401, JSON body, Bearer challenge; the upstream sees nothing', async () => {
    const before = received.length;
    const res = await get('/api/orders');
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toEqual({ message: 'Unauthorized' });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(received.length).toBe(before);
  });

  it('proxies a valid token with forwarded claims, spoofed headers replaced, token hidden', async () => {
    const token = makeToken('RS256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 300 });
    const res = await get('/api/orders?page=1', {
      Authorization: `Bearer ${token}`,
      'X-User-Id': 'mallory',
      'X-Org-Id': 'victim-org',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    const seen = received.at(-1)!;
    expect(seen.url).toBe('/orders?page=1');
    expect(seen.headers['x-user-id']).toBe('alice');
    expect(seen.headers['x-org-id']).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('refuses an expired token with invalid_token', async () => {
    const token = makeToken('RS256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() - 3600 });
    const res = await get('/api/orders', { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="Token expired"',
    );
  });
});
