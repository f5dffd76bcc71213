/**
 * A JWKS served over HTTPS with a certificate from a private CA (an in-house IdP). Kong's
 * `lua_ssl_trusted_certificate` does not reach the Node plugin server: it trusts Node's bundled
 * CAs plus the PEM file in NODE_EXTRA_CA_CERTS, read once when the process starts, so Kong's
 * start_cmd is where it is set (README "Trusting a private CA"). With it, tokens verify; without
 * it the certificate is refused, the fetch fails and the request is refused, never let through.
 */
import https from 'node:https';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCertificates, type TestCertificates } from '../../support/redis-tls';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { makeToken, nowSec, rsaKey } from './tokens';

const ISS = 'https://idp.internal.example/';
const key = rsaKey();

let certs: TestCertificates;
let idp: https.Server;
let jwksUri = '';
let fetches = 0;
let trusting: JwtClaimsEnv;
let untrusting: JwtClaimsEnv;

beforeAll(async () => {
  // The IdP is dialled by address: its certificate names 127.0.0.1 (and nothing else).
  certs = makeTestCertificates(['IP:127.0.0.1']);
  idp = https.createServer({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) }, (_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys: [key.jwk({ kid: 'k1', use: 'sig', alg: 'RS256' })] }));
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  jwksUri = `https://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks`;
  [trusting, untrusting] = await Promise.all([startJwtClaims({ serverEnv: { NODE_EXTRA_CA_CERTS: certs.ca } }), startJwtClaims()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([trusting?.close(), untrusting?.close()]);
  idp?.closeAllConnections();
  await new Promise<void>((resolve) => (idp ? idp.close(() => resolve()) : resolve()));
  certs?.remove();
});

const token = () => makeToken('RS256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 600 }, { kid: 'k1' });
const config = () => ({ issuers: [{ issuer: ISS, jwks_uri: jwksUri }] });

describe('a JWKS over HTTPS from a private CA', () => {
  it('verifies tokens when the plugin server trusts the CA through NODE_EXTRA_CA_CERTS', async () => {
    const before = fetches;
    const res = await trusting.request(bearer(trusting.route('trusted', config()), token()));
    expect(res.status).toBe(200);
    expect(res.upstreamRequest).toBeDefined();
    expect(fetches).toBeGreaterThan(before);
  });

  it('refuses the certificate otherwise: the fetch fails, the request is refused and logged, nothing reaches the upstream', async () => {
    const res = await untrusting.request(bearer(untrusting.route('untrusted', config()), token()));
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.status).toBe(503);
    const warned = res.kongLog.filter((l) => l.plugin === 'jwt-claims' && /signing keys unavailable/.test(l.message));
    expect(warned.map((l) => l.message).join('\n')).toMatch(/certificate|UNABLE_TO_VERIFY|self.signed/i);
  });
});
