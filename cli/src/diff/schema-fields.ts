/**
 * Which Kong schema describes an entity. Most kinds have one (`GET /schemas/{entity}`);
 * a plugin is the generic plugin entity overlaid with its own subschema
 * (`GET /schemas/plugins/{name}`), which redefines `config`, `protocols` and sometimes the
 * foreign keys — the same overlay Kong applies when it validates a plugin. A vault is
 * overlaid the same way with `GET /schemas/vaults/{name}`, which gives its `config`.
 */
import type { Kind } from '../model/entity';
import type { EntitySchema, FieldList, FieldSchema, Schemas } from '../model/schema';
import { fieldEntries } from '../model/schema';

export interface EntityFields {
  /** Undefined when the run has no schema for this entity: it is then compared as plain JSON. */
  fields?: FieldList;
  /** Deprecated aliases accepted at the top level of the entity. */
  shorthands?: FieldList;
}

const subschemaCache = new WeakMap<Schemas, Map<string, EntityFields>>();

/**
 * The subschema an entity of `kind` with these fields has, by its `name`: a plugin's or a
 * vault's own schema. Undefined for kinds without subschemas.
 */
export function subschemaOf(kind: Kind, fields: Record<string, unknown>, schemas: Schemas): EntitySchema | undefined {
  const name = String(fields.name ?? '');
  if (kind === 'plugin') return schemas.plugins[name];
  if (kind === 'vault') return schemas.vaults?.[name];
  return undefined;
}

export function entityFields(kind: Kind, fields: Record<string, unknown>, schemas: Schemas): EntityFields {
  if (kind !== 'plugin' && kind !== 'vault') {
    const s = schemas.entities[kind];
    return s ? { fields: s.fields, shorthands: s.shorthand_fields } : {};
  }
  let byName = subschemaCache.get(schemas);
  if (!byName) {
    byName = new Map();
    subschemaCache.set(schemas, byName);
  }
  const id = `${kind}\0${String(fields.name ?? '')}`;
  let found = byName.get(id);
  if (!found) {
    found = overlay(schemas.entities[kind], subschemaOf(kind, fields, schemas));
    byName.set(id, found);
  }
  return found;
}

/** The generic entity with its subschema's fields in place of the generic ones (`config`…). */
function overlay(base: EntitySchema | undefined, own: EntitySchema | undefined): EntityFields {
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
