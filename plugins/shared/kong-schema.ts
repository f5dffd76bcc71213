/**
 * Kong's schema format for a plugin's `Schema` export: the fields of its `config` record, as an
 * array of one-key objects (to keep their order). kong-pdk serves it to Kong (GetPluginInfo and
 * `--dump-all-plugins`), Kong validates every Admin API write against it, and `kong-ctl validate`
 * checks configs offline against the very same value (plugins/registry.ts).
 *
 * Kong checks a plugin schema against its metaschema, where `default` has type "self": a default
 * is validated against its own field. So a `required` field cannot carry a null default; our
 * convention is a `default` on every optional field (null meaning "unset") and none on required
 * ones, which Kong refuses to store without a value anyway.
 */

export type KongFieldType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'array'
  | 'set'
  | 'map'
  | 'record';

/** An element schema (`elements` of arrays and sets, `keys`/`values` of maps). */
export type KongElement = {
  type: KongFieldType;
  one_of?: Array<string | number>;
  between?: [number, number];
  len_min?: number;
  len_max?: number;
  fields?: KongFieldList;
  entity_checks?: Array<Record<string, unknown>>;
};

export type KongField = KongElement & {
  description: string;
  required?: boolean;
  default?: unknown;
  elements?: KongElement;
  keys?: KongElement;
  values?: KongElement;
  gt?: number;
  referenceable?: boolean;
  encrypted?: boolean;
};

export type KongFieldList = Array<Record<string, KongField>>;

/** [name, field] pairs of a field list. */
export function schemaEntries(fields: KongFieldList): Array<[string, KongField]> {
  const out: Array<[string, KongField]> = [];
  for (const item of fields) for (const [name, field] of Object.entries(item)) out.push([name, field]);
  return out;
}
