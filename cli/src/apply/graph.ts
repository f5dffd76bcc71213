/**
 * The order of a plan as a dependency graph, not as levels with barriers: each change waits only
 * for the changes it needs, so a route can be created as soon as its own service exists while
 * other services are still being written. Pure; execute.ts runs it.
 *
 * Edges, strongest first:
 *  1. references — a create or update waits for the create of every entity its desired refs
 *     point at (route → its service, credential → its consumer, plugin → route/service/consumer).
 *     Refs only point at lower DEPENDENCY_LEVELS, so these edges can never form a cycle.
 *  2. removals — a delete waits for the deletes of the entities that reference it, and for the
 *     updates that move a reference away from it (Kong refuses to delete a service a route still
 *     points at: fixture 125), and a create waits for the delete of the same id (a replacement:
 *     diff/replacements.ts) and, when Kong ids are not known, of the same key (a recreate).
 *     Then a CA certificate's delete waits for the changes that stop naming it in a
 *     `ca_certificates` list (6.), which Kong ≥ 3.5 enforces as it does foreign keys: added as 4
 *     is, but before 3, so that a claim of the CA certificate's digest is ordered around it.
 *  3. unique values — a change that claims a unique value (name, username, key, plugin scope…)
 *     waits for the change that releases it (a delete, or an update renaming away), so renames
 *     never meet a 409. Values are compared with their foreign keys as the Kong ids apply will
 *     send (unique.ts; by keys only when the live ids are not given): a consumer renamed under
 *     its id is one parent to Kong under two keys. Added one by one, skipping any edge that would
 *     close a cycle (a swap of two names): those are `unorderedClaims`, which apply breaks with
 *     one more write that sets the value aside first (temporary-release.ts) where the field
 *     allows it; the plan has already replaced an entity of any cycle no set-aside breaks
 *     (diff/replacements.ts).
 *  4. fail-closed guard — a kong-ctl guard's create or update waits for the changes that make the
 *     security plugins it checks mark requests, and a change that stops one marking waits for the
 *     deletes and updates of the guards that check it (fail-closed-order.ts), so no guard refuses
 *     live traffic for want of a marker. The weakest: what goes wrong without one is a moment of
 *     503s, not a failed write. All are added, then those inside a knot dropped as for removals;
 *     what is left inside a knot is the acyclic graph of 1-3, so no cycle remains.
 *  5. vault references — a change whose fields name a vault (`{vault://prefix/…}`) waits for that
 *     vault's create or update, and a vault's delete waits for the changes that stop naming it
 *     (vault-order.ts): Kong resolves references only when it uses them, so the wrong order
 *     means failed lookups in live traffic, not a failed write. Added as 4 is.
 *  6. CA certificate lists — a service's (or plugin config's) `ca_certificates` names CA
 *     certificates by id, not by foreign key: a change naming one waits for its create or update
 *     (ca-certificate-order.ts), or live traffic finds nothing to verify the upstream with for a
 *     moment. Added as 4 is. (Its delete's edges are taken with 2.)
 *  7. deletes last — every other delete waits until every create and update has succeeded, as
 *     decK orders them: an authentication plugin moved from a service to the gateway, or a route
 *     replaced by one of another name, is never gone before its replacement is there; and after a
 *     failed write, nothing is deleted (the failed replacement's predecessor may be what still
 *     serves or protects the traffic). The deletes that some create or update waits for through
 *     1-6 (a recreate, a released name) are exempt: they must come first. Not edges (deletes ×
 *     writes of them) but one barrier, `afterWrites`; it cannot close a cycle, since no create or
 *     update waits for a delete it holds back.
 */
import type { Change } from '../model/plan';
import { caCertificateEdges } from './ca-certificate-order';
import { failClosedGuardEdges } from './fail-closed-order';
import type { RouteServices } from './fail-closed-order';
import type { UnorderedClaim } from './temporary-release';
import { claimedValues, kongRefs, releasedValues, type KongRefs } from './unique';
import { vaultReferenceEdges } from './vault-order';

export interface GraphContext {
  /** Which service each route points at: guards and security plugins meet on a route's requests through its service. */
  routeServices?: RouteServices;
  /** The Kong id of every live key (live-ids.ts): unique values are compared by ids too. */
  currentIds?: ReadonlyMap<string, string>;
}

export interface DependencyGraph {
  /** deps[i]: indices of the changes change i waits for. */
  deps: number[][];
  /** Ordering edges left out because they would have closed a cycle. */
  droppedEdges: number;
  /** The unique-value edges among them: claims that may meet Kong's 409 (temporary-release.ts). */
  unorderedClaims: UnorderedClaim[];
  /** Deletes that also wait for every create and update to succeed (7. above). */
  afterWrites: number[];
}

