/**
 * Apply order with `_info.fail_closed_guard` (graph.ts family 4, fail-closed-order.ts): a guard
 * goes live only once the security plugins it checks mark requests, and goes away before they
 * stop; no cycle whatever else the plan does; and Kong sees the writes in that order.
 */
import fc from 'fast-check';
import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../../cli/src/apply/execute';
import { routeServicesOf } from '../../../cli/src/apply/fail-closed-order';
import { buildDependencies, topologicalOrder, type DependencyGraph } from '../../../cli/src/apply/graph';
import { buildCurrentState, type RawKongState } from '../../../cli/src/current/fetch';
import { isFailClosedGuard, marksPassed, renderGuardLua } from '../../../cli/src/desired/guard';
import { loadDesired } from '../../../cli/src/desired/load';
import { computePlan } from '../../../cli/src/diff/compute';
import type { Entity } from '../../../cli/src/model/entity';
import type { Change } from '../../../cli/src/model/plan';
import { kong342SchemasWithJwtClaims } from '../diff/helpers';
import { ORDERS_IDS, ordersJwtFile, ordersJwtLive } from '../diff/orders-jwt';
import { UUID_PATH, client, create, entity, idsMap, remove, update } from './helpers';

const KONG = 'http://kong.test:8001';
const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const s1 = entity('service', { name: 's1' }, {}, { id: ID(1) });
const s2 = entity('service', { name: 's2' }, {}, { id: ID(2) });
const r1 = entity('route', { name: 'r1' }, { service: s1.key }, { id: ID(11) });
const r2 = entity('route', { name: 'r2' }, { service: s1.key }, { id: ID(12) });
const r3 = entity('route', { name: 'r3' }, { service: s2.key }, { id: ID(13) });
const ROUTES = routeServicesOf({ entities: [s1, s2, r1, r2, r3] });

type Where = { service?: Entity; route?: Entity };
const refs = (w: Where) => ({ service: w.service?.key ?? null, route: w.route?.key ?? null, consumer: null });

function jwt(w: Where, markPassed: boolean, extra: Record<string, unknown> = {}, id?: string): Entity {
  return entity('plugin', { name: 'jwt-claims', enabled: true, config: { issuers: [], mark_passed: markPassed }, ...extra }, refs(w), id ? { id } : {});
}
function webhook(w: Where, markPassed: boolean, id?: string): Entity {
  return entity('plugin', { name: 'webhook-signature', enabled: true, config: { scheme: 'stripe', mark_passed: markPassed } }, refs(w), id ? { id } : {});
}
function guard(w: Where, names: string[], id?: string): Entity {
  const access = [renderGuardLua(names.map((name) => ({ name })))];
  return entity('plugin', { name: 'post-function', enabled: true, config: { access } }, refs(w), id ? { id } : {});
}

/** The changes `waiter` waits for, in plan order. */
const waits = (g: DependencyGraph, changes: Change[], waiter: Change) =>
  [...g.deps[changes.indexOf(waiter)]].sort((a, b) => a - b).map((j) => changes[j]);

/** Every change is scheduled (no cycle), each after all it waits for. */
function expectSchedulable(g: DependencyGraph): number[] {
  const order = topologicalOrder(g);
  expect(order).toHaveLength(g.deps.length);
  const at = new Map(order.map((x, pos) => [x, pos]));
  g.deps.forEach((d, i) => d.forEach((j) => expect(at.get(j)).toBeLessThan(at.get(i) as number)));
  return order;
}

