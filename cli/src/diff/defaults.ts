/**
 * Kong's default filling (kong/db/schema/init.lua: `handle_missing_field`,
 * `adjust_field_for_context`), replayed on a desired entity with the schemas the live node
 * returned — never with defaults written down here, which differ between Kong versions.
 *  - an absent field takes its schema `default` (a copy: defaults can be lists or records);
 *  - an absent `required` record without a default becomes `{}` and is filled in turn, which
 *    is how a plugin's `config` gets all its defaults;
 *  - records are filled recursively, also as elements of arrays and sets;
 *  - an absent `auto` field is one Kong generates (ids, jwt keys and secrets): it is reported
 *    as unmanaged so the comparison takes whatever Kong generated;
 *  - `foreign` fields are skipped: foreign keys live in `Entity.refs`.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { deepClone, isPlainObject } from './values';
import { fieldsOf } from './schema-fields';

export function fillDefaults(
  obj: Record<string, unknown>,
  fields: FieldList | undefined,
  unmanaged: string[] = [],
  prefix = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const [name, schema] of fieldsOf(fields)) {
    if (schema.type === 'foreign') continue;
    const path = prefix + name;
    const value = obj[name];
    if (value !== undefined) {
      out[name] = complete(value, schema, unmanaged, path);
    } else if (schema.auto) {
      unmanaged.push(path);
    } else if (schema.default !== undefined) {
      out[name] = complete(deepClone(schema.default), schema, unmanaged, path);
    } else if (schema.type === 'record' && schema.required && schema.fields) {
      out[name] = complete({}, schema, unmanaged, path);
    }
  }
  return out;
}

function complete(value: unknown, schema: FieldSchema, unmanaged: string[], path: string): unknown {
  if (schema.type === 'record' && schema.fields && isPlainObject(value)) {
    return fillDefaults(value, schema.fields, unmanaged, path + '.');
  }
  const el = schema.elements;
  if ((schema.type === 'array' || schema.type === 'set') && el?.type === 'record' && el.fields && Array.isArray(value)) {
    // Generated values inside list elements cannot be addressed by a dotted path: not tracked.
    return value.map((x) => (isPlainObject(x) ? fillDefaults(x, el.fields, [], '') : x));
  }
  return value;
}
