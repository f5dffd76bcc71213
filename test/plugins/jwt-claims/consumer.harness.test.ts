/**
 * consumer_claim: the consumer a verified token names becomes Kong's authenticated consumer
 * (kong.client.authenticate), with the X-Consumer-* headers Kong's auth plugins send upstream,
 * through the real plugin server. KongSim answers kong.client.load_consumer as Kong's client.lua
 * does (by id when a UUID, then by username) and runs strict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kongConsumer } from '../../harness';
import { compileConfig } from '../../../plugins/jwt-claims/config';
import { accessCalls, bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, makeToken, nowSec } from './tokens';

const key = ecKey('P-256');
const ISS = 'https://idp.example';
const issuers = [{ issuer: ISS, public_keys: [key.pem] }];
const token = (claims: Record<string, unknown>) => makeToken('ES256', key.privateKey, { iss: ISS, exp: nowSec() + 600, ...claims });

const alice = kongConsumer({ username: 'alice', custom_id: 'crm-17' });
const bob = kongConsumer({ username: 'bob' });
const carol = kongConsumer({ username: 'carol' });
const dave = kongConsumer({ username: 'dave' });

let env: JwtClaimsEnv;
let bySub: string;
let optional: string;
let uncached: string;
let hourly: string;
let nested: string;

beforeAll(async () => {
  env = await startJwtClaims();
  for (const c of [alice, bob, carol, dave]) env.sim.addConsumer(c);
  bySub = env.route('by-sub', { issuers, consumer_claim: 'sub' });
  optional = env.route('optional', { issuers, consumer_claim: 'sub', consumer_optional: true });
  uncached = env.route('uncached', { issuers, consumer_claim: 'sub', consumer_cache_ttl: 0 });
  hourly = env.route('hourly', { issuers, consumer_claim: 'sub', consumer_cache_ttl: 3600 });
  nested = env.route('nested', { issuers, consumer_claim: 'app.owner' });
});
afterAll(async () => env?.close());

const SPOOFED: Array<[string, string]> = [
  ['X-Consumer-ID', 'spoofed-id'],
  ['X-Consumer-Username', 'root'],
  ['X-Consumer-Custom-ID', 'spoofed-custom'],
  ['X-Credential-Identifier', 'spoofed-cred'],
  ['X-Anonymous-Consumer', 'true'],
];

describe('consumer_claim', () => {
  it('authenticates the consumer whose username the claim holds, and tells the upstream as Kong does', async () => {
    const res = await env.request(bearer(bySub, token({ sub: 'alice' }), SPOOFED));
    expect(res.status).toBe(200);
    expect(res.state.consumer).toMatchObject({ id: alice.id, username: 'alice' });
    expect(res.state.credential).toMatchObject({ consumer: { id: alice.id }, consumer_id: alice.id });
    expect(String(res.state.credential!.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const seen = res.upstreamRequest!.headers;
    expect(seen.first('x-consumer-id')).toBe(alice.id);
    expect(seen.first('x-consumer-username')).toBe('alice');
    expect(seen.first('x-consumer-custom-id')).toBe('crm-17');
    expect(seen.first('x-credential-identifier')).toBe('alice');
    expect(seen.has('x-anonymous-consumer')).toBe(false);
  });

  it('takes the claim as an id when it is a UUID; a field the consumer lacks is removed, never left as sent', async () => {
    const res = await env.request(bearer(bySub, token({ sub: bob.id }), SPOOFED));
    expect(res.status).toBe(200);
    expect(res.state.consumer).toMatchObject({ id: bob.id });
    const seen = res.upstreamRequest!.headers;
    expect(seen.first('x-consumer-username')).toBe('bob');
    expect(seen.has('x-consumer-custom-id')).toBe(false);
    expect(seen.first('x-credential-identifier')).toBe(bob.id);
  });

  it('a claim naming no consumer is a 401 invalid_token, and the upstream sees nothing', async () => {
    const res = await env.request(bearer(bySub, token({ sub: 'mallory' })));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'No consumer matches claim sub' });
    expect(res.headers.first('www-authenticate')).toBe('Bearer error="invalid_token", error_description="No consumer matches claim sub"');
    expect(res.upstreamRequest).toBeUndefined();
    const missing = await env.request(bearer(bySub, token({})));
    expect(missing.status).toBe(401);
  });

  it('with consumer_optional, such a token passes without a consumer, and spoofed consumer headers are removed', async () => {
    const res = await env.request(bearer(optional, token({ sub: 'mallory' }), SPOOFED));
    expect(res.status).toBe(200);
    expect(res.state.consumer).toBeUndefined();
    expect(accessCalls(res)).not.toContain('kong.client.authenticate');
    for (const [name] of SPOOFED) expect(res.upstreamRequest!.headers.has(name)).toBe(false);
  });

  it('reads a nested claim', async () => {
    const res = await env.request(bearer(nested, token({ sub: 'x', app: { owner: 'alice' } })));
    expect(res.status).toBe(200);
    expect(res.state.consumer).toMatchObject({ id: alice.id });
  });
});

describe('consumer lookups cost', () => {
  it('one load_consumer the first time; then, remembered, authenticate and setHeaders only', async () => {
    const t = token({ sub: 'carol' });
    const first = await env.request(bearer(bySub, t));
    expect(accessCalls(first)).toEqual(['kong.request.get_headers', 'kong.client.load_consumer', 'kong.client.authenticate', 'kong.service.request.set_headers']);
    expect(first.calls.find((c) => c.method === 'kong.client.load_consumer')!.args).toEqual(['carol', true]);
    const again = await env.request(bearer(bySub, t));
    expect(accessCalls(again)).toEqual(['kong.request.get_headers', 'kong.client.authenticate', 'kong.service.request.set_headers']);
    expect(again.roundTrips).toBe(4);
    expect(again.state.consumer).toMatchObject({ id: carol.id });
  });

  it("each route judges a remembered lookup's age by its own consumer_cache_ttl", async () => {
    const t = token({ sub: 'bob' });
    const start = nowSec();
    env.setClock(start);
    try {
      expect(accessCalls(await env.request(bearer(hourly, t)))).toContain('kong.client.load_consumer');
      env.setClock(start + 120);
      // Remembered for an hour by the first route; two minutes is past this route's 60 s.
      expect(accessCalls(await env.request(bearer(bySub, t)))).toContain('kong.client.load_consumer');
      expect(accessCalls(await env.request(bearer(hourly, t)))).not.toContain('kong.client.load_consumer');
      env.setClock(start + 120 + 59);
      expect(accessCalls(await env.request(bearer(bySub, t)))).not.toContain('kong.client.load_consumer');
    } finally {
      env.setClock(undefined);
    }
  });

  it('with consumer_cache_ttl 0, Kong is asked every time', async () => {
    const t = token({ sub: 'dave' });
    for (let i = 0; i < 2; i++) {
      const res = await env.request(bearer(uncached, t));
      expect(res.status).toBe(200);
      expect(accessCalls(res)).toContain('kong.client.load_consumer');
    }
  });
});

describe('consumer_claim config', () => {
  it('refuses a claim header that would overwrite a consumer header', () => {
    const compiled = compileConfig({ issuers, consumer_claim: 'sub', claims_to_headers: [{ claim: 'sub', header: 'x-consumer-id' }] });
    expect(compiled).toEqual({ ok: false, errors: ['claims_to_headers[0].header: "x-consumer-id" is set from the consumer (consumer_claim)'] });
    expect(compileConfig({ issuers, claims_to_headers: [{ claim: 'sub', header: 'x-consumer-id' }] }).ok).toBe(true);
  });
});