describe('the guard and the markers it checks', () => {
  it('recognises its own guards only, by their first line, desired or as Kong returns them', () => {
    const g = guard({ route: r1 }, ['jwt-claims']);
    expect(isFailClosedGuard(g.fields)).toBe(true);
    // Kong returns every phase of post-function's config (fixture 039): still the guard.
    expect(isFailClosedGuard({ ...g.fields, config: { ...(g.fields.config as object), header_filter: [], log: [] } })).toBe(true);
    expect(isFailClosedGuard({ name: 'post-function', config: { access: ['kong.log.notice(1)'] } })).toBe(false);
    expect(isFailClosedGuard({ name: 'post-function', config: { access: ['x\n' + renderGuardLua([{ name: 'jwt-claims' }])] } })).toBe(false);
    expect(isFailClosedGuard({ name: 'pre-function', config: g.fields.config })).toBe(false);
    expect(isFailClosedGuard({ name: 'post-function', config: { access: [] } })).toBe(false);
    expect(isFailClosedGuard({ name: 'post-function' })).toBe(false);
  });

  it('counts a security plugin as marking when Kong runs it with mark_passed true', () => {
    expect(marksPassed(jwt({}, true).fields)).toBe(true);
    expect(marksPassed(jwt({}, false).fields)).toBe(false);
    expect(marksPassed(jwt({}, true, { enabled: false }).fields)).toBe(false);
    expect(marksPassed({ name: 'jwt-claims', config: {} })).toBe(false);
    expect(marksPassed({ name: 'rate-limiting', config: { mark_passed: true } })).toBe(false);
  });
});

describe('family 4: a guard waits for the markers, a marker that stops waits for the guard', () => {
  it('turned on for a live route: the guard is created after jwt-claims starts marking', () => {
    const live = jwt({ route: r1 }, false, {}, ID(21));
    const marking = update(live, jwt({ route: r1 }, true), ['config.mark_passed']);
    const g = create(guard({ route: r1 }, ['jwt-claims']));
    const changes = [g, marking];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(waits(graph, changes, g)).toEqual([marking]);
    expect(waits(graph, changes, marking)).toEqual([]);
    expect(graph.droppedEdges).toBe(0);
    expect(expectSchedulable(graph)).toEqual([1, 0]);
  });

  it('turned off: jwt-claims stops marking only once the guard is gone', () => {
    const unmarking = update(jwt({ route: r1 }, true, {}, ID(21)), jwt({ route: r1 }, false), ['config.mark_passed']);
    const g = remove(guard({ route: r1 }, ['jwt-claims'], ID(31)));
    const changes = [unmarking, g];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(waits(graph, changes, unmarking)).toEqual([g]);
    expect(waits(graph, changes, g)).toEqual([]);
    expect(expectSchedulable(graph)).toEqual([1, 0]);
  });

  it('a plugin disabled, or deleted, under a guard that changes: after the guard', () => {
    const disabled = update(jwt({ service: s1 }, true, {}, ID(21)), jwt({ service: s1 }, true, { enabled: false }), ['enabled']);
    const deleted = remove(webhook({ route: r1 }, true, ID(22)));
    const serviceGuard = remove(guard({ service: s1 }, ['jwt-claims'], ID(31)));
    const routeGuard = update(guard({ route: r1 }, ['jwt-claims', 'webhook-signature'], ID(32)), guard({ route: r1 }, ['jwt-claims']), ['config.access']);
    const changes = [disabled, deleted, serviceGuard, routeGuard];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    // The service's jwt-claims also runs on r1's requests, which r1's guard checks; and r1's
    // requests are the service's too (its guard would serve them were r1's gone): both ways.
    expect(waits(graph, changes, disabled)).toEqual([serviceGuard, routeGuard]);
    expect(waits(graph, changes, deleted)).toEqual([serviceGuard, routeGuard]);
    expectSchedulable(graph);
  });

  it('only where guard and plugin meet on a request: global meets all, a route its own service only', () => {
    const marking = (e: Entity) => create(e);
    const onGlobal = marking(jwt({}, true));
    const onS1 = marking(webhook({ service: s1 }, true));
    const onS2 = marking(webhook({ service: s2 }, true));
    const onR1 = marking(jwt({ route: r1 }, true));
    const onR3 = marking(jwt({ route: r3 }, true));
    const gR1 = create(guard({ route: r1 }, ['jwt-claims', 'webhook-signature']));
    const gS2 = create(guard({ service: s2 }, ['jwt-claims', 'webhook-signature']));
    const gGlobal = create(guard({}, ['jwt-claims']));
    const changes = [onGlobal, onS1, onS2, onR1, onR3, gR1, gS2, gGlobal];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(waits(graph, changes, gR1)).toEqual([onGlobal, onS1, onR1]);
    expect(waits(graph, changes, gS2)).toEqual([onGlobal, onS2, onR3]);
    expect(waits(graph, changes, gGlobal)).toEqual([onGlobal, onS1, onS2, onR1, onR3]);
    // Without knowing which service a route is on, a route meets every service: more waiting, never less.
    const blind = buildDependencies(changes);
    expect(waits(blind, changes, gR1)).toEqual([onGlobal, onS1, onS2, onR1]);
    expect(waits(blind, changes, gS2)).toEqual([onGlobal, onS2, onR1, onR3]);
  });

  it('ignores post-functions users wrote, and plugin changes that neither start nor stop a marker', () => {
    const user = create(entity('plugin', { name: 'post-function', config: { access: ['kong.log.notice(1)'] } }, refs({ route: r1 })));
    const userGone = remove(entity('plugin', { name: 'post-function', config: { access: ['kong.log.notice(1)'] } }, refs({ route: r2 }), { id: ID(33) }));
    const marking = create(jwt({ route: r1 }, true));
    const unmarking = update(jwt({ route: r2 }, true, {}, ID(21)), jwt({ route: r2 }, false), ['config.mark_passed']);
    const other = create(entity('plugin', { name: 'rate-limiting', config: { minute: 1 } }, refs({ route: r1 })));
    const changes = [user, userGone, marking, unmarking, other];
    expect(buildDependencies(changes, { routeServices: ROUTES }).deps).toEqual([[], [], [], [], []]);
  });
});