export function buildDependencies(changes: Change[], context: GraphContext = {}): DependencyGraph {
  const n = changes.length;
  const deps: Array<Set<number>> = Array.from({ length: n }, () => new Set<number>());
  const createByKey = new Map<string, number>();
  const deleteByKey = new Map<string, number>();
  const deleteById = new Map<string, number>();
  changes.forEach((c, i) => {
    if (c.op === 'create') createByKey.set(c.desired?.key ?? c.key, i);
    if (c.op === 'delete') deleteByKey.set(c.current?.key ?? c.key, i);
    if (c.op === 'delete' && c.id) deleteById.set(`${c.kind}#${c.id}`, i);
  });

  // 0. a set-aside (temporary-release.ts) comes before the real change of its entity (an update,
  // or a delete: the set-aside's PATCH would find nothing after it), and, as it keeps the entity
  // where it is, waits for nothing of 1. and 2.
  const realUpdate = new Map<string, number>();
  changes.forEach((c, i) => c.op !== 'create' && !c.temporaryRelease && realUpdate.set(entityOf(c), i));
  changes.forEach((c, i) => {
    const real = c.temporaryRelease ? realUpdate.get(entityOf(c)) : undefined;
    if (real !== undefined) deps[real].add(i);
  });

  // 1. references
  changes.forEach((c, i) => {
    if (c.op === 'delete' || !c.desired || c.temporaryRelease) return;
    for (const ref of Object.values(c.desired.refs)) {
      if (!ref) continue;
      const j = createByKey.get(ref);
      if (j !== undefined && j !== i) deps[i].add(j);
    }
  });

  // 2. removals
  const removal: Array<[number, number]> = [];
  changes.forEach((c, i) => {
    if (c.op === 'create') {
      // Without Kong ids, a delete of the same key may free what the create takes; with them,
      // 3. compares what Kong compares (the same key under a renamed parent is another value).
      const j = context.currentIds ? undefined : deleteByKey.get(c.desired?.key ?? c.key);
      if (j !== undefined) removal.push([i, j]);
      // A replacement (diff/replacements.ts): created again with the id its delete frees.
      const k = c.desired?.id === undefined ? undefined : deleteById.get(`${c.kind}#${c.desired.id}`);
      if (k !== undefined && k !== j) removal.push([i, k]);
      return;
    }
    if (!c.current || c.temporaryRelease) return;
    for (const [fieldName, ref] of Object.entries(c.current.refs)) {
      if (!ref) continue;
      const j = deleteByKey.get(ref);
      if (j === undefined || j === i) continue;
      // An update that keeps pointing at the deleted entity gains nothing from running first.
      if (c.op === 'update' && c.desired && c.desired.refs[fieldName] === ref) continue;
      removal.push([j, i]);
    }
  });
  for (const [waiter, first] of removal) deps[waiter].add(first);
  let dropped = 0;
  const comp = components(deps);
  // Only removal edges can close a cycle here; drop those inside a knot, keep every other one.
  for (const [waiter, first] of removal) {
    if (comp[waiter] === comp[first] && deps[waiter].delete(first)) dropped++;
  }

  // 2b. a CA certificate's delete after the changes that stop naming it, which Kong (>= 3.5)
  // refuses before (ca-certificate-order.ts): as binding as 2., so 3. orders claims around it.
  const caEdges = caCertificateEdges(changes);
  dropped += addUnlessKnotted(deps, caEdges.freeing);

  // 3. unique values
  // By the Kong ids apply will send when they are known (unique.ts): what Kong compares. By keys
  // a consumer renamed under its id is two parents and a replaced upstream one, so an ordering
  // edge would be missed, or one added that holds a delete back from last for nothing.
  const refs = context.currentIds && kongRefs(changes, context.currentIds);
  const valuesOf = (values: (c: Change, r?: KongRefs) => string[], c: Change) => (refs ? values(c, refs) : values(c));
  const releasedBy = new Map<string, number[]>();
  const claims: Array<[number, string]> = [];
  changes.forEach((c, i) => {
    for (const v of valuesOf(releasedValues, c)) {
      const list = releasedBy.get(v);
      if (list) list.push(i);
      else releasedBy.set(v, [i]);
    }
    for (const v of valuesOf(claimedValues, c)) claims.push([i, v]);
  });
  // An entity whose value is set aside first (temporary-release.ts): a claim of that value waits
  // for the set-aside, not for the entity's real change.
  const setAside = new Set<string>();
  for (const c of changes) if (c.temporaryRelease) for (const v of releasedValues(c)) setAside.add(`${entityOf(c)}\0${v}`);
  const unorderedClaims: UnorderedClaim[] = [];
  for (const [claimer, value] of claims) {
    for (const releaser of releasedBy.get(value) ?? []) {
      if (releaser === claimer || deps[claimer].has(releaser)) continue;
      const r = changes[releaser];
      if (!r.temporaryRelease && setAside.has(`${entityOf(r)}\0${value}`)) continue;
      if (waitsFor(deps, releaser, claimer)) {
        dropped++;
        unorderedClaims.push({ claimer, releaser, value });
        continue;
      }
      deps[claimer].add(releaser);
    }
  }

  // 4. fail-closed guard
  dropped += addUnlessKnotted(deps, failClosedGuardEdges(changes, context.routeServices));

  // 5. vault references
  dropped += addUnlessKnotted(deps, vaultReferenceEdges(changes));

  // 6. CA certificate lists: a service after the CA certificates it names
  dropped += addUnlessKnotted(deps, caEdges.naming);

  return { deps: deps.map((s) => [...s]), droppedEdges: dropped, unorderedClaims, afterWrites: deletesAfterWrites(changes, deps) };
}

