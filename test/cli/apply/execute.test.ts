/**
 * Apply against Kong's recorded answers (nock): bounded concurrency, retries only for
 * idempotent writes (through the real client), partial failure with Kong's field errors mapped
 * to file:line, dry-run, the select-tag assertion, and stopping when Kong is unreachable.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../cli/src/apply/execute';
import { applyReportJson, applySucceeded, renderApplyText } from '../../../cli/src/apply/report';
import { KongCtlError } from '../../../cli/src/model/errors';
import type { Change } from '../../../cli/src/model/plan';
import { UUID_PATH, body, client, create, entity, idsMap, remove, src, update } from './helpers';

const KONG = 'http://kong.test:8001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function services(n: number): Change[] {
  return Array.from({ length: n }, (_, i) => create(entity('service', { name: `svc-${i}`, host: `svc-${i}.internal` })));
}

describe('bounded concurrency', () => {
  /**
   * Each answer is held until `parallelism` requests are in flight at once (or 2 s pass, so a
   * client that never gets there fails the equality instead of hanging). A correct limiter
   * therefore reaches exactly `parallelism`, and can never exceed it, whatever the timing.
   */
  async function maxInFlight(parallelism: number, n: number, barrier: boolean): Promise<number> {
    let inFlight = 0;
    let max = 0;
    let release: (() => void) | undefined;
    let gate = new Promise<void>((r) => (release = r));
    nock(KONG)
      .put(new RegExp(`^/services/${UUID_PATH}$`))
      .times(n)
      .reply(async (uri) => {
        inFlight++;
        max = Math.max(max, inFlight);
        if (barrier) {
          // Once the limit is reached, wait a little longer before releasing, so that a
          // request beyond the limit would have the time to arrive and be counted.
          if (inFlight === parallelism) setTimeout(release!, 30);
          await Promise.race([gate, sleep(2000)]);
        } else await sleep(5);
        inFlight--;
        if (barrier && inFlight === 0) gate = new Promise<void>((r) => (release = r));
        const b = body('057');
        b.id = uri.split('/').pop();
        return [200, b];
      });
    const report = await applyPlan({ changes: services(n) }, client(KONG), {
      parallelism,
      dryRun: false,
      currentIds: new Map(),
      selectTags: [],
    });
    expect(report.results.every((r) => r.status === 'done')).toBe(true);
    expect(report.writes).toBe(n);
    return max;
  }

  it('never has more than 1 write in flight with parallelism 1', async () => {
    expect(await maxInFlight(1, 6, false)).toBe(1);
  });

  it('has exactly 10 writes in flight with parallelism 10', async () => {
    expect(await maxInFlight(10, 20, true)).toBe(10);
  });

  it('has exactly 4 writes in flight with parallelism 4', async () => {
    expect(await maxInFlight(4, 8, true)).toBe(4);
  });
});

describe('retries happen only for idempotent writes', () => {
  it('retries a PUT create after a reset connection and a 503, creating the entity once', async () => {
    // nock cannot reset a socket; a loopback server can (as the client's own tests do).
    nock.enableNetConnect('127.0.0.1');
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      if (paths.length === 1) return req.socket.destroy();
      if (paths.length === 2) {
        res.writeHead(503, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ message: 'Service Unavailable' }));
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body('057')));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 3);
    try {
      const report = await applyPlan({ changes: services(1) }, c, { parallelism: 10, dryRun: false, currentIds: new Map(), selectTags: [] });
      expect(report.results[0].status).toBe('done');
      expect(c.stats.retries).toBe(2);
      expect(report.writes).toBe(1);
      // Every attempt went to the same id: the retried PUT replaces, it never makes a second service.
      expect(paths).toHaveLength(3);
      expect(new Set(paths).size).toBe(1);
      expect(paths[0]).toMatch(new RegExp(`^PUT /services/${UUID_PATH}$`));
    } finally {
      c.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('retries a PATCH (the same absolute values twice are harmless)', async () => {
    const c = client(KONG);
    const before = entity('service', { name: 'inventory', retries: 5 }, {}, { id: '290c6693-25c1-450b-b939-eb1468f55cc3' });
    const after = entity('service', { name: 'inventory', retries: 1 });
    nock(KONG)
      .patch('/services/290c6693-25c1-450b-b939-eb1468f55cc3', { retries: 1 })
      .reply(502, 'Bad Gateway')
      .patch('/services/290c6693-25c1-450b-b939-eb1468f55cc3', { retries: 1 })
      .reply(200, body('059'));
    const report = await applyPlan({ changes: [update(before, after, ['retries'])] }, c, {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([before]),
      selectTags: [],
    });
    expect(report.results[0].status).toBe('done');
    expect(c.stats.retries).toBe(1);
  });

  it('does not retry the POST that creates a target', async () => {
    const c = client(KONG);
    const up = entity('upstream', { name: 'orders-up' }, {}, { id: '99eca49f-9833-40b2-b13f-65b7e75e50e3' });
    const target = entity('target', { target: '10.0.0.1:8000' }, { upstream: up.key });
    // One interceptor only: a retry would find none and fail differently.
    const scope = nock(KONG).post('/upstreams/99eca49f-9833-40b2-b13f-65b7e75e50e3/targets').reply(503, { message: 'Service Unavailable' });
    const report = await applyPlan({ changes: [create(target)] }, c, {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([up]),
      selectTags: [],
    });
    expect(report.results[0]).toMatchObject({ status: 'failed', httpStatus: 503, error: 'Service Unavailable' });
    expect(c.stats.retries).toBe(0);
    expect(scope.isDone()).toBe(true);
  });
});