describe('no cycle in combined plans', () => {
  it('a guard recreated with its route (new route id): the new guard after the new jwt-claims, old ones in any order', () => {
    const routeThen = entity('route', { name: 'r1' }, { service: s1.key });
    const changes = [
      remove(r1),
      create(routeThen),
      remove(jwt({ route: r1 }, true, {}, ID(21))),
      create(jwt({ route: routeThen }, true)),
      remove(guard({ route: r1 }, ['jwt-claims'], ID(31))),
      create(guard({ route: routeThen }, ['jwt-claims'])),
    ];
    const [rDel, rNew, jwtDel, jwtNew, gDel, gNew] = changes;
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(graph.droppedEdges).toBe(0);
    expect(waits(graph, changes, gNew)).toEqual(expect.arrayContaining([rNew, gDel, jwtNew]));
    expect(waits(graph, changes, jwtNew)).toEqual(expect.arrayContaining([rNew, jwtDel]));
    // The same key comes back marking: deleting the old one stops no marker for good.
    expect(waits(graph, changes, jwtDel)).toEqual([]);
    expect(waits(graph, changes, rDel)).toEqual(expect.arrayContaining([jwtDel, gDel]));
    expectSchedulable(graph);
  });

  it('jwt-claims moved to another route without id: the old guard goes first, the new one comes last', () => {
    const jwtDel = remove(jwt({ route: r1 }, true, {}, ID(21)));
    const jwtNew = create(jwt({ route: r3 }, true));
    const gDel = remove(guard({ route: r1 }, ['jwt-claims'], ID(31)));
    const gNew = create(guard({ route: r3 }, ['jwt-claims']));
    const changes = [gNew, jwtNew, jwtDel, gDel];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(graph.deps).toEqual([[1], [], [3], []]);
    expectSchedulable(graph);
  });

  it('jwt-claims moved with its id kept: old guard, then the move, then the new guard', () => {
    const moved = update(jwt({ route: r1 }, true, {}, ID(21)), jwt({ route: r3 }, true, {}, ID(21)), ['route']);
    const gDel = remove(guard({ route: r1 }, ['jwt-claims'], ID(31)));
    const gNew = create(guard({ route: r3 }, ['jwt-claims']));
    const changes = [gNew, moved, gDel];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(graph.deps).toEqual([[1], [2], []]);
    expect(expectSchedulable(graph)).toEqual([2, 1, 0]);
  });

  it('a move between two routes of a service whose guard changes cannot be ordered both ways: those edges are left out', () => {
    const moved = update(jwt({ route: r1 }, true, {}, ID(21)), jwt({ route: r2 }, true, {}, ID(21)), ['route']);
    const serviceGuard = update(guard({ service: s1 }, ['webhook-signature'], ID(31)), guard({ service: s1 }, ['jwt-claims', 'webhook-signature']), ['config.access']);
    const graph = buildDependencies([moved, serviceGuard], { routeServices: ROUTES });
    expect(graph.droppedEdges).toBe(2);
    expectSchedulable(graph);
  });

  it('guard turned off while plugins are added, disabled and moved: every change scheduled', () => {
    const changes = [
      remove(guard({}, ['jwt-claims'], ID(30))),
      remove(guard({ service: s1 }, ['jwt-claims', 'webhook-signature'], ID(31))),
      update(jwt({}, true, {}, ID(20)), jwt({}, false), ['config.mark_passed']),
      update(webhook({ service: s1 }, true, ID(21)), webhook({ service: s1 }, false), ['config.mark_passed']),
      create(jwt({ route: r1 }, false, { enabled: false })),
      create(webhook({ route: r2 }, false)),
      update(jwt({ route: r3 }, true, {}, ID(22)), jwt({ route: r2 }, false, {}, ID(22)), ['route', 'config.mark_passed']),
    ];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(graph.droppedEdges).toBe(0);
    // Each plugin change waits for the guards that check it: every one for the global guard.
    for (const c of changes.slice(2)) expect(waits(graph, changes, c)).toContain(changes[0]);
    expect(waits(graph, changes, changes[3])).toEqual([changes[0], changes[1]]);
    expectSchedulable(graph);
  });

  it('a disabled jwt-claims created while a guard changes: no cycle (it neither marks nor is waited for)', () => {
    const disabled = create(jwt({ route: r1 }, false, { enabled: false }));
    const g = update(guard({ route: r1 }, ['webhook-signature'], ID(31)), guard({ route: r1 }, ['jwt-claims', 'webhook-signature']), ['config.access']);
    const changes = [disabled, g];
    const graph = buildDependencies(changes, { routeServices: ROUTES });
    expect(graph.deps).toEqual([[1], []]);
    expect(graph.droppedEdges).toBe(0);
  });

  it('holds for any mix of guards, security plugins, moves, recreated routes and instance names (property)', () => {
    const routes = [r1, r2, r3];
    const scopes: Where[] = [{}, { service: s1 }, { service: s2 }, { route: r1 }, { route: r2 }, { route: r3 }, { service: s1, route: r1 }];
    const scope = fc.constantFrom(...scopes);
    type PluginSpec = { kind: 'jwt' | 'webhook' | 'guard' | 'user'; where: Where; mark: boolean; enabled: boolean; instance: string | undefined };
    const plugin: fc.Arbitrary<PluginSpec> = fc.record({
      kind: fc.constantFrom('jwt' as const, 'webhook' as const, 'guard' as const, 'user' as const),
      where: scope,
      mark: fc.boolean(),
      enabled: fc.boolean(),
      instance: fc.constantFrom(undefined, 'a', 'b'),
    });
    const build = (p: PluginSpec, id?: string): Entity => {
      const fields: Record<string, unknown> =
        p.kind === 'guard'
          ? { ...guard(p.where, ['jwt-claims']).fields }
          : p.kind === 'user'
            ? { name: 'post-function', config: { access: ['kong.log.notice(1)'] } }
            : { name: p.kind === 'jwt' ? 'jwt-claims' : 'webhook-signature', config: { mark_passed: p.mark } };
      fields.enabled = p.enabled;
      if (p.instance) fields.instance_name = p.instance;
      return entity('plugin', fields, refs(p.where), id ? { id } : {});
    };
    const change = fc.oneof(
      plugin.map((p) => create(build(p))),
      fc.tuple(plugin, fc.nat(99)).map(([p, n]) => remove(build(p, ID(100 + n)))),
      fc.tuple(plugin, plugin, fc.nat(99)).map(([a, b, n]) => {
        const before = build(a, ID(100 + n));
        const after = build({ ...b, kind: b.kind === 'guard' || b.kind === 'user' ? a.kind : b.kind }, ID(100 + n));
        return update(before, after, ['config']);
      }),
      fc.constantFrom(...routes).chain((r) => fc.constant([remove(r), create(entity('route', { name: String(r.fields.name) }, { service: r.refs.service }))])),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 14 }), fc.boolean(), (items, known) => {
        const changes = items.flat();
        const graph = buildDependencies(changes, known ? { routeServices: ROUTES } : {});
        expectSchedulable(graph);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a plan kong-ctl computes, applied', () => {
  const { jwt: JWT_ID, guard: GUARD_ID } = ORDERS_IDS;
  const live = (markPassed: boolean, guardOn: boolean): RawKongState =>
    ordersJwtLive(markPassed, guardOn ? { access: [renderGuardLua([{ name: 'jwt-claims' }])] } : undefined);

  async function planned(guardOn: boolean, current: RawKongState) {
    const text = `${ordersJwtFile(guardOn).join('\n')}\n`;
    const desired = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
    expect(desired.diagnostics).toEqual([]);
    const state = buildCurrentState(current);
    const plan = computePlan(desired.state, state, kong342SchemasWithJwtClaims());
    return { plan, currentIds: idsMap(state.entities), routeServices: routeServicesOf(desired.state, state) };
  }

  let events: string[];
  beforeEach(() => {
    events = [];
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
  /** Answers `method path` with `status` 20 ms later, noting when it arrived and when it was answered. */
  function intercept(method: 'put' | 'patch' | 'delete', path: RegExp, status: number, answer: Record<string, unknown> = {}) {
    nock(KONG)
      [method](path)
      .reply(async (uri) => {
        events.push(`start ${method} ${uri}`);
        await new Promise((r) => setTimeout(r, 20));
        events.push(`end ${method} ${uri}`);
        return [status, answer];
      });
  }
  const index = (event: string) => events.findIndex((e) => e.startsWith(event));
  /** Applies a plan from planned() to the nock'd Kong, as `kong-ctl apply` would. */
  const applyTo = (p: Awaited<ReturnType<typeof planned>>) =>
    applyPlan(p.plan, client(KONG), { parallelism: 10, dryRun: false, currentIds: p.currentIds, selectTags: [], routeServices: p.routeServices });

  it('turning the guard on: Kong has jwt-claims marking before the guard arrives', async () => {
    const p = await planned(true, live(false, false));
    expect(p.plan.changes.map((c) => `${c.op} ${c.label}`)).toEqual(['update plugin jwt-claims (route orders-api)', 'create plugin post-function (route orders-api)']);
    intercept('patch', new RegExp(`^/plugins/${JWT_ID}$`), 200);
    intercept('put', new RegExp(`^/plugins/${UUID_PATH}$`), 200);
    const report = await applyTo(p);
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(index(`end patch /plugins/${JWT_ID}`)).toBeLessThan(index('start put /plugins/'));
  });

  it('turning the guard on when jwt-claims cannot mark (Kong refuses mark_passed): no guard goes live', async () => {
    const p = await planned(true, live(false, false));
    intercept('patch', new RegExp(`^/plugins/${JWT_ID}$`), 400, { message: 'schema violation (config.mark_passed: unknown field)', name: 'schema violation', code: 2 });
    const report = await applyTo(p);
    expect(report.results.map((r) => [r.status, r.blockedBy])).toEqual([
      ['failed', undefined],
      ['not_attempted', 'update plugin jwt-claims (route orders-api)'],
    ]);
    expect(events.filter((e) => e.startsWith('start'))).toEqual([`start patch /plugins/${JWT_ID}`]);
  });

  it('turning the guard off: the guard is gone before jwt-claims stops marking', async () => {
    const p = await planned(false, live(true, true));
    expect(p.plan.changes.map((c) => `${c.op} ${c.label}`)).toEqual(['update plugin jwt-claims (route orders-api)', 'delete plugin post-function (route orders-api)']);
    intercept('delete', new RegExp(`^/plugins/${GUARD_ID}$`), 204);
    intercept('patch', new RegExp(`^/plugins/${JWT_ID}$`), 200);
    const report = await applyTo(p);
    expect(report.results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(index(`end delete /plugins/${GUARD_ID}`)).toBeLessThan(index(`start patch /plugins/${JWT_ID}`));
  });
});
