/**
 * Ordering edges for `_info.fail_closed_guard` (docs/fail-closed-guard.md). A guard refuses with
 * 503 every request whose security plugins did not mark it, and a plugin marks only while it runs
 * with `mark_passed` on, so two writes are unsafe in the wrong order:
 *  - a guard created or updated before the plugins it checks start marking refuses live traffic
 *    until they do (turning the guard on for a live route would answer 503s for a while);
 *  - a plugin that stops marking (deleted, disabled, `mark_passed` off, moved off a scope) before
 *    the guard that checks it is gone or updated does the same.
 * Hence: a guard's create or update waits for the changes after which a security plugin marks;
 * a change that stops a plugin marking waits for the guards' deletes and updates.
 *
 * Only where a guard and a plugin can meet on a request: their scopes overlap (global meets
 * everything; a route meets its service). Waiting for every plugin of the plan instead would cost
 * guards × plugins edges, millions when the guard is turned on for a few thousand routes.
 *
 * A change in both sets is one that moves a marking plugin between scopes with its id kept; only
 * through such a change (or through the other edge families) can these edges close a cycle, and
 * graph.ts drops those that do.
 */
import type { Entity, State } from '../model/entity';
import type { Change } from '../model/plan';
import { SECURITY_PLUGINS, isFailClosedGuard, marksPassed } from '../desired/guard';

/** Route key → keys of the services it points at (desired and live: both while it moves). */
export type RouteServices = ReadonlyMap<string, readonly string[]>;

interface Scope {
  service: string | null;
  route: string | null;
}

const scopeOf = (e: Entity): Scope => ({ service: e.refs.service ?? null, route: e.refs.route ?? null });
const sameScope = (a: Scope, b: Scope) => a.service === b.service && a.route === b.route;
const isSecurity = (e: Entity | undefined) => e?.kind === 'plugin' && SECURITY_PLUGINS.includes(String(e.fields.name));

/** The route → services map of the states a plan goes between. */
export function routeServicesOf(...states: State[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const state of states) {
    for (const e of state.entities) {
      const service = e.kind === 'route' ? e.refs.service : null;
      if (!service) continue;
      const known = out.get(e.key);
      if (!known) out.set(e.key, [service]);
      else if (!known.includes(service)) known.push(service);
    }
  }
  return out;
}

/**
 * The services whose requests a scope can see: its own, its route's, or any (null) when the
 * route's service is unknown or the scope is global.
 */
function servicesSeen(s: Scope, routeServices: RouteServices | undefined): readonly string[] | null {
  if (s.service) return [s.service];
  if (s.route) return routeServices?.get(s.route) ?? null;
  return null;
}

/** Could one request go through both scopes? Unknown route → service links count as yes. */
function overlaps(a: Scope, b: Scope, routeServices: RouteServices | undefined): boolean {
  if (a.route && b.route && a.route !== b.route) return false;
  const sa = servicesSeen(a, routeServices);
  const sb = servicesSeen(b, routeServices);
  return sa === null || sb === null || sa.some((s) => sb.includes(s));
}

/**
 * Changes by scope, so that those overlapping a scope are found without looking at all of them
 * (a plan may hold thousands of guards and plugins): global ones; service-only ones by service;
 * ones with a route by route, and also by the services their route points at when known.
 */
class ScopeIndex {
  private readonly scopes = new Map<number, Scope>();
  private readonly global: number[] = [];
  private readonly serviceOnly = new Map<string, number[]>();
  private readonly byRoute = new Map<string, number[]>();
  private readonly routedByService = new Map<string, number[]>();
  private readonly routedUnknown: number[] = [];

  constructor(private readonly routeServices: RouteServices | undefined) {}

  add(i: number, s: Scope): void {
    this.scopes.set(i, s);
    if (!s.route) {
      if (s.service) push(this.serviceOnly, s.service, i);
      else this.global.push(i);
      return;
    }
    push(this.byRoute, s.route, i);
    const seen = servicesSeen(s, this.routeServices);
    if (seen) for (const service of seen) push(this.routedByService, service, i);
    else this.routedUnknown.push(i);
  }