describe('partial failure', () => {
  const orders = entity('service', { name: 'orders', host: 'orders.internal', tags: ['team-a'] }, {}, { source: src(3, 'services[0]') });
  const ordersApi = entity('route', { name: 'orders-api', paths: ['/orders'], tags: ['team-a'] }, { service: orders.key }, { source: src(7, 'services[0].routes[0]', 9) });
  const billing = entity('service', { name: 'billing', host: 'x.internal', port: 'eighty', protocol: 'ftp', tags: ['team-a'] }, {}, { source: src(12, 'services[1]') });
  const billingApi = entity('route', { name: 'billing-api', paths: ['/billing'], tags: ['team-a'] }, { service: billing.key }, { source: src(17, 'services[1].routes[0]', 9) });
  const billingAuth = entity(
    'plugin',
    { name: 'key-auth', tags: ['team-a'] },
    { service: billing.key, route: null, consumer: null },
    { source: src(21, 'services[1].plugins[0]', 9) },
  );
  const routeCors = entity('plugin', { name: 'cors', tags: ['team-a'] }, { route: billingApi.key, service: null, consumer: null }, { source: src(19, 'services[1].routes[0].plugins[0]', 13) });
  const legacy = entity('service', { name: 'legacy' }, {}, { id: '290c6693-25c1-450b-b939-eb1468f55cc3' });

  function mockKong() {
    nock(KONG)
      .put(new RegExp(`^/services/${UUID_PATH}$`), (b: Record<string, unknown>) => b.name === 'billing')
      .reply(400, body('061'))
      .put(new RegExp(`^/services/${UUID_PATH}$`), (b: Record<string, unknown>) => b.name === 'orders')
      .delay(20)
      .reply(200, body('055'))
      .put(new RegExp(`^/routes/${UUID_PATH}$`), (b: Record<string, unknown>) => b.name === 'orders-api')
      .reply(200, body('064'))
      // A route outside this file still points at the service: Kong refuses (fixture 125).
      .delete('/services/290c6693-25c1-450b-b939-eb1468f55cc3')
      .reply(400, body('125'));
  }

  const changes = () => [create(orders), create(ordersApi), create(billing), create(billingApi), create(billingAuth), create(routeCors), remove(legacy)];

  it('reports each change as done, failed (with Kong’s field errors) or not attempted (with what blocked it)', async () => {
    mockKong();
    const report = await applyPlan({ changes: changes() }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([legacy]),
      selectTags: ['team-a'],
    });
    const byLabel = Object.fromEntries(report.results.map((r) => [`${r.change.op} ${r.change.label}`, r]));
    expect(byLabel['create service orders'].status).toBe('done');
    expect(byLabel['create route orders-api'].status).toBe('done');
    expect(byLabel['create service billing']).toMatchObject({
      status: 'failed',
      httpStatus: 400,
      error: '3 schema violations (port: expected an integer; protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp; unknown_field: unknown field)',
    });
    expect(byLabel['create service billing'].fieldErrors).toEqual([
      'unknown_field: unknown field',
      'port: expected an integer',
      'protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
    ]);
    expect(byLabel['create route billing-api']).toMatchObject({ status: 'not_attempted', blockedBy: 'create service billing' });
    expect(byLabel['create plugin key-auth (service billing)']).toMatchObject({ status: 'not_attempted', blockedBy: 'create service billing' });
    // Blocked transitively: the cors plugin waits for the route, which waits for the service.
    expect(byLabel['create plugin cors (route billing-api)']).toMatchObject({ status: 'not_attempted', blockedBy: 'create service billing' });
    // Deletes wait for every create and update: after a failed one, none is attempted.
    expect(byLabel['delete service legacy']).toMatchObject({ status: 'not_attempted', blockedBy: 'create service billing' });
    expect(report.writes).toBe(3);
    expect(applySucceeded(report)).toBe(false);
  });

  it('reports a delete Kong refuses with its field errors, once every write has succeeded', async () => {
    mockKong();
    const report = await applyPlan({ changes: [create(orders), create(ordersApi), remove(legacy)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([legacy]),
      selectTags: [],
    });
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done', 'failed']);
    expect(report.results[2]).toMatchObject({ status: 'failed', httpStatus: 400, fieldErrors: ['@referenced_by: routes'] });
    const lines = renderApplyText(report).trimEnd().split('\n');
    expect(lines).toContain(
      "error: delete service legacy failed (400): an existing 'routes' entity references this 'services' entity [DELETE /services/290c6693-25c1-450b-b939-eb1468f55cc3]",
    );
    expect(lines).toContain('    @referenced_by: routes');
    expect(lines[lines.length - 1]).toBe('Apply: 2 done, 1 failed, 0 not attempted.');
  });

  it('renders one line per failed or blocked entity with file:line, the field errors, and the summary', async () => {
    mockKong();
    const report = await applyPlan({ changes: changes() }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([legacy]),
      selectTags: [],
    });
    const text = renderApplyText(report);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^kong\.yaml:12:5: error: services\[1\]: create service billing failed \(400\): 3 schema violations \(port: expected an integer; .*\) \[PUT \/services\/[0-9a-f-]{36}\]$/);
    expect(lines.slice(1, 4)).toEqual([
      '    unknown_field: unknown field',
      '    port: expected an integer',
      '    protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
    ]);
    expect(lines).toContain('not attempted: delete service legacy: blocked by failed create service billing');
    expect(lines).toContain('kong.yaml:17:9: not attempted: services[1].routes[0]: create route billing-api: blocked by failed create service billing');
    expect(lines).toContain('kong.yaml:21:9: not attempted: services[1].plugins[0]: create plugin key-auth (service billing): blocked by failed create service billing');
    expect(lines[lines.length - 1]).toBe('Apply: 2 done, 1 failed, 4 not attempted.');

    const json = applyReportJson(report) as { format_version: number; summary: unknown; results: Array<Record<string, unknown>> };
    expect(json.format_version).toBe(1);
    expect(json.summary).toEqual({ done: 2, failed: 1, not_attempted: 4, writes: 3 });
    expect(json.results[2]).toMatchObject({
      op: 'create',
      kind: 'service',
      label: 'service billing',
      status: 'failed',
      source: { file: 'kong.yaml', line: 12, column: 5, path: 'services[1]' },
      http_status: 400,
      field_errors: ['unknown_field: unknown field', 'port: expected an integer', 'protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'],
      blocked_by: null,
    });
    expect(json.results[3]).toMatchObject({ status: 'not_attempted', blocked_by: 'create service billing', error: null });
  });

  it('reports a 409 with its fields and blocks the credential of the consumer it could not create', async () => {
    const alice = entity('consumer', { username: 'alice' }, {}, { source: src(30, 'consumers[0]') });
    const key = entity('keyauth_credential', { key: 'alice-key' }, { consumer: alice.key }, { source: src(32, 'consumers[0].keyauth_credentials[0]', 9) });
    nock(KONG).put(new RegExp(`^/consumers/${UUID_PATH}$`)).reply(409, body('073'));
    const report = await applyPlan({ changes: [create(alice), create(key)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: new Map(),
      selectTags: [],
    });
    expect(report.results[0]).toMatchObject({ status: 'failed', httpStatus: 409, error: `UNIQUE violation detected on '{username="alice"}'`, fieldErrors: ['username: alice'] });
    expect(report.results[1]).toMatchObject({ status: 'not_attempted', blockedBy: 'create consumer alice' });
  });

  it('reports a foreign key Kong no longer knows (fixture 070) on the entity that sent it', async () => {
    const gone = entity('service', { name: 'gone' }, {}, { id: '00000000-0000-4000-8000-000000000000' });
    const routeNow = entity('route', { name: 'orphan2', paths: ['/orphan2'] }, { service: null }, { id: 'a709b6a1-f146-4c8b-afe6-d55f3f996641' });
    const routeThen = entity('route', { name: 'orphan2', paths: ['/orphan2'] }, { service: gone.key }, { source: src(40, 'routes[0]') });
    nock(KONG).patch('/routes/a709b6a1-f146-4c8b-afe6-d55f3f996641', { service: { id: '00000000-0000-4000-8000-000000000000' } }).reply(400, body('070'));
    const report = await applyPlan({ changes: [update(routeNow, routeThen, ['service'])] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([gone, routeNow]),
      selectTags: [],
    });
    expect(report.results[0]).toMatchObject({ status: 'failed', fieldErrors: ['service.id: 00000000-0000-4000-8000-000000000000'] });
    expect(renderApplyText(report)).toContain('kong.yaml:40:5: error: routes[0]: update route orphan2 failed (400): the foreign key');
  });

  it('fails a change whose reference resolves to nothing, without sending it', async () => {
    const route = entity('route', { name: 'r' }, { service: 'service:nowhere' });
    const report = await applyPlan({ changes: [create(route)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: new Map(),
      selectTags: [],
    });
    expect(report.results[0]).toMatchObject({
      status: 'failed',
      error: 'service refers to service:nowhere, which neither exists in Kong nor was created by this apply',
    });
    expect(report.writes).toBe(0);
  });

  it('stops starting writes once Kong is unreachable, and says why for the rest', async () => {
    nock.enableNetConnect('127.0.0.1');
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const report = await applyPlan({ changes: services(3) }, client('http://127.0.0.1:9', 0), {
      parallelism: 1,
      dryRun: false,
      currentIds: new Map(),
      selectTags: [],
    });
    expect(report.results.map((r) => r.status)).toEqual(['failed', 'not_attempted', 'not_attempted']);
    expect(report.results[1].error).toMatch(/^not attempted: /);
    expect(report.writes).toBe(1);
  });
});

