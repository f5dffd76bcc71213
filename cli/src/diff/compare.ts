/**
 * Field-level comparison of one prepared desired entity with its live counterpart, and the
 * list of fields a create sets. Ignored on both sides: server-managed fields, fields the file
 * leaves for Kong to generate, the kind's write-only fields (Kong stores a hash), foreign-key
 * fields (compared as `refs`) and shorthand echoes (shorthand.ts).
 */
import type { Entity } from '../model/entity';
import type { FieldChange } from '../model/plan';
import type { FieldList, Schemas } from '../model/schema';
import { KIND_DEFS, writeOnlyOf } from '../kinds';
import { canonicalRecord } from './canonical';
import { fillDefaults } from './defaults';
import { leafDiff } from './leaf-diff';
import type { PreparedDesired } from './normalize';
import { entityFields, fieldMap } from './schema-fields';
import { dropShorthands } from './shorthand';
import { isPlainObject, pathsOverlap } from './values';

/**
 * What changes when `current` (prepared, refs already in the desired side's keys) becomes
 * `desired`. A change where the file does not set the field is marked `fromDefault`.
 */
export function fieldChanges(desired: PreparedDesired, current: Entity, schemas: Schemas): FieldChange[] {
  const d = desired.entity;
  const { fields: list, shorthands } = entityFields(d.kind, d.fields, schemas);
  let [df, cf] = dropShorthands(d.fields, current.fields, list, shorthands);
  const ignored = [...desired.unmanaged, ...writeOnlyOf(KIND_DEFS[d.kind], d.fields), ...foreignFields(d.kind, list)];
  df = omitPaths(df, ignored);
  cf = omitPaths(cf, ignored);
  const leaves = leafDiff(canonicalRecord(cf, list), canonicalRecord(df, list), list);
  const changes: FieldChange[] = leaves.map((l) => fromDefault(withMask({ path: l.path, before: l.before, after: l.after }, d), desired.defaulted));
  for (const name of refNames(d, current)) {
    const before = current.refs[name] ?? null;
    const after = d.refs[name] ?? null;
    if (before !== after) changes.push({ path: name, before, after });
  }
  return changes;
}

/**
 * Write-only fields the file sets that differ from what Kong stores, told by hashing the file's
 * value the way Kong does (KindDef.storedMatches): so a rotated basic-auth password is pushed,
 * and an unchanged one never is. `live` is the entity as read (its refs are live keys). A
 * credential moving to another consumer takes its secret along: Kong salts the hash with the
 * consumer id, so the secret is sent again whenever the file has it.
 */
export function writeOnlyChanges(desired: Entity, live: Entity, moved: boolean, idOf: (key: string) => string | undefined): FieldChange[] {
  const def = KIND_DEFS[desired.kind];
  const out: FieldChange[] = [];
  for (const field of writeOnlyOf(def, desired.fields)) {
    const plain = desired.fields[field];
    if (typeof plain !== 'string') continue;
    const same = moved ? false : def.storedMatches?.(field, plain, live, idOf);
    if (same === false) out.push({ path: field, before: live.fields[field] ?? null, after: plain, masked: true });
  }
  return out;
}

/**
 * The fields a create sets, for display: every leaf whose value differs from the schema
 * default (what the file says, not what Kong fills in), then the foreign keys.
 */
export function createdFields(desired: PreparedDesired, schemas: Schemas): FieldChange[] {
  const d = desired.entity;
  const { fields: list } = entityFields(d.kind, d.fields, schemas);
  const skip = foreignFields(d.kind, list);
  const defaults = omitPaths(fillDefaults({}, list), skip);
  const leaves = leafDiff(canonicalRecord(defaults, list), canonicalRecord(omitPaths(d.fields, skip), list), list);
  const out = leaves.map((l) => withMask({ path: l.path, before: null, after: l.after }, d));
  for (const name of refNames(d, undefined)) {
    const ref = d.refs[name];
    if (ref) out.push({ path: name, before: null, after: ref });
  }
  return out;
}

/** Masked: from `${{ env … }}`, write-only or sensitive (a password or key is a secret even when written inline). */
function withMask(change: FieldChange, e: Entity): FieldChange {
  const def = KIND_DEFS[e.kind];
  const hidden = [...(e.masked ?? []), ...writeOnlyOf(def, e.fields), ...(def.sensitive ?? [])];
  if (hidden.some((p) => pathsOverlap(p, change.path))) change.masked = true;
  return change;
}

/** Marked when the file leaves the field out: at or under a path that took Kong's default. */
function fromDefault(change: FieldChange, defaulted: string[]): FieldChange {
  if (defaulted.some((p) => change.path === p || change.path.startsWith(p + '.'))) change.fromDefault = true;
  return change;
}

function refNames(d: Entity, c: Entity | undefined): string[] {
  const names = new Set([...Object.keys(KIND_DEFS[d.kind].foreignKeys), ...Object.keys(d.refs)]);
  if (c) for (const n of Object.keys(c.refs)) names.add(n);
  return [...names];
}

function foreignFields(kind: Entity['kind'], list: FieldList | undefined): string[] {
  const names = new Set(Object.keys(KIND_DEFS[kind].foreignKeys));
  for (const [name, schema] of fieldMap(list)) if (schema.type === 'foreign') names.add(name);
  return [...names];
}

/** A copy of `obj` without the given dotted paths; untouched branches are shared. */
export function omitPaths(obj: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  let out = obj;
  for (const path of paths) out = omitPath(out, path.split('.'));
  return out;
}

function omitPath(obj: Record<string, unknown>, segs: string[]): Record<string, unknown> {
  const [head, ...rest] = segs;
  if (!(head in obj)) return obj;
  const copy = { ...obj };
  if (rest.length === 0) delete copy[head];
  else if (isPlainObject(copy[head])) copy[head] = omitPath(copy[head] as Record<string, unknown>, rest);
  return copy;
}
