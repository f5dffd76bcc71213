/**
 * What a request costs in PDK round trips (each one a unix-socket exchange with Kong), the
 * passed-marker for a later guard, and fail-closed behaviour, all through the real plugin server.
 * KongSim runs strict: an unknown PDK method would fail these tests.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accessCalls, bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, makeToken, nowSec } from './tokens';

const key = ecKey('P-256');
const ISS = 'https://idp.example';
const issuers = [{ issuer: ISS, public_keys: [key.pem] }];
const token = (extra: Record<string, unknown> = {}) => makeToken('ES256', key.privateKey, { iss: ISS, sub: 'u-1', exp: nowSec() + 600, ...extra });

let env: JwtClaimsEnv;
let mapped: string;
let bare: string;
let query: string;
let marked: string;
let markedMapped: string;

const mappings = [{ claim: 'sub', header: 'X-User-Id' }, { claim: 'org', header: 'X-Org' }];

beforeAll(async () => {
  env = await startJwtClaims();
  mapped = env.route('mapped', { issuers, claims_to_headers: mappings });
  bare = env.route('bare', { issuers });
  query = env.route('query', { issuers, query_param_names: ['jwt'] });
  marked = env.route('marked', { issuers, mark_passed: true });
  markedMapped = env.route('marked-mapped', { issuers, claims_to_headers: mappings, mark_passed: true });
});
afterAll(async () => env?.close());
afterEach(() => env.setClock(undefined));

describe('PDK round trips', () => {
  it('a cached token: getHeaders and one setHeaders — 2 calls, 3 RPC round trips', async () => {
    const t = token();
    await env.request(bearer(mapped, t)); // starts the instance and caches the token
    const res = await env.request(bearer(mapped, t, [['X-Org', 'spoofed']]));
    expect(res.status).toBe(200);
    expect(accessCalls(res)).toEqual(['kong.request.get_headers', 'kong.service.request.set_headers']);
    expect(res.roundTrips).toBe(3); // HandleEvent + one Step per call
    const setHeaders = res.calls.find((c) => c.method === 'kong.service.request.set_headers')!;
    expect(setHeaders.args).toEqual([{ 'X-User-Id': 'u-1', 'X-Org': [] }]);
    expect(res.upstreamRequest!.headers.has('x-org')).toBe(false);
  });

  it('with mark_passed (a fail-closed guard behind it): the marker is one more call, the last', async () => {
    const t = token();
    await env.request(bearer(markedMapped, t));
    const res = await env.request(bearer(markedMapped, t));
    expect(accessCalls(res)).toEqual(['kong.request.get_headers', 'kong.service.request.set_headers', 'kong.ctx.shared.set']);
    expect(res.roundTrips).toBe(4);
    expect(accessCalls(await env.request(bearer(marked, t)))).toEqual(['kong.request.get_headers', 'kong.ctx.shared.set']);
  });

  it('without claims to forward: 1 call, what a no-op plugin costs', async () => {
    const t = token();
    await env.request(bearer(bare, t));
    const res = await env.request(bearer(bare, t));
    expect(accessCalls(res)).toEqual(['kong.request.get_headers']);
    expect(res.roundTrips).toBe(2);
  });

  it('query parameters cost one more call, only when configured', async () => {
    const res = await env.request({ path: `${query}?jwt=${token()}` });
    expect(res.status).toBe(200);
    expect(accessCalls(res)).toEqual(['kong.request.get_headers', 'kong.request.get_query']);
  });

  it('a refusal: getHeaders then one exit carrying status, body and headers', async () => {
    const res = await env.request({ path: bare });
    expect(res.status).toBe(401);
    expect(accessCalls(res)).toEqual(['kong.request.get_headers', 'kong.response.exit']);
    expect(res.calls[0]!.args).toEqual([1000]);
    expect(res.calls[1]!.args).toEqual([401, { message: 'Unauthorized' }, { 'WWW-Authenticate': 'Bearer' }]);
    expect(res.roundTrips).toBe(2);
  });
});

describe('passed marker for a later guard', () => {
  it('with mark_passed, is set in kong.ctx.shared only when the request passes', async () => {
    const passed = await env.request(bearer(marked, token()));
    expect(passed.status).toBe(200);
    expect(passed.state.shared.jwt_claims_passed).toBe(true);
    const refused = await env.request(bearer(marked, 'x.y.z'));
    expect(refused.status).toBe(401);
    expect(refused.state.shared.jwt_claims_passed).toBeUndefined();
  });

  it('without mark_passed (the default), is never set', async () => {
    const passed = await env.request(bearer(bare, token()));
    expect(passed.status).toBe(200);
    expect(passed.state.shared.jwt_claims_passed).toBeUndefined();
    expect(passed.calls.map((c) => c.method)).not.toContain('kong.ctx.shared.set');
  });
});

describe('fail closed', () => {
  it('an internal error answers 500 with Kong text, logs it once, and never proxies', async () => {
    writeFileSync(env.clockFile, 'not-a-number');
    const before = env.upstream.length;
    const res = await env.request(bearer(marked, token()));
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
    expect(res.text()).not.toContain('epoch');
    expect(env.upstream.length).toBe(before);
    expect(res.state.shared.jwt_claims_passed).toBeUndefined();
    const logged = res.kongLog.filter((l) => l.message.includes('[jwt-claims] access handler failed'));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('err');
    expect(logged[0]!.message).toContain('does not hold epoch seconds');
  });

  it('a config Kong accepts but the plugin cannot use answers 500 and logs the problem', async () => {
    const broken = env.route('broken', { issuers, claim_rules: [{ path: 'x', regex: '(' }], claims_to_headers: [{ claim: 'sub', header: 'Host' }] });
    const res = await env.request(bearer(broken, token()));
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
    expect(res.upstreamRequest).toBeUndefined();
    const line = res.kongLog.find((l) => l.message.includes('invalid configuration'));
    expect(line?.message).toContain('claim_rules[0].regex: not a valid regular expression');
    expect(line?.message).toContain('claims_to_headers[0].header: "Host" cannot carry a claim');
  });
});
