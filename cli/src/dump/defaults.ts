/**
 * Dropping what Kong filled in by itself, using the live node's schemas, so a dump shows what
 * someone chose rather than 60 lines of defaults per plugin. Loading the file fills the same
 * defaults from the same schemas again, which is what makes the dump round-trip.
 */
import type { Kind } from '../model/entity';
import { fieldEntries, type FieldList, type FieldSchema, type Schemas } from '../model/schema';
import { entityFields } from '../diff/schema-fields';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with sorted keys: a structural equality that ignores key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** Lua's empty table serialises as `{}` even where an array is meant (defaults of array fields). */
function asList(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (isPlainObject(v) && Object.keys(v).length === 0) return [];
  return undefined;
}

export function equalsDefault(value: unknown, schema: FieldSchema): boolean {
  if (!('default' in schema)) return false;
  const def = schema.default;
  if (schema.type === 'array' || schema.type === 'set') {
    const a = asList(value);
    const b = asList(def);
    if (!a || !b) return canonical(value) === canonical(def);
    if (a.length !== b.length) return false;
    // Sets are unordered (protocols, methods): Kong may hand them back in another order.
    if (schema.type === 'set') return canonical([...a.map(canonical)].sort()) === canonical([...b.map(canonical)].sort());
    return canonical(a) === canonical(b);
  }
  return canonical(value) === canonical(def);
}

/**
 * A copy of `obj` without nulls (but those of fields whose default is not null: Kong keeps an
 * explicit null there), without fields equal to their schema default (recursing into
 * records such as plugin `config` or upstream `healthchecks`, dropping records left empty), and
 * without the deprecated `shorthand_fields` aliases Kong ≥ 3.6 echoes beside their new fields.
 * Fields the schema does not know are kept. Array elements are kept whole.
 */
export function stripDefaults(obj: Record<string, unknown>, fields: FieldList | undefined, shorthands?: FieldList): Record<string, unknown> {
  const schemaOf = new Map(fieldEntries(fields));
  const aliases = new Set(fieldEntries(shorthands).map(([name]) => name));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    const fs = schemaOf.get(k);
    if (v === null) {
      // Kong fills a default only for a missing field: an explicit null it keeps. Left out of the
      // dump, a field whose default is not null would come back as that default on the next apply.
      if (fs && fs.default !== undefined && fs.default !== null) out[k] = null;
      continue;
    }
    if (!fs) {
      if (!aliases.has(k)) out[k] = v;
      continue;
    }
    if (equalsDefault(v, fs)) continue;
    if (fs.type === 'record' && isPlainObject(v) && fs.fields) {
      const inner = stripDefaults(v, fs.fields, fs.shorthand_fields as FieldList | undefined);
      if (Object.keys(inner).length > 0) out[k] = inner;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/**
 * The field list that describes an entity of `kind`: for a plugin or a vault, the generic
 * entity overlaid with its own subschema (its `config` record, a plugin's `protocols` default).
 */
export function fieldsFor(kind: Kind, fields: Record<string, unknown>, schemas: Schemas): { fields: FieldList; shorthands?: FieldList } {
  const found = entityFields(kind, fields, schemas);
  return { fields: found.fields ?? [], shorthands: found.shorthands };
}
