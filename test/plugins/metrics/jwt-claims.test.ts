/**
 * jwt-claims' metrics, scraped from the plugin server Kong would run (with --metrics-port) while
 * KongSim sends requests configured as in jwt-claims' own harness tests: rejections by reason,
 * accepted requests, JWKS fetches that worked and failed (a real loopback identity provider).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kongRoute, kongService, type SimRequest } from '../../harness';
import { JWT_REJECTION_REASONS } from '../../../plugins/shared/metrics';
import { bearer, echoTransport } from '../jwt-claims/harness-env';
import { makeToken, nowSec, rsaKey } from '../jwt-claims/tokens';
import { delta, type Scrape } from './scrape';
import { startMetricsNode, type MetricsNode } from './env';

const key = rsaKey();
const otherKey = rsaKey();
const ISS = 'https://idp.example';
const REJECTIONS = 'kong_js_jwt_claims_rejections_total';
const REFRESHES = 'kong_js_jwt_claims_jwks_refreshes_total';

/** A JWKS endpoint answering `status` (200: the key set). */
async function idp(status: number): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(status === 200 ? JSON.stringify({ keys: [key.jwk({ kid: 'k1', alg: 'RS256' })] }) : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let node: MetricsNode;
let good: Awaited<ReturnType<typeof idp>>;
let dead: Awaited<ReturnType<typeof idp>>;
const routes: Record<string, string> = {};

beforeAll(async () => {
  [good, dead] = await Promise.all([idp(200), idp(503)]);
  node = await startMetricsNode({ plugin: 'jwt-claims', sim: { upstream: echoTransport([]) } });
  const service = node.sim.addService(kongService({ name: 'api', host: '127.0.0.1', port: 9 }));
  const route = (name: string, config: Record<string, unknown>) => {
    const r = node.sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } }));
    node.sim.addPlugin({ name: 'jwt-claims', route: r.id, config });
    routes[name] = `/${name}`;
  };
  route('pem', { issuers: [{ issuer: ISS, public_keys: [key.pem] }], realm: 'api' });
  route('jwks', { issuers: [{ issuer: ISS, jwks_uri: good.url }] });
  route('dead', { issuers: [{ issuer: ISS, jwks_uri: dead.url }], jwks_refresh_cooldown: 3600 });
});

afterAll(async () => {
  await node?.close();
  await Promise.all([good?.close(), dead?.close()]);
});

const token = (claims: Record<string, unknown> = {}, signer = key.privateKey, header: Record<string, unknown> = {}) =>
  makeToken('RS256', signer, { iss: ISS, sub: 'alice', exp: nowSec() + 300, ...claims }, header);

describe('jwt-claims metrics', () => {
  it('exposes every rejection reason and both JWKS outcomes from the start, at 0', async () => {
    const s = await node.scrape();
    expect(s.series(REJECTIONS).map((x) => x.labels.reason).sort()).toEqual([...JWT_REJECTION_REASONS].sort());
    for (const reason of JWT_REJECTION_REASONS) expect(s.value(REJECTIONS, { reason })).toBe(0);
    expect(s.value(REFRESHES, { outcome: 'success' })).toBe(0);
    expect(s.value(REFRESHES, { outcome: 'failure' })).toBe(0);
    expect(s.value('kong_js_jwt_claims_accepted_total')).toBe(0);
    // only jwt-claims' metrics: the other plugins' are not in this process
    expect(s.declares('kong_js_webhook_verified_total')).toBe(false);
    expect(s.declares('kong_js_circuit_breaker_state')).toBe(false);
  });

  it('counts rejections by reason and accepted requests', async () => {
    const before = await node.scrape();
    const sent: Array<[SimRequest, number]> = [
      [{ method: 'GET', path: routes.pem! }, 401], // no_token
      [{ method: 'GET', path: routes.pem!, headers: [['Authorization', `Bearer ${token()}`], ['Authorization', `Bearer ${token()}`]] }, 401], // multiple_tokens
      [bearer(routes.pem!, 'not-a-jwt'), 401], // malformed
      [bearer(routes.pem!, 'not-a-jwt'), 401], // malformed
      [bearer(routes.pem!, token({ exp: nowSec() - 3600 })), 401], // expired
      [bearer(routes.pem!, token({ iss: 'https://other.example' })), 401], // unknown_issuer
      [bearer(routes.pem!, token({}, otherKey.privateKey)), 401], // signature
      [bearer(routes.pem!, token()), 200],
      [bearer(routes.pem!, token({ n: 2 })), 200],
    ];
    for (const [req, status] of sent) expect((await node.sim.request(req)).status).toBe(status);
    const after = await node.scrape();
    const counted = Object.fromEntries(JWT_REJECTION_REASONS.map((reason) => [reason, delta(after, before, REJECTIONS, { reason })]).filter(([, n]) => n !== 0));
    expect(counted).toEqual({ no_token: 1, multiple_tokens: 1, malformed: 2, expired: 1, unknown_issuer: 1, signature: 1 });
    expect(delta(after, before, 'kong_js_jwt_claims_accepted_total')).toBe(2);
    // the server's view of the same requests: 9 access events, 7 ended by kong.response.exit
    expect(delta(after, before, 'kong_js_events_total', { plugin: 'jwt-claims', phase: 'access', outcome: 'exit' })).toBe(7);
    expect(delta(after, before, 'kong_js_events_total', { plugin: 'jwt-claims', phase: 'access', outcome: 'ret' })).toBe(2);
  });

  it('counts JWKS fetches that worked and failed, and the keys_unavailable rejections', async () => {
    const before = await node.scrape();
    const kid = { kid: 'k1' };
    expect((await node.sim.request(bearer(routes.jwks!, token({}, key.privateKey, kid)))).status).toBe(200);
    expect((await node.sim.request(bearer(routes.jwks!, token({ n: 2 }, key.privateKey, kid)))).status).toBe(200);
    expect(good.hits()).toBe(1);
    // the dead provider: fetched once (then the cooldown holds), both requests refused with 503
    expect((await node.sim.request(bearer(routes.dead!, token({}, key.privateKey, kid)))).status).toBe(503);
    expect((await node.sim.request(bearer(routes.dead!, token({ n: 2 }, key.privateKey, kid)))).status).toBe(503);
    expect(dead.hits()).toBe(1);
    const after: Scrape = await node.scrape();
    expect(delta(after, before, REFRESHES, { outcome: 'success' })).toBe(1);
    expect(delta(after, before, REFRESHES, { outcome: 'failure' })).toBe(1);
    expect(delta(after, before, REJECTIONS, { reason: 'keys_unavailable' })).toBe(2);
    expect(delta(after, before, 'kong_js_jwt_claims_accepted_total')).toBe(2);
  });
});
