/**
 * Kong's schema format, as `GET /schemas/{entity}` and `GET /schemas/plugins/{name}` return it
 * (and as this project's plugins declare their `Schema`). Only what kong-ctl reads is typed;
 * everything else Kong sends is kept as unknown.
 */

export type FieldType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'array'
  | 'set'
  | 'map'
  | 'record'
  | 'foreign'
  | 'function'
  | 'json';

export interface FieldSchema {
  type: FieldType;
  default?: unknown;
  required?: boolean;
  auto?: boolean;
  /** `array`, `set`: element schema. */
  elements?: FieldSchema;
  /** `map`: key and value schemas. */
  keys?: FieldSchema;
  values?: FieldSchema;
  /** `record`: nested fields. */
  fields?: FieldList;
  /** `foreign`: the entity referred to. */
  reference?: string;
  one_of?: unknown[];
  eq?: unknown;
  len_min?: number;
  len_max?: number;
  between?: [number, number];
  gt?: number;
  match?: string;
  uuid?: boolean;
  unique?: boolean;
  description?: string;
  referenceable?: boolean;
  encrypted?: boolean;
  deprecation?: unknown;
  [extra: string]: unknown;
}

/** Kong lists fields as an array of one-key objects, to keep their order. */
export type FieldList = Array<Record<string, FieldSchema>>;

export interface EntitySchema {
  fields: FieldList;
  entity_checks?: unknown[];
  /** Deprecated aliases Kong still accepts and, from 3.6, still returns beside the new fields. */
  shorthand_fields?: FieldList;
  [extra: string]: unknown;
}

/** All schemas one run needs, fetched once (see current/schemas.ts) and handed to the pure diff. */
export interface Schemas {
  /** Keyed by Kind (`service`, `route`…). */
  entities: Partial<Record<string, EntitySchema>>;
  /** Keyed by plugin name. */
  plugins: Record<string, EntitySchema>;
  /** Keyed by vault name (`env`): `GET /schemas/vaults/{name}`, which holds the vault's `config`. */
  vaults?: Record<string, EntitySchema>;
}

const ENTRIES = new WeakMap<FieldList, Array<[string, FieldSchema]>>();

/**
 * A FieldList as [name, schema] pairs. Schemas are read-only once fetched and this is asked
 * for every entity of a run (35k at bench scale), so the pairs are built once per list.
 */
export function fieldEntries(list: FieldList | undefined): Array<[string, FieldSchema]> {
  if (!list) return [];
  let out = ENTRIES.get(list);
  if (!out) {
    out = [];
    for (const item of list) for (const [name, schema] of Object.entries(item)) out.push([name, schema]);
    ENTRIES.set(list, out);
  }
  return out;
}

/**
 * A record's deprecated aliases (Kong ≥ 3.6 puts `redis_host` and friends on plugin `config`
 * records), as its schema lists them.
 */
export function recordShorthands(schema: FieldSchema): FieldList | undefined {
  const s = schema.shorthand_fields;
  return Array.isArray(s) ? (s as FieldList) : undefined;
}