/** The live entity a change writes: kind and id (an update's or a delete's). */
function entityOf(c: Change): string {
  return `${c.kind}\0${c.id ?? c.current?.id ?? c.key}`;
}

/** The deletes no create or update waits for, even transitively: they can all wait for the writes. */
function deletesAfterWrites(changes: Change[], deps: Array<Set<number>>): number[] {
  const needed = new Uint8Array(changes.length);
  const stack = changes.flatMap((c, i) => (c.op === 'delete' ? [] : [i]));
  for (const i of stack) needed[i] = 1;
  while (stack.length) {
    for (const j of deps[stack.pop()!]) {
      if (!needed[j]) {
        needed[j] = 1;
        stack.push(j);
      }
    }
  }
  return changes.flatMap((c, i) => (c.op === 'delete' && !needed[i] ? [i] : []));
}

/**
 * Adds the edges the graph does not already have, then takes back those that ended up inside a
 * knot: what stays inside one is what was there before, acyclic. Returns how many were taken back.
 */
function addUnlessKnotted(deps: Array<Set<number>>, edges: Array<[number, number]>): number {
  const added = edges.filter(([waiter, first]) => waiter !== first && !deps[waiter].has(first));
  if (added.length === 0) return 0;
  for (const [waiter, first] of added) deps[waiter].add(first);
  const comp = components(deps);
  let dropped = 0;
  for (const [waiter, first] of added) if (comp[waiter] === comp[first] && deps[waiter].delete(first)) dropped++;
  return dropped;
}

/** Does `from` (transitively) wait for `target`? */
function waitsFor(deps: Array<Set<number>>, from: number, target: number): boolean {
  const seen = new Set<number>([from]);
  const stack = [from];
  while (stack.length) {
    const x = stack.pop()!;
    for (const y of deps[x]) {
      if (y === target) return true;
      if (!seen.has(y)) {
        seen.add(y);
        stack.push(y);
      }
    }
  }
  return false;
}

/**
 * Strongly connected components (iterative Tarjan): component id per node. Two nodes share a
 * component exactly when each transitively waits for the other.
 */
function components(deps: Array<Set<number>>): Int32Array {
  const n = deps.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const comp = new Int32Array(n).fill(-1);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const adj = deps.map((s) => [...s]);
  let next = 0;
  let nComp = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    const work: Array<[number, number]> = [[root, 0]];
    while (work.length) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      if (i === 0 && index[v] === -1) {
        index[v] = low[v] = next++;
        stack.push(v);
        onStack[v] = 1;
      }
      if (i < adj[v].length) {
        frame[1]++;
        const w = adj[v][i];
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === index[v]) {
        let w: number;
        do {
          w = stack.pop()!;
          onStack[w] = 0;
          comp[w] = nComp;
        } while (w !== v);
        nComp++;
      }
    }
  }
  return comp;
}

/** A topological order of the graph, the deletes held by the barrier last (tests check it). */
export function topologicalOrder(graph: DependencyGraph): number[] {
  const n = graph.deps.length;
  const remaining = graph.deps.map((d) => d.length);
  const held = new Set(graph.afterWrites);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  graph.deps.forEach((d, i) => d.forEach((j) => dependents[j].push(i)));
  const order: number[] = [];
  const queue: number[] = [];
  const drain = (from: number) => {
    for (let h = from; h < queue.length; h++) {
      const x = queue[h];
      order.push(x);
      for (const y of dependents[x]) if (--remaining[y] === 0 && !held.has(y)) queue.push(y);
    }
  };
  remaining.forEach((r, i) => r === 0 && !held.has(i) && queue.push(i));
  drain(0);
  const before = queue.length;
  for (const i of graph.afterWrites) if (remaining[i] === 0) queue.push(i);
  held.clear();
  drain(before);
  return order;
}
