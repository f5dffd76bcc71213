/**
 * The comparable form of a value, driven by its schema: `set` fields (route `methods`,
 * `protocols`, `snis`, every `tags`, plugin config sets) become sorted, de-duplicated lists
 * so their order never matters; `array` fields keep their order (route `paths` order is
 * meaningful). Values without a schema are compared as plain JSON.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { fieldMap } from './schema-fields';
import { isPlainObject, stableStringify } from './values';
import { setOwn } from '../model/own';

export function canonicalRecord(obj: Record<string, unknown>, fields: FieldList | undefined): Record<string, unknown> {
  const byName = fieldMap(fields);
  const out: Record<string, unknown> = {};
  // setOwn: a map's keys are the user's (a header named `__proto__` would otherwise vanish).
  for (const [k, v] of Object.entries(obj)) setOwn(out, k, canonicalValue(v, byName.get(k)));
  return out;
}

export function canonicalValue(v: unknown, schema: FieldSchema | undefined): unknown {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    const items = v.map((x) => canonicalValue(x, schema?.elements));
    if (schema?.type !== 'set') return items;
    const unique = new Map<string, unknown>();
    for (const x of items) unique.set(stableStringify(x), x);
    return [...unique.keys()].sort().map((k) => unique.get(k));
  }
  if (isPlainObject(v)) {
    if (schema?.type === 'record') return canonicalRecord(v, schema.fields);
    if (schema?.type === 'map') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) setOwn(out, k, canonicalValue(x, schema.values));
      return out;
    }
    return canonicalRecord(v, undefined);
  }
  return v;
}