describe('dry-run and the select-tag assertion', () => {
  it('makes no request at all with --dry-run', async () => {
    // No interceptor is defined and the network is off: any request would fail the run.
    const c = client(KONG);
    const svc = entity('service', { name: 'inventory', retries: 5 }, {}, { id: '290c6693-25c1-450b-b939-eb1468f55cc3' });
    const report = await applyPlan(
      { changes: [...services(2), update(svc, { ...svc, fields: { name: 'inventory', retries: 1 } }, ['retries']), remove(svc)] },
      c,
      { parallelism: 10, dryRun: true, currentIds: idsMap([svc]), selectTags: [] },
    );
    expect(report.writes).toBe(0);
    expect(report.dryRun).toBe(true);
    expect(c.stats.requests).toBe(0);
    expect(report.results.every((r) => r.status === 'not_attempted')).toBe(true);
    expect(applySucceeded(report)).toBe(true);
    expect(renderApplyText(report)).toBe('Dry run: 4 changes planned, no writes made.\n');
  });

  it('refuses, before any write, to create an entity that lacks a select tag', async () => {
    const c = client(KONG);
    const tagged = entity('service', { name: 'a', tags: ['team-a'] });
    const untagged = entity('service', { name: 'b', tags: ['other'] }, {}, { source: src(9, 'services[1]') });
    const run = applyPlan({ changes: [create(tagged), create(untagged)] }, c, {
      parallelism: 10,
      dryRun: false,
      currentIds: new Map(),
      selectTags: ['team-a'],
    });
    await expect(run).rejects.toBeInstanceOf(KongCtlError);
    await expect(run).rejects.toMatchObject({ code: 'E_SELECT_TAGS' });
    await expect(run).rejects.toThrow('kong.yaml:9:5: error: services[1]: service b lacks select tag(s) team-a');
    expect(c.stats.requests).toBe(0);
  });

  it('reports progress once per change', async () => {
    nock(KONG).put(new RegExp(`^/services/${UUID_PATH}$`)).times(3).reply(200, body('057'));
    const seen: Array<[number, number]> = [];
    await applyPlan({ changes: services(3) }, client(KONG), {
      parallelism: 2,
      dryRun: false,
      currentIds: new Map(),
      selectTags: [],
      onProgress: (done, total) => seen.push([done, total]),
    });
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });
});
