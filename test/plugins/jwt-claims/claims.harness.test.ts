/**
 * Acceptance through the real plugin server: where the token may come from, RFC 6750 answers,
 * claim rules (403 insufficient_scope), claims forwarded as headers that clients cannot spoof,
 * hiding the token from the upstream, preflight handling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, makeToken, nowSec } from './tokens';

const key = ecKey('P-256');
const ISS = 'https://idp.example';
const issuers = [{ issuer: ISS, public_keys: [key.pem] }];
const token = (extra: Record<string, unknown> = {}) =>
  makeToken('ES256', key.privateKey, { iss: ISS, sub: 'user-1', exp: nowSec() + 600, ...extra });

let env: JwtClaimsEnv;
let plain: string;
let sources: string;
let rules: string;
let forward: string;
let hideHeader: string;
let hideCookie: string;
let hideQuery: string;
let preflight: string;
let preflightForward: string;

beforeAll(async () => {
  env = await startJwtClaims();
  plain = env.route('plain', { issuers, realm: 'orders' });
  sources = env.route('sources', {
    issuers,
    header_names: ['authorization', 'x-api-token'],
    cookie_names: ['session_jwt'],
    query_param_names: ['access_token'],
  });
  rules = env.route('rules', {
    issuers,
    claim_rules: [
      { path: 'scope', contains: ['orders:read', 'orders:write'] },
      { path: 'tenant.tier', one_of: ['gold', 'platinum'] },
      { path: 'tenant.id', regex: '^acme-[0-9]+$' },
      { path: 'email_verified', equals: 'true' },
    ],
  });
  forward = env.route('forward', {
    issuers,
    claims_to_headers: [
      { claim: 'sub', header: 'X-User-Id' },
      { claim: 'tenant.id', header: 'X-Tenant' },
      { claim: 'roles', header: 'X-Roles' },
      { claim: 'email', header: 'X-Email' },
    ],
  });
  hideHeader = env.route('hide-header', { issuers, hide_credentials: true, claims_to_headers: [{ claim: 'sub', header: 'X-User-Id' }] });
  hideCookie = env.route('hide-cookie', { issuers, hide_credentials: true, cookie_names: ['session_jwt'], header_names: [] });
  hideQuery = env.route('hide-query', { issuers, hide_credentials: true, query_param_names: ['access_token'], header_names: [] });
  preflight = env.route('preflight', { issuers, run_on_preflight: false });
  preflightForward = env.route('preflight-forward', {
    issuers,
    run_on_preflight: false,
    claims_to_headers: [{ claim: 'sub', header: 'X-User-Id' }],
    consumer_claim: 'sub',
    consumer_optional: true,
  });
});
afterAll(async () => env?.close());

const upstreamOf = (res: SimResult) => {
  expect(res.status).toBe(200);
  return res.upstreamRequest!;
};

describe('RFC 6750 answers', () => {
  it('no token: 401 with a bare Bearer challenge and realm', async () => {
    const res = await env.request({ path: plain });
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Unauthorized' });
    expect(res.headers.first('www-authenticate')).toBe('Bearer realm="orders"');
    expect(res.upstreamRequest).toBeUndefined();
  });

  it('another Authorization scheme counts as no token', async () => {
    const res = await env.request({ path: plain, headers: [['Authorization', 'Basic dXNlcjpwYXNz']] });
    expect(res.status).toBe(401);
    expect(res.headers.first('www-authenticate')).toBe('Bearer realm="orders"');
  });

  it('the Bearer scheme is case-insensitive', async () => {
    expect((await env.request({ path: plain, headers: [['authorization', `bEaReR ${token()}`]] })).status).toBe(200);
  });

  it('garbage token: 401 invalid_token', async () => {
    const res = await env.request(bearer(plain, 'not-a-jwt'));
    expect(res.status).toBe(401);
    expect(res.headers.first('www-authenticate')).toBe(
      'Bearer realm="orders", error="invalid_token", error_description="Malformed token"',
    );
  });

  it('token_types: an access token (at+jwt) passes, an ID token of the same issuer (JWT) gets 401 invalid_token', async () => {
    const typed = env.route('typed', { issuers, token_types: ['at+jwt'] });
    const access = makeToken('ES256', key.privateKey, { iss: ISS, sub: 'user-1', exp: nowSec() + 600 }, { typ: 'at+jwt' });
    expect((await env.request(bearer(typed, access))).status).toBe(200);
    const res = await env.request(bearer(typed, token()));
    expect(res.status).toBe(401);
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.headers.first('www-authenticate')).toBe('Bearer error="invalid_token", error_description="Token type not accepted"');
  });
});

describe('token sources', () => {
  it.each([
    ['custom header, bare', { headers: [['X-Api-Token', '{t}']] }],
    ['cookie', { headers: [['Cookie', 'theme=dark; session_jwt={t}']] }],
    ['query parameter', { query: 'access_token={t}' }],
  ])('accepts a token from a %s', async (_, where) => {
    const t = token();
    const headers = ((where as { headers?: string[][] }).headers ?? []).map(([k, v]) => [k, v!.replace('{t}', t)] as [string, string]);
    const q = (where as { query?: string }).query?.replace('{t}', t);
    const res = await env.request({ path: q ? `${sources}?${q}` : sources, headers });
    expect(res.status).toBe(200);
  });

  it.each([
    ['header and cookie', (t: string) => ({ path: sources, headers: [['Authorization', `Bearer ${t}`], ['Cookie', `session_jwt=${t}`]] })],
    ['header and query', (t: string) => ({ path: `${sources}?access_token=${t}`, headers: [['Authorization', `Bearer ${t}`]] })],
    ['two Authorization headers', (t: string) => ({ path: sources, headers: [['Authorization', `Bearer ${t}`], ['Authorization', `Bearer ${t}`]] })],
    ['the query parameter twice', (t: string) => ({ path: `${sources}?access_token=${t}&access_token=${t}` })],
    // Kong hands the plugin a bare flag as `[]` (fix_mmap): still a second, empty, token
    ['header and a bare query flag', (t: string) => ({ path: `${sources}?access_token`, headers: [['Authorization', `Bearer ${t}`]] })],
  ])('refuses a token sent twice (%s): 401 invalid_request', async (_, build) => {
    const res = await env.request(build(token()) as never);
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Multiple tokens provided' });
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.headers.first('www-authenticate')).toBe(
      'Bearer error="invalid_request", error_description="Multiple tokens provided"',
    );
  });
});

describe('requests larger than Kong lets a plugin read', () => {
  it('refuses 1000+ headers (a second token could hide beyond them): 400 invalid_request', async () => {
    const junk = Array.from({ length: 1000 }, (_, i) => [`x-junk-${i}`, 'v'] as [string, string]);
    const res = await env.request({ path: sources, headers: [['Authorization', `Bearer ${token()}`], ...junk, ['Authorization', 'Bearer hidden']] });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: 'Too many headers or query parameters' });
    expect(res.headers.first('www-authenticate')).toBe(
      'Bearer error="invalid_request", error_description="Too many headers or query parameters"',
    );
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.calls[0]!.args).toEqual([1000]);
  });

  it('refuses 1000+ query arguments when tokens may come from the query', async () => {
    const args = Array.from({ length: 1000 }, (_, i) => `a${i}=1`).join('&');
    const res = await env.request({ path: `${sources}?${args}&access_token=x`, headers: [['Authorization', `Bearer ${token()}`]] });
    expect(res.status).toBe(400);
  });

  it('still reads a request with many (but fewer than 1000) headers', async () => {
    const junk = Array.from({ length: 900 }, (_, i) => [`x-junk-${i}`, 'v'] as [string, string]);
    expect((await env.request({ path: sources, headers: [...junk, ['Authorization', `Bearer ${token()}`]] })).status).toBe(200);
  });
});

describe('claim rules', () => {
  const good = {
    scope: 'profile orders:write orders:read',
    tenant: { id: 'acme-42', tier: 'gold' },
    email_verified: true,
  };

  it('passes when every rule holds', async () => {
    expect((await env.request(bearer(rules, token(good)))).status).toBe(200);
  });

  it.each([
    ['scope', { scope: 'orders:read' }],
    ['tenant.tier', { tenant: { id: 'acme-42', tier: 'silver' } }],
    ['tenant.id', { tenant: { id: 'acme-x', tier: 'gold' } }],
    ['email_verified', { email_verified: false }],
    ['email_verified', { email_verified: undefined }],
  ])('403 insufficient_scope when %s fails', async (path, change) => {
    const res = await env.request(bearer(rules, token({ ...good, ...change })));
    expect(res.status).toBe(403);
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.json()).toEqual({ message: `Claim ${path} does not satisfy the required rule` });
    expect(res.headers.first('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="Claim ${path} does not satisfy the required rule"`,
    );
  });

  it('an array claim satisfies contains', async () => {
    expect((await env.request(bearer(rules, token({ ...good, scope: ['orders:read', 'orders:write'] })))).status).toBe(200);
  });
});

describe('claims forwarded as headers', () => {
  it('sets every mapped claim and replaces client-sent copies', async () => {
    const res = await env.request(
      bearer(forward, token({ tenant: { id: 'acme' }, roles: ['admin', 'ops'] }), [
        ['X-User-Id', 'spoofed-admin'],
        ['x-user-id', 'second-copy'],
        ['X-Tenant', 'other-tenant'],
        ['X-Unrelated', 'kept'],
      ]),
    );
    const up = upstreamOf(res);
    expect(up.headers.values('x-user-id')).toEqual(['user-1']);
    expect(up.headers.values('x-tenant')).toEqual(['acme']);
    expect(up.headers.values('x-roles')).toEqual(['["admin","ops"]']);
    expect(up.headers.values('x-unrelated')).toEqual(['kept']);
  });

  it('removes client-sent headers for claims the token lacks', async () => {
    const res = await env.request(bearer(forward, token(), [['X-Email', 'ceo@example.com'], ['X-Tenant', 'acme']]));
    const up = upstreamOf(res);
    expect(up.headers.has('x-email')).toBe(false);
    expect(up.headers.has('x-tenant')).toBe(false);
    expect(up.headers.values('x-user-id')).toEqual(['user-1']);
  });

  it('drops control characters from claim values', async () => {
    const res = await env.request(bearer(forward, token({ email: 'a@b.c\r\nX-Injected: yes' })));
    expect(upstreamOf(res).headers.values('x-email')).toEqual(['a@b.cX-Injected: yes']);
  });

  it('keeps the token for the upstream unless hide_credentials', async () => {
    const t = token();
    expect(upstreamOf(await env.request(bearer(forward, t))).headers.values('authorization')).toEqual([`Bearer ${t}`]);
  });
});

describe('hide_credentials', () => {
  it('removes the Authorization header, in the same call that forwards claims', async () => {
    const res = await env.request(bearer(hideHeader, token(), [['X-User-Id', 'spoof']]));
    const up = upstreamOf(res);
    expect(up.headers.has('authorization')).toBe(false);
    expect(up.headers.values('x-user-id')).toEqual(['user-1']);
    expect(res.calls.filter((c) => c.method === 'kong.service.request.set_headers')).toHaveLength(1);
  });

  it('removes only the token cookie', async () => {
    const res = await env.request({ path: hideCookie, headers: [['Cookie', `theme=dark; session_jwt=${token()}; lang=fr`]] });
    expect(upstreamOf(res).headers.values('cookie')).toEqual(['theme=dark; lang=fr']);
    const alone = await env.request({ path: hideCookie, headers: [['Cookie', `session_jwt=${token()}`]] });
    expect(upstreamOf(alone).headers.has('cookie')).toBe(false);
  });

  it('removes only the token query parameter', async () => {
    const res = await env.request({ path: `${hideQuery}/items?page=2&access_token=${token()}&sort=asc` });
    const path = upstreamOf(res).path;
    expect(path).not.toContain('access_token');
    expect(path).toContain('page=2');
    expect(path).toContain('sort=asc');
  });
});

describe('run_on_preflight: false', () => {
  it('lets a CORS preflight through without a token, and nothing else', async () => {
    const pre = await env.request({
      method: 'OPTIONS',
      path: preflight,
      headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']],
    });
    expect(pre.status).toBe(200);
    expect(pre.calls.map((c) => c.method)).toEqual(['kong.request.get_headers', 'kong.request.get_method']);

    const disguised = await env.request({ method: 'GET', path: preflight, headers: [['Access-Control-Request-Method', 'POST']] });
    expect(disguised.status).toBe(401);
    expect((await env.request({ method: 'OPTIONS', path: preflight })).status).toBe(401);
  });

  it('still keeps the headers it vouches for (forwarded claims, X-Consumer-*) that the client sent from the upstream', async () => {
    const pre = await env.request({
      method: 'OPTIONS',
      path: preflightForward,
      headers: [
        ['Origin', 'https://app.example'],
        ['Access-Control-Request-Method', 'POST'],
        ['X-User-Id', 'spoofed-admin'],
        ['X-Consumer-Username', 'admin'],
        ['X-Unrelated', 'kept'],
      ],
    });
    const up = upstreamOf(pre);
    expect(up.headers.has('x-user-id')).toBe(false);
    expect(up.headers.has('x-consumer-username')).toBe(false);
    expect(up.headers.values('x-unrelated')).toEqual(['kept']);
    expect(pre.calls.map((c) => c.method)).toEqual(['kong.request.get_headers', 'kong.request.get_method', 'kong.service.request.set_headers']);
  });

  it('costs nothing more for a preflight that sends none of them', async () => {
    const pre = await env.request({
      method: 'OPTIONS',
      path: preflightForward,
      headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']],
    });
    expect(pre.status).toBe(200);
    expect(pre.calls.map((c) => c.method)).toEqual(['kong.request.get_headers', 'kong.request.get_method']);
  });
});