  /** The indices of the changes added with a scope that overlaps `s`. */
  overlapping(s: Scope): Set<number> {
    if (!s.route && !s.service) return new Set(this.scopes.keys());
    const candidates: number[][] = [this.global];
    if (s.route) {
      candidates.push(this.byRoute.get(s.route) ?? []);
      const seen = servicesSeen(s, this.routeServices);
      if (seen) for (const service of seen) candidates.push(this.serviceOnly.get(service) ?? []);
      else for (const list of this.serviceOnly.values()) candidates.push(list);
    } else if (s.service) {
      candidates.push(this.serviceOnly.get(s.service) ?? [], this.routedByService.get(s.service) ?? [], this.routedUnknown);
    }
    const out = new Set<number>();
    for (const list of candidates) {
      for (const i of list) if (!out.has(i) && overlaps(s, this.scopes.get(i) as Scope, this.routeServices)) out.add(i);
    }
    return out;
  }
}

function push(m: Map<string, number[]>, key: string, i: number): void {
  const list = m.get(key);
  if (list) list.push(i);
  else m.set(key, [i]);
}

const guardStarts = (c: Change) => c.op !== 'delete' && c.desired?.kind === 'plugin' && isFailClosedGuard(c.desired.fields);
const guardEnds = (c: Change) => c.op !== 'create' && c.current?.kind === 'plugin' && isFailClosedGuard(c.current.fields);
const marksAfter = (c: Change) => c.op !== 'delete' && c.desired !== undefined && marksPassed(c.desired.fields);
const markedBefore = (c: Change) => c.op !== 'create' && c.current !== undefined && marksPassed(c.current.fields);

/** Where a change leaves a security plugin marking: its desired scope, if it marks after it. */
function markingScopes(c: Change): Scope[] {
  return isSecurity(c.desired) && marksAfter(c) ? [scopeOf(c.desired as Entity)] : [];
}

/**
 * Where a change stops a security plugin marking: the scope it leaves marking (deleted unless
 * re-created marking under its key, or moved away), and for a create or update after which it
 * does not mark, both its scopes, as it may also shadow a marking plugin of a wider scope.
 */
function unmarkingScopes(c: Change, recreatedMarking: ReadonlySet<string>): Scope[] {
  if (!isSecurity(c.current) && !isSecurity(c.desired)) return [];
  const before = markedBefore(c) ? scopeOf(c.current as Entity) : null;
  if (c.op === 'delete') return before && !recreatedMarking.has(c.current?.key ?? c.key) ? [before] : [];
  if (!c.desired) return [];
  const after = scopeOf(c.desired);
  if (!marksAfter(c)) return c.current && !sameScope(scopeOf(c.current), after) ? [after, scopeOf(c.current)] : [after];
  return before && !sameScope(before, after) ? [before] : [];
}

/** [waiter, first] pairs: the edges of this family, each once. */
export function failClosedGuardEdges(changes: readonly Change[], routeServices?: RouteServices): Array<[number, number]> {
  const recreatedMarking = new Set(changes.filter((c) => c.op === 'create' && marksAfter(c)).map((c) => c.desired?.key ?? c.key));
  const marking = new ScopeIndex(routeServices);
  const ending = new ScopeIndex(routeServices);
  changes.forEach((c, i) => {
    for (const s of markingScopes(c)) marking.add(i, s);
    if (guardEnds(c)) ending.add(i, scopeOf(c.current as Entity));
  });
  const edges: Array<[number, number]> = [];
  changes.forEach((c, i) => {
    if (guardStarts(c)) for (const j of marking.overlapping(scopeOf(c.desired as Entity))) if (j !== i) edges.push([i, j]);
    const waits = new Set<number>();
    for (const s of unmarkingScopes(c, recreatedMarking)) for (const j of ending.overlapping(s)) waits.add(j);
    for (const j of waits) if (j !== i) edges.push([i, j]);
  });
  return edges;
}
