/**
 * Deprecated shorthand fields (`shorthand_fields` of an entity or of a record such as a
 * plugin's `config`). Kong accepts them on write and translates them to the canonical
 * fields; from 3.6 on it also returns them, beside the canonical ones (rate-limiting answers
 * with `redis_host` and `redis.host`). Only canonical fields are compared:
 *  - a shorthand in the desired config is moved to its canonical place first;
 *  - a shorthand Kong echoes back is dropped, unless the file uses that same shorthand and
 *    it could not be translated: then the echo is the only thing to compare it with.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { fieldMap, fieldsOf, recordShorthands } from './schema-fields';
import { isPlainObject } from './values';

/** The canonical path (relative to the record) a shorthand stands for, or null if unknown. */
export function shorthandTarget(name: string, short: FieldSchema, fields: Map<string, FieldSchema>): string[] | null {
  // Newer Kongs publish the reverse mapping of some shorthands; use it when present.
  const back = short.translate_backwards;
  if (Array.isArray(back) && back.length > 0 && back.every((s) => typeof s === 'string')) return back as string[];
  // Otherwise the schema JSON carries no translation (the translation is a Lua function).
  // Kong's 3.6 move of Redis settings follows one convention, `redis_<x>` → `redis.<x>`;
  // it is applied only when this schema really has both the shorthand and that record field.
  const m = /^redis_(.+)$/.exec(name);
  if (m) {
    const redis = fields.get('redis');
    if (redis?.type === 'record' && fieldMap(redis.fields).has(m[1])) return ['redis', m[1]];
  }
  return null;
}

/**
 * Desired side: move translatable shorthands to their canonical field (an explicitly given
 * canonical value wins), recursively through records. `masked` paths are rewritten in place.
 */
export function translateShorthands(
  obj: Record<string, unknown>,
  fields: FieldList | undefined,
  shorthands: FieldList | undefined,
  masked: string[],
  prefix = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  const byName = fieldMap(fields);
  for (const [name, short] of fieldsOf(shorthands)) {
    if (out[name] === undefined) continue;
    const target = shorthandTarget(name, short, byName);
    if (!target) continue;
    const value = out[name];
    delete out[name];
    setIfAbsent(out, target, value);
    const from = prefix + name;
    const to = prefix + target.join('.');
    for (let i = 0; i < masked.length; i++) if (masked[i] === from) masked[i] = to;
  }
  for (const [name, schema] of byName) {
    const v = out[name];
    if (schema.type === 'record' && schema.fields && isPlainObject(v)) {
      out[name] = translateShorthands(v, schema.fields, recordShorthands(schema), masked, `${prefix}${name}.`);
    }
  }
  return out;
}

function setIfAbsent(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    const copy: Record<string, unknown> = isPlainObject(next) ? { ...next } : {};
    cur[seg] = copy;
    cur = copy;
  }
  const last = path[path.length - 1];
  if (cur[last] === undefined || cur[last] === null) cur[last] = value;
}

/** Both sides without the shorthand keys that must not be compared (see the file comment). */
export function dropShorthands(
  desired: Record<string, unknown>,
  current: Record<string, unknown>,
  fields: FieldList | undefined,
  shorthands: FieldList | undefined,
): [Record<string, unknown>, Record<string, unknown>] {
  const d: Record<string, unknown> = { ...desired };
  const c: Record<string, unknown> = { ...current };
  for (const [name] of fieldsOf(shorthands)) {
    const both = d[name] !== undefined && d[name] !== null && c[name] !== undefined;
    if (!both) {
      delete d[name];
      delete c[name];
    }
  }
  for (const [name, schema] of fieldMap(fields)) {
    if (schema.type !== 'record' || !schema.fields) continue;
    const dv = d[name];
    const cv = c[name];
    if (isPlainObject(dv) || isPlainObject(cv)) {
      const [dn, cn] = dropShorthands(
        isPlainObject(dv) ? dv : {},
        isPlainObject(cv) ? cv : {},
        schema.fields,
        recordShorthands(schema),
      );
      if (isPlainObject(dv)) d[name] = dn;
      if (isPlainObject(cv)) c[name] = cn;
    }
  }
  return [d, c];
}
