/**
 * Which Kong schema describes an entity. Most kinds have one (`GET /schemas/{entity}`);
 * a plugin is the generic plugin entity overlaid with its own subschema
 * (`GET /schemas/plugins/{name}`), which redefines `config`, `protocols` and sometimes the
 * foreign keys — the same overlay Kong applies when it validates a plugin.
 */
import type { Kind } from '../model/entity';
import type { FieldList, FieldSchema, Schemas } from '../model/schema';
import { fieldEntries } from '../model/schema';

export interface EntityFields {
  /** Undefined when the run has no schema for this entity: it is then compared as plain JSON. */
  fields?: FieldList;
  /** Deprecated aliases accepted at the top level of the entity. */
  shorthands?: FieldList;
}

const pluginCache = new WeakMap<Schemas, Map<string, EntityFields>>();

export function entityFields(kind: Kind, fields: Record<string, unknown>, schemas: Schemas): EntityFields {
  if (kind !== 'plugin') {
    const s = schemas.entities[kind];
    return s ? { fields: s.fields, shorthands: s.shorthand_fields } : {};
  }
  const name = String(fields.name ?? '');
  let byName = pluginCache.get(schemas);
  if (!byName) {
    byName = new Map();
    pluginCache.set(schemas, byName);
  }
  let found = byName.get(name);
  if (!found) {
    found = pluginFields(schemas, name);
    byName.set(name, found);
  }
  return found;
}

function pluginFields(schemas: Schemas, name: string): EntityFields {
  const base = schemas.entities.plugin;
  const own = schemas.plugins[name];
  if (!base && !own) return {};
  const overrides = new Map(fieldEntries(own?.fields));
  const merged: FieldList = [];
  for (const [field, schema] of fieldEntries(base?.fields)) {
    merged.push({ [field]: overrides.get(field) ?? schema });
    overrides.delete(field);
  }
  for (const [field, schema] of overrides) merged.push({ [field]: schema });
  return { fields: merged, shorthands: own?.shorthand_fields ?? base?.shorthand_fields };
}

export { recordShorthands } from '../model/schema';

const mapCache = new WeakMap<FieldList, Map<string, FieldSchema>>();
const entriesCache = new WeakMap<FieldList, Array<[string, FieldSchema]>>();

/** `fieldEntries`, cached per list: normalisation walks the same lists for every entity. */
export function fieldsOf(list: FieldList | undefined): Array<[string, FieldSchema]> {
  if (!list) return [];
  let e = entriesCache.get(list);
  if (!e) {
    e = fieldEntries(list);
    entriesCache.set(list, e);
  }
  return e;
}

/** Name → schema of a field list; cached because every entity of a kind shares one list. */
export function fieldMap(list: FieldList | undefined): Map<string, FieldSchema> {
  if (!list) return new Map();
  let m = mapCache.get(list);
  if (!m) {
    m = new Map(fieldEntries(list));
    mapCache.set(list, m);
  }
  return m;
}
