/**
 * The changed leaves between two comparable records, as dotted paths (`config.minute`,
 * `healthchecks.active.http_path`). Records and maps are descended into; lists and scalars
 * are leaves. Paths come in schema order (then unknown keys sorted), so output is stable.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { isPlainObject, sameValue } from './values';
import { fieldMap, fieldsOf } from './schema-fields';
import { getOwn } from '../model/own';

export interface Leaf {
  path: string;
  before: unknown;
  after: unknown;
}

export function leafDiff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  fields: FieldList | undefined,
  prefix = '',
  out: Leaf[] = [],
): Leaf[] {
  const schemaOrder = fieldsOf(fields);
  const byName = fieldMap(fields);
  // Own values only: a key one side lacks (a header named `constructor`) is null there, not Object.
  for (const [name, schema] of schemaOrder) visit(getOwn(before, name), getOwn(after, name), schema, prefix + name, out);
  const others = new Set<string>();
  for (const k of Object.keys(before)) if (!byName.has(k)) others.add(k);
  for (const k of Object.keys(after)) if (!byName.has(k)) others.add(k);
  for (const name of [...others].sort()) visit(getOwn(before, name), getOwn(after, name), undefined, prefix + name, out);
  return out;
}

function visit(b: unknown, a: unknown, schema: FieldSchema | undefined, path: string, out: Leaf[]): void {
  if (sameValue(b, a)) return;
  const bObj = isPlainObject(b);
  const aObj = isPlainObject(a);
  const nested = (bObj || aObj) && (bObj || b == null) && (aObj || a == null);
  if (!nested) {
    out.push({ path, before: b ?? null, after: a ?? null });
    return;
  }
  const bRec = bObj ? b : {};
  const aRec = aObj ? a : {};
  if (schema?.type === 'map') {
    const keys = [...new Set([...Object.keys(bRec), ...Object.keys(aRec)])].sort();
    for (const k of keys) visit(getOwn(bRec, k), getOwn(aRec, k), schema.values, `${path}.${k}`, out);
    return;
  }
  leafDiff(bRec, aRec, schema?.type === 'record' ? schema.fields : undefined, path + '.', out);
}
