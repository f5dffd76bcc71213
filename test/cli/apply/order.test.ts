/**
 * Apply order, observed as the sequence of requests Kong receives (nock, bodies from the
 * recorded 3.4.2 exchanges): dependencies first for creates, dependents first for deletes,
 * and deletes that free a unique value before the create or rename that takes it.
 */
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../cli/src/apply/execute';
import { buildDependencies, topologicalOrder } from '../../../cli/src/apply/graph';
import { vaultPrefixes } from '../../../cli/src/apply/vault-order';
import type { Change } from '../../../cli/src/model/plan';
import { UUID_PATH, body, client, create, entity, idsMap, remove, update } from './helpers';

const KONG = 'http://kong.test:8001';

interface Seen {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
}

let seen: Seen[];
/** `start PUT /services/…` when a request arrives, `end …` just before its answer leaves. */
let events: string[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Intercepts `method path` (regex), records its arrival and its answer, answers with the
 * fixture body (id taken from the path) after `holdMs`. Holding a prerequisite's answer gives a
 * missing ordering edge the time to show: the dependent would arrive before that answer.
 */
function intercept(method: 'put' | 'patch' | 'delete', path: RegExp, status: number, fixture?: string, holdMs = 0) {
  return nock(KONG)
    [method](path)
    .reply(async (uri, requestBody) => {
      const m = method.toUpperCase();
      seen.push({ method: m, path: uri, body: requestBody as Record<string, unknown> | undefined });
      events.push(`start ${m} ${uri}`);
      if (holdMs) await sleep(holdMs);
      events.push(`end ${m} ${uri}`);
      if (!fixture) return [status];
      const b = body(fixture);
      b.id = uri.split('/').pop();
      return [status, b];
    });
}

/** The request matching `first` was answered before the one matching `then` arrived. */
function answeredBefore(first: RegExp, then: RegExp): boolean {
  const end = events.findIndex((e) => e.startsWith('end ') && first.test(e.slice(4)));
  const start = events.findIndex((e) => e.startsWith('start ') && then.test(e.slice(6)));
  if (end < 0 || start < 0) throw new Error(`missing request: ${String(first)} / ${String(then)} in ${events.join(', ')}`);
  return end < start;
}

beforeEach(() => {
  seen = [];
  events = [];
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('creates and updates run after what they reference', () => {
  it('creates a route only after its service, and sends the service as {id} of the PUT', async () => {
    const svc = entity('service', { name: 'orders', host: 'orders.internal', tags: ['team-a'] });
    const route = entity('route', { name: 'orders-api', paths: ['/orders'], tags: ['team-a'] }, { service: svc.key });
    // The route comes first in the plan: the order must come from the dependency, not the list.
    const plan = { changes: [create(route), create(svc)] };
    intercept('put', new RegExp(`^/services/${UUID_PATH}$`), 200, '057', 30);
    intercept('put', new RegExp(`^/routes/${UUID_PATH}$`), 200, '064');

    const report = await applyPlan(plan, client(KONG), { parallelism: 10, dryRun: false, currentIds: new Map(), selectTags: [] });

    expect(answeredBefore(/^PUT \/services\//, /^PUT \/routes\//)).toBe(true);
    const serviceId = seen[0].path.split('/')[2];
    expect(seen[1].body).toEqual({ name: 'orders-api', paths: ['/orders'], tags: ['team-a'], service: { id: serviceId } });
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(report.results[1].id).toBe(serviceId);
    expect(report.writes).toBe(2);
  });

  it('uses the id the file gives instead of generating one', async () => {
    const svc = entity('service', { name: 'orders', host: 'orders.internal' }, {}, { id: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f' });
    intercept('put', /^\/services\/675a0b3b-6d3a-4e1b-81d3-f2143684c19f$/, 200, '057');
    const report = await applyPlan({ changes: [create(svc)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: new Map(),
      selectTags: [],
    });
    expect(report.results[0]).toMatchObject({ status: 'done', id: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f' });
    expect(seen[0].body).toEqual({ name: 'orders', host: 'orders.internal' });
  });

  it('writes a credential under its consumer with PUT, the consumer id in the path and not in the body', async () => {
    const consumer = entity('consumer', { username: 'alice', tags: ['team-a'] });
    const cred = entity('keyauth_credential', { key: 'alice-secret-key', tags: ['team-a'] }, { consumer: consumer.key });
    intercept('put', new RegExp(`^/consumers/${UUID_PATH}$`), 200, '071', 30);
    intercept('put', new RegExp(`^/consumers/${UUID_PATH}/key-auth/${UUID_PATH}$`), 200, '074');

    const report = await applyPlan({ changes: [create(cred), create(consumer)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: new Map(),
      selectTags: ['team-a'],
    });

    expect(report.results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(answeredBefore(/^PUT \/consumers\/[^/]+$/, /key-auth/)).toBe(true);
    const consumerId = seen[0].path.split('/')[2];
    expect(seen[1].path.startsWith(`/consumers/${consumerId}/key-auth/`)).toBe(true);
    expect(seen[1].body).toEqual({ key: 'alice-secret-key', tags: ['team-a'] });
  });

  it('creates a target by POST under its upstream (PUT cannot create targets)', async () => {
    const up = entity('upstream', { name: 'orders-up' }, {}, { id: '99eca49f-9833-40b2-b13f-65b7e75e50e3' });
    const target = entity('target', { target: '10.0.0.1:8000', weight: 100 }, { upstream: up.key });
    const scope = nock(KONG)
      .post('/upstreams/99eca49f-9833-40b2-b13f-65b7e75e50e3/targets', (b: Record<string, unknown>) => b.target === '10.0.0.1:8000' && typeof b.id === 'string')
      .reply(201, body('098'));
    const report = await applyPlan({ changes: [create(target)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([up]),
      selectTags: [],
    });
    expect(report.results[0].status).toBe('done');
    expect(scope.isDone()).toBe(true);
  });

  it('PATCHes only the changed top-level fields; a change in config.minute sends the whole config', async () => {
    const svc = entity('service', { name: 'orders' }, {}, { id: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f' });
    const before = entity(
      'plugin',
      { name: 'rate-limiting', config: { minute: 10, policy: 'local' }, enabled: true },
      { service: svc.key, route: null, consumer: null },
      { id: '1f0e1c0a-0000-4000-8000-000000000001' },
    );
    const after = entity('plugin', { name: 'rate-limiting', config: { minute: 20, policy: 'local' }, enabled: true }, { service: svc.key, route: null, consumer: null });
    intercept('patch', /^\/plugins\/1f0e1c0a-0000-4000-8000-000000000001$/, 200, '085');
    const report = await applyPlan({ changes: [update(before, after, ['config.minute'])] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([svc, before]),
      selectTags: [],
    });
    expect(report.results[0].status).toBe('done');
    expect(seen[0].body).toEqual({ config: { minute: 20, policy: 'local' } });
  });
});

describe('deletes run after what references them', () => {
  it('deletes a service only after its routes and plugins', async () => {
    const svc = entity('service', { name: 'inventory' }, {}, { id: '290c6693-25c1-450b-b939-eb1468f55cc3' });
    const route = entity('route', { name: 'inventory-api' }, { service: svc.key }, { id: 'a709b6a1-f146-4c8b-afe6-d55f3f996641' });
    const plugin = entity('plugin', { name: 'key-auth' }, { service: svc.key, route: null, consumer: null }, { id: '535c236c-d898-4598-afb7-ca52b3b95a28' });
    intercept('delete', /^\/routes\//, 204, undefined, 20);
    intercept('delete', /^\/plugins\//, 204, undefined, 20);
    intercept('delete', /^\/services\//, 204);

    const report = await applyPlan({ changes: [remove(svc), remove(route), remove(plugin)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([svc, route, plugin]),
      selectTags: [],
    });

    expect(report.results.every((r) => r.status === 'done')).toBe(true);
    expect(answeredBefore(/^DELETE \/routes\//, /^DELETE \/services\//)).toBe(true);
    expect(answeredBefore(/^DELETE \/plugins\//, /^DELETE \/services\//)).toBe(true);
  });

  it('deletes a credential under its consumer and before the consumer; a 404 from the nested route counts as gone', async () => {
    const consumer = entity('consumer', { username: 'bob' }, {}, { id: '273afe00-483b-4cf8-8c62-bb953b5b81bf' });
    const cred = entity('keyauth_credential', { key: 'bob-key' }, { consumer: consumer.key }, { id: '9e28efaa-4c05-427a-ad48-a0ac64ed53c5' });
    nock(KONG)
      .delete('/consumers/273afe00-483b-4cf8-8c62-bb953b5b81bf/key-auth/9e28efaa-4c05-427a-ad48-a0ac64ed53c5')
      .reply(async (uri) => {
        seen.push({ method: 'DELETE', path: uri, body: undefined });
        events.push(`start DELETE ${uri}`);
        await sleep(20);
        events.push(`end DELETE ${uri}`);
        return [404, body('062')];
      });
    intercept('delete', /^\/consumers\/273afe00-483b-4cf8-8c62-bb953b5b81bf$/, 204);
    const report = await applyPlan({ changes: [remove(consumer), remove(cred)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([consumer, cred]),
      selectTags: [],
    });
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(answeredBefore(/key-auth/, /^DELETE \/consumers\/[^/]+$/)).toBe(true);
  });
});

describe('a delete that frees a unique value runs before the change that takes it', () => {
  it('renames a service without id: new service, route moved onto it, then the old service deleted', async () => {
    const old = entity('service', { name: 'orders', host: 'orders.internal' }, {}, { id: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f' });
    const renamed = entity('service', { name: 'orders-v2', host: 'orders.internal' });
    const routeNow = entity('route', { name: 'orders-api', paths: ['/orders'] }, { service: old.key }, { id: 'a709b6a1-f146-4c8b-afe6-d55f3f996641' });
    const routeThen = entity('route', { name: 'orders-api', paths: ['/orders'] }, { service: renamed.key });
    // Plugin identity follows its scope: moving it with the service is a delete and a create.
    const pluginNow = entity('plugin', { name: 'key-auth', instance_name: 'orders-auth' }, { service: old.key, route: null, consumer: null }, { id: '535c236c-d898-4598-afb7-ca52b3b95a28' });
    const pluginThen = entity('plugin', { name: 'key-auth', instance_name: 'orders-auth' }, { service: renamed.key, route: null, consumer: null });
    const changes: Change[] = [remove(old), remove(pluginNow), update(routeNow, routeThen, ['service']), create(renamed), create(pluginThen)];
    intercept('put', new RegExp(`^/services/${UUID_PATH}$`), 200, '057', 20);
    intercept('patch', /^\/routes\/a709b6a1-f146-4c8b-afe6-d55f3f996641$/, 200, '064', 20);
    intercept('delete', /^\/plugins\/535c236c-d898-4598-afb7-ca52b3b95a28$/, 204, undefined, 20);
    intercept('put', new RegExp(`^/plugins/${UUID_PATH}$`), 200, '092');
    intercept('delete', /^\/services\/675a0b3b-6d3a-4e1b-81d3-f2143684c19f$/, 204);

    const report = await applyPlan({ changes }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([old, routeNow, pluginNow]),
      selectTags: [],
    });

    expect(report.results.every((r) => r.status === 'done')).toBe(true);
    const newServiceId = seen.find((x) => x.method === 'PUT' && x.path.startsWith('/services/'))!.path.split('/')[2];
    // The route moves onto the new service, then the old one can go.
    expect(answeredBefore(/^PUT \/services\//, /^PATCH \/routes\//)).toBe(true);
    expect(seen.find((x) => x.method === 'PATCH')!.body).toEqual({ service: { id: newServiceId } });
    expect(answeredBefore(/^PATCH \/routes\//, /^DELETE \/services\//)).toBe(true);
    // The old plugin holds instance_name orders-auth: it goes before the new one takes it,
    // and before its service.
    expect(answeredBefore(/^DELETE \/plugins\//, /^PUT \/plugins\//)).toBe(true);
    expect(answeredBefore(/^DELETE \/plugins\//, /^DELETE \/services\//)).toBe(true);
    expect(seen.find((x) => x.method === 'PUT' && x.path.startsWith('/plugins/'))!.body).toMatchObject({ service: { id: newServiceId } });
  });

  it('deletes the consumer holding a custom_id before creating the consumer that reuses it', async () => {
    const alice = entity('consumer', { username: 'alice', custom_id: 'cust-1' }, {}, { id: '273afe00-483b-4cf8-8c62-bb953b5b81bf' });
    const bob = entity('consumer', { username: 'bob', custom_id: 'cust-1' });
    intercept('delete', /^\/consumers\//, 204, undefined, 20);
    intercept('put', /^\/consumers\//, 200, '071');
    const report = await applyPlan({ changes: [create(bob), remove(alice)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([alice]),
      selectTags: [],
    });
    expect(report.results.every((r) => r.status === 'done')).toBe(true);
    expect(answeredBefore(/^DELETE \/consumers\//, /^PUT \/consumers\//)).toBe(true);
  });

  it('moves a key-auth key to another consumer: the old credential goes before the key is written again', async () => {
    const alice = entity('consumer', { username: 'alice' }, {}, { id: '273afe00-483b-4cf8-8c62-bb953b5b81bf' });
    const bob = entity('consumer', { username: 'bob' });
    const credNow = entity('keyauth_credential', { key: 'shared-key' }, { consumer: alice.key }, { id: '9e28efaa-4c05-427a-ad48-a0ac64ed53c5' });
    // Same key, other consumer: the identity is the key, but a differ may also plan it as
    // delete + create; either way no 409.
    const credThen = { ...entity('keyauth_credential', { key: 'shared-key' }, { consumer: bob.key }), key: 'keyauth_credential:shared-key#bob' };
    intercept('delete', /^\/consumers\/273afe00-483b-4cf8-8c62-bb953b5b81bf\/key-auth\//, 204, undefined, 20);
    intercept('put', new RegExp(`^/consumers/${UUID_PATH}$`), 200, '072');
    intercept('put', new RegExp(`^/consumers/${UUID_PATH}/key-auth/${UUID_PATH}$`), 200, '074');
    const report = await applyPlan({ changes: [create(bob), create(credThen), remove(credNow)] }, client(KONG), {
      parallelism: 10,
      dryRun: false,
      currentIds: idsMap([alice, credNow]),
      selectTags: [],
    });
    expect(report.results.every((r) => r.status === 'done')).toBe(true);
    expect(answeredBefore(/^DELETE .*key-auth/, /^PUT .*key-auth/)).toBe(true);
  });

  it('recreates an entity in the order delete, then create (same key: an immutable field changed)', () => {
    const live = entity('upstream', { name: 'orders-up', slots: 100 }, {}, { id: '99eca49f-9833-40b2-b13f-65b7e75e50e3' });
    const wanted = entity('upstream', { name: 'orders-up', slots: 200 });
    const target = entity('target', { target: '10.0.0.1:8000' }, { upstream: wanted.key });
    const changes = [create(target), create(wanted), remove(live)];
    const graph = buildDependencies(changes);
    expect(graph.deps).toEqual([[1], [2], []]);
    // the create waits for this delete: it cannot also wait for the writes
    expect(graph.afterWrites).toEqual([]);
    expect(topologicalOrder(graph)).toEqual([2, 1, 0]);
  });

  it('creates a replaced entity again only after its delete (same id: diff/replacements.ts), and exempts that delete from waiting for the writes', () => {
    const id = '3a0e0000-0000-4000-8000-0000000000c0';
    const live = entity('plugin', { name: 'cors' }, { service: 'service:a', route: null, consumer: null }, { id });
    const again = entity('plugin', { name: 'cors' }, { service: 'service:b', route: null, consumer: null }, { id });
    const changes = [create(again), remove(live)];
    const graph = buildDependencies(changes);
    expect(graph.deps).toEqual([[1], []]);
    expect(graph.afterWrites).toEqual([]);
  });

  it('orders a value unique within a parent by the parent\'s Kong id: a consumer renamed under its id keeps its ACL group', () => {
    // carol becomes alice (same id); the files give her ACL group a new id, so the plan deletes
    // the live one (refs as read: consumer:carol) and creates one under consumer:alice. By keys
    // the two hold different values; to Kong both are {carol's id, gold}: delete first.
    const carol = entity('consumer', { username: 'carol' }, {}, { id: '8a0e0000-0000-4000-8000-00000000000b' });
    const alice = entity('consumer', { username: 'alice' }, {}, { id: carol.id });
    const gold = entity('acl', { group: 'gold' }, { consumer: carol.key }, { id: '2c0e0000-0000-4000-8000-000000000000' });
    const again = entity('acl', { group: 'gold' }, { consumer: alice.key }, { id: '2c0e0000-0000-4000-8000-000000000001' });
    const changes = [update(carol, alice, ['username']), create(again), remove(gold)];
    expect(buildDependencies(changes).deps[1]).toEqual([]);
    const graph = buildDependencies(changes, { currentIds: idsMap([carol, gold]) });
    expect(graph.deps[1]).toEqual([2]);
    expect(topologicalOrder(graph).indexOf(2)).toBeLessThan(topologicalOrder(graph).indexOf(1));
  });

  it('holds every other delete until the creates and updates are done, its own removal order kept', () => {
    const svc = entity('service', { name: 'legacy' }, {}, { id: '00000000-0000-4000-8000-0000000000a1' });
    const route = entity('route', { name: 'legacy-api', paths: ['/legacy'] }, { service: svc.key }, { id: '00000000-0000-4000-8000-0000000000a2' });
    const auth = entity('plugin', { name: 'key-auth' }, { service: svc.key, route: null, consumer: null }, { id: '00000000-0000-4000-8000-0000000000a3' });
    const global = entity('plugin', { name: 'key-auth' }, { service: null, route: null, consumer: null });
    const next = entity('service', { name: 'next' });
    const changes = [remove(svc), remove(route), remove(auth), create(global), create(next)];
    const graph = buildDependencies(changes);
    expect([...graph.afterWrites].sort()).toEqual([0, 1, 2]);
    const order = topologicalOrder(graph);
    expect(order.slice(0, 2).sort()).toEqual([3, 4]);
    expect(order.indexOf(0)).toBeGreaterThan(Math.max(order.indexOf(1), order.indexOf(2)));
  });

  it('cannot order a swap of two names and says so by leaving the edge out instead of deadlocking', () => {
    const a = entity('service', { name: 'a' }, {}, { id: '00000000-0000-4000-8000-00000000000a' });
    const b = entity('service', { name: 'b' }, {}, { id: '00000000-0000-4000-8000-00000000000b' });
    const aToB = update(a, { ...a, fields: { name: 'b' } }, ['name']);
    const bToA = update(b, { ...b, fields: { name: 'a' } }, ['name']);
    const graph = buildDependencies([aToB, bToA]);
    expect(graph.droppedEdges).toBe(1);
    expect(topologicalOrder(graph)).toHaveLength(2);
  });
});

describe('vault references order the writes although no foreign key names the vault', () => {
  const G = '00000000-0000-4000-8000-0000000000';
  const plugin = (config: Record<string, unknown>, id?: string) =>
    entity('plugin', { name: 'rate-limiting', config }, { service: null, route: null, consumer: null }, id ? { id } : {});

  it('a plugin naming a vault waits for its create or update; one naming none, or another vault, does not', () => {
    const vault = entity('vault', { name: 'env', prefix: 'app-env', config: { prefix: 'APP_' } });
    const other = entity('vault', { name: 'env', prefix: 'other-env' });
    const naming = plugin({ minute: 1, policy: 'redis', redis_password: '{vault://app-env/redis-password}' });
    const plain = entity('plugin', { name: 'cors', config: { origins: ['*'] } }, { service: null, route: null, consumer: null });
    const changes = [create(naming), create(plain), create(vault), create(other)];
    expect(buildDependencies(changes).deps).toEqual([[2], [], [], []]);

    const live = entity('vault', { name: 'env', prefix: 'app-env', config: { prefix: 'OLD_' } }, {}, { id: `${G}01` });
    const updated = update(live, vault, ['config']);
    expect(buildDependencies([create(naming), updated]).deps).toEqual([[1], []]);
  });

  it("a vault's delete waits for the changes that stop naming it, not for those that still do", () => {
    const live = entity('vault', { name: 'env', prefix: 'app-env' }, {}, { id: `${G}01` });
    const namingLive = plugin({ redis_password: '{vault://app-env/pw}' }, `${G}02`);
    const dropped = remove(namingLive);
    const moved = update(namingLive, plugin({ redis_password: 'literal' }), ['config']);
    const kept = update(namingLive, plugin({ redis_password: '{vault://app-env/pw}', minute: 2 }), ['config']);
    expect(buildDependencies([remove(live), dropped]).deps).toEqual([[1], []]);
    expect(buildDependencies([remove(live), moved]).deps).toEqual([[1], []]);
    expect(buildDependencies([remove(live), kept]).deps).toEqual([[], []]);
  });

  it('reads references anywhere in a value: nested records, lists, several in one string, with a key and a query', () => {
    expect([...vaultPrefixes({ a: ['x', { b: '{vault://one/k/field} and {vault://two-x/k?version=2}' }], c: 1, d: null })]).toEqual(['one', 'two-x']);
    expect([...vaultPrefixes('vault://not-a-reference/x')]).toEqual([]);
  });
});
