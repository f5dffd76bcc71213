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
 *
 * `fillDefaultsTracked` also says which fields the object left out (`defaulted`): whatever the
 * entity holds at or under such a path is the node's default (or nothing, Kong's null), not
 * something the file wrote. The plan marks changes there (plan-text.ts), because a default the
 * node changed between versions (Kong 3.14's route `protocols`) or a value set by hand through
 * the Admin API would otherwise look like a change somebody wrote in the file.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { deepClone, isPlainObject } from './values';
import { fieldsOf } from './schema-fields';

export interface FilledDefaults {
  fields: Record<string, unknown>;
  /** Dotted paths of absent `auto` fields: Kong generates them, whatever it holds is accepted. */
  unmanaged: string[];
  /**
   * Dotted paths of fields the object left out, in schema order: each took its schema default,
   * or stays absent when it has none. Elements of lists are not addressed: a list the object
   * writes is its own, even when defaults were filled inside its records.
   */
  defaulted: string[];
}

/** The paths found while filling; local to one call, so the exported functions stay pure. */
interface Found {
  unmanaged: string[];
  defaulted: string[];
}

/** `obj` with Kong's defaults filled in. */
export function fillDefaults(obj: Record<string, unknown>, fields: FieldList | undefined): Record<string, unknown> {
  return fill(obj, fields, { unmanaged: [], defaulted: [] }, '');
}

/** `obj` with Kong's defaults filled in, and which paths were left to Kong (see the file comment). */
export function fillDefaultsTracked(obj: Record<string, unknown>, fields: FieldList | undefined): FilledDefaults {
  const found: Found = { unmanaged: [], defaulted: [] };
  const filled = fill(obj, fields, found, '');
  return { fields: filled, ...found };
}

function fill(obj: Record<string, unknown>, fields: FieldList | undefined, found: Found | null, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const [name, schema] of fieldsOf(fields)) {
    if (schema.type === 'foreign') continue;
    const path = prefix + name;
    const value = obj[name];
    if (value !== undefined) {
      out[name] = complete(value, schema, found, path);
      continue;
    }
    if (schema.auto) {
      found?.unmanaged.push(path);
      continue;
    }
    found?.defaulted.push(path);
    // Everything below a defaulted field is a default too: not tracked again.
    if (schema.default !== undefined) {
      out[name] = complete(deepClone(schema.default), schema, found && { unmanaged: found.unmanaged, defaulted: [] }, path);
    } else if (schema.type === 'record' && schema.required && schema.fields) {
      out[name] = complete({}, schema, found && { unmanaged: found.unmanaged, defaulted: [] }, path);
    }
  }
  return out;
}

function complete(value: unknown, schema: FieldSchema, found: Found | null, path: string): unknown {
  if (schema.type === 'record' && schema.fields && isPlainObject(value)) {
    return fill(value, schema.fields, found, path + '.');
  }
  const el = schema.elements;
  if ((schema.type === 'array' || schema.type === 'set') && el?.type === 'record' && el.fields && Array.isArray(value)) {
    // Values inside list elements cannot be addressed by a dotted path: not tracked.
    return value.map((x) => (isPlainObject(x) ? fill(x, el.fields, null, '') : x));
  }
  return value;
}
