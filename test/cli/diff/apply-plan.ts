/**
 * A pure model of what Kong ends up holding once a plan has been applied, for property
 * tests. Like Kong, it keeps foreign keys as ids: renaming a service does not orphan its
 * routes, and a live entity nobody touched keeps pointing at the same entity.
 */
import type { Entity, State } from '../../../cli/src/model/entity';
import type { Plan } from '../../../cli/src/model/plan';
import { DEPENDENCY_LEVELS, KIND_DEFS, levelOf } from '../../../cli/src/kinds';

interface Row {
  kind: Entity['kind'];
  id: string;
  fields: Record<string, unknown>;
  refIds: Record<string, string | null>;
}

export function applyPlanToState(current: State, plan: Plan): State {
  const liveIdByKey = new Map<string, string>();
  for (const e of current.entities) {
    if (!e.id) throw new Error(`live entity ${e.key} has no id`);
    liveIdByKey.set(e.key, e.id);
  }
  const rows = new Map<string, Row>();
  for (const e of current.entities) {
    rows.set(e.id!, { kind: e.kind, id: e.id!, fields: e.fields, refIds: mapRefs(e.refs, (k) => need(liveIdByKey.get(k), k)) });
  }

  // The id every desired key will have once the plan ran: its update's, its create's, or the
  // untouched live entity's.
  const idOfDesiredKey = new Map<string, string>();
  let generated = 0;
  const createdIds = new Map<number, string>();
  plan.changes.forEach((c, i) => {
    if (c.op === 'create') {
      const id = c.desired!.id ?? `generated-${++generated}`;
      createdIds.set(i, id);
      idOfDesiredKey.set(c.desired!.key, id);
    } else if (c.op === 'update') idOfDesiredKey.set(c.desired!.key, c.id!);
  });
  const resolve = (key: string): string => need(idOfDesiredKey.get(key) ?? liveIdByKey.get(key), key);

  plan.changes.forEach((c) => {
    if (c.op === 'delete') rows.delete(need(c.id, c.key));
  });
  plan.changes.forEach((c, i) => {
    if (c.op === 'delete') return;
    const d = c.desired!;
    const id = c.op === 'create' ? createdIds.get(i)! : c.id!;
    if (c.op === 'update' && !rows.has(id)) throw new Error(`update of missing ${c.key}`);
    rows.set(id, { kind: d.kind, id, fields: d.fields, refIds: mapRefs(d.refs, resolve) });
  });

  // Keys follow refs (a plugin's key names its route), so they are rebuilt top-down.
  const keyOfId = new Map<string, string>();
  const entities: Entity[] = [];
  const ordered = [...rows.values()].sort((a, b) => levelOf(a.kind) - levelOf(b.kind));
  if (ordered.some((r) => levelOf(r.kind) < 0 || levelOf(r.kind) >= DEPENDENCY_LEVELS.length)) throw new Error('unknown level');
  for (const r of ordered) {
    const refs = mapRefs(r.refIds, (id) => need(keyOfId.get(id), `id ${id} (dangling reference from ${r.kind} ${r.id})`));
    const def = KIND_DEFS[r.kind];
    const view = { fields: r.fields, refs, id: r.id };
    const key = def.identity(view);
    keyOfId.set(r.id, key);
    entities.push({ kind: r.kind, key, label: def.label(view), id: r.id, fields: r.fields, refs });
  }
  return { entities };
}

function mapRefs(refs: Record<string, string | null>, f: (v: string) => string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(refs)) out[k] = v ? f(v) : null;
  return out;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`cannot resolve ${what}`);
  return v;
}
