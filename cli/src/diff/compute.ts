/**
 * desired + current + schemas → Plan. Pure: no I/O, no clock, the same inputs always give
 * the same plan (see order.ts). Both states are already scoped: the reader only returns live
 * entities inside the select tags, so every unmatched live entity is a delete.
 */
import type { Entity, State } from '../model/entity';
import type { Change, FieldChange, Plan } from '../model/plan';
import type { Schemas } from '../model/schema';
import { createdFields, fieldChanges, writeOnlyChanges } from './compare';
import { matchEntities } from './match';
import type { PreparedDesired } from './normalize';
import { prepareCurrent, prepareDesired } from './normalize';
import { sortChanges } from './order';
import { replaceUnorderable } from './replacements';
import { liveIds } from '../apply/live-ids';
import { entityFields, fieldMap } from './schema-fields';

export interface ComputePlanOptions {
  /** Added to the tags of every desired entity: everything kong-ctl writes carries them. */
  selectTags?: string[];
  /**
   * The Kong id behind each live key, looked-up entities included (apply/live-ids.ts); default:
   * the current entities'. Updates no order of writes can make are found with it (replacements.ts).
   */
  currentIds?: ReadonlyMap<string, string>;
}

export function computePlan(desired: State, current: State, schemas: Schemas, opts: ComputePlanOptions = {}): Plan {
  const prepared = desired.entities.map((e) => prepareDesired(e, schemas, opts.selectTags ?? []));
  const { pairs, creates, deletes } = matchEntities(prepared, current.entities);
  const idByKey = new Map<string, string>();
  for (const e of current.entities) if (e.id) idByKey.set(e.key, e.id);
  const idOf = (key: string) => idByKey.get(key);
  const changes: Change[] = [];
  const preparedOf = new Map<Change, PreparedDesired>();
  for (const d of creates) changes.push(createChange(d, schemas));
  for (const live of deletes) changes.push(deleteChange(live));
  for (const { desired: d, current: live, translated } of pairs) {
    const diff = fieldChanges(d, prepareCurrent(translated, schemas), schemas);
    const moved = Object.keys(d.entity.refs).some((f) => (d.entity.refs[f] ?? null) !== (translated.refs[f] ?? null));
    diff.push(...writeOnlyChanges(d.entity, live, moved, idOf));
    if (diff.length === 0) continue;
    const clearPaths = recordClears(d.entity, diff, schemas);
    const update: Change = {
      op: 'update',
      kind: d.entity.kind,
      key: d.entity.key,
      label: d.entity.label,
      id: live.id,
      desired: d.entity,
      current: live,
      fieldChanges: diff,
      ...(clearPaths.length ? { clearPaths } : {}),
    };
    changes.push(update);
    preparedOf.set(update, d);
  }
  // In plan order, not the files': which update of a cycle is replaced must not depend on how
  // the files list things (the plan's digest would change with it).
  const sorted = sortChanges(changes);
  const replaced = replaceUnorderable(sorted, {
    currentIds: opts.currentIds ?? liveIds(current.entities),
    createdFields: (update) => createdFields(preparedOf.get(update)!, schemas),
  });
  return { changes: replaced === sorted ? sorted : sortChanges(replaced) };
}

function createChange(d: PreparedDesired, schemas: Schemas): Change {
  const e = d.entity;
  return { op: 'create', kind: e.kind, key: e.key, label: e.label, desired: e, fieldChanges: createdFields(d, schemas) };
}

function deleteChange(live: State['entities'][number]): Change {
  return { op: 'delete', kind: live.kind, key: live.key, label: live.label, id: live.id, current: live };
}

/**
 * The changed leaves the desired entity empties (`after` null) that lie inside records all the
 * way down (`config.max_age`, `healthchecks.active.http_path`): Kong's PATCH merges records
 * field by field, so the write must name each with null (requests.ts). Not inside a map: Kong
 * replaces a map whole, and the map sent already lacks the key.
 */
function recordClears(desired: Entity, diff: FieldChange[], schemas: Schemas): string[] {
  const { fields: list } = entityFields(desired.kind, desired.fields, schemas);
  const out: string[] = [];
  for (const fc of diff) {
    if (fc.after !== null || !fc.path.includes('.')) continue;
    const segs = fc.path.split('.');
    let fields = list;
    let throughRecords = true;
    for (const seg of segs.slice(0, -1)) {
      const schema = fieldMap(fields).get(seg);
      if (schema?.type !== 'record') {
        throughRecords = false;
        break;
      }
      fields = schema.fields;
    }
    if (throughRecords && fieldMap(fields).has(segs[segs.length - 1])) out.push(fc.path);
  }
  return out;
}
