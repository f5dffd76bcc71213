/**
 * desired + current + schemas → Plan. Pure: no I/O, no clock, the same inputs always give
 * the same plan (see order.ts). Both states are already scoped: the reader only returns live
 * entities inside the select tags, so every unmatched live entity is a delete.
 */
import type { State } from '../model/entity';
import type { Change, Plan } from '../model/plan';
import type { Schemas } from '../model/schema';
import { createdFields, fieldChanges, writeOnlyChanges } from './compare';
import { matchEntities } from './match';
import type { PreparedDesired } from './normalize';
import { prepareCurrent, prepareDesired } from './normalize';
import { sortChanges } from './order';

export interface ComputePlanOptions {
  /** Added to the tags of every desired entity: everything kong-ctl writes carries them. */
  selectTags?: string[];
}

export function computePlan(desired: State, current: State, schemas: Schemas, opts: ComputePlanOptions = {}): Plan {
  const prepared = desired.entities.map((e) => prepareDesired(e, schemas, opts.selectTags ?? []));
  const { pairs, creates, deletes } = matchEntities(prepared, current.entities);
  const idByKey = new Map<string, string>();
  for (const e of current.entities) if (e.id) idByKey.set(e.key, e.id);
  const idOf = (key: string) => idByKey.get(key);
  const changes: Change[] = [];
  for (const d of creates) changes.push(createChange(d, schemas));
  for (const live of deletes) changes.push(deleteChange(live));
  for (const { desired: d, current: live, translated } of pairs) {
    const diff = fieldChanges(d, prepareCurrent(translated, schemas), schemas);
    const moved = Object.keys(d.entity.refs).some((f) => (d.entity.refs[f] ?? null) !== (translated.refs[f] ?? null));
    diff.push(...writeOnlyChanges(d.entity, live, moved, idOf));
    if (diff.length === 0) continue;
    changes.push({
      op: 'update',
      kind: d.entity.kind,
      key: d.entity.key,
      label: d.entity.label,
      id: live.id,
      desired: d.entity,
      current: live,
      fieldChanges: diff,
    });
  }
  return { changes: sortChanges(changes) };
}

function createChange(d: PreparedDesired, schemas: Schemas): Change {
  const e = d.entity;
  return { op: 'create', kind: e.kind, key: e.key, label: e.label, desired: e, fieldChanges: createdFields(d, schemas) };
}

function deleteChange(live: State['entities'][number]): Change {
  return { op: 'delete', kind: live.kind, key: live.key, label: live.label, id: live.id, current: live };
}
