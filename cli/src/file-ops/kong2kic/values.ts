/**
 * Reading decK's file content as decK's Go types would: a field of the wrong type is as good
 * as absent (Go would have refused the file; kong2kic never sees it), and references may be
 * written as a name or id, or as `{ name }` / `{ id }`.
 */
import { isPlainObject } from '../../diff/values';
import type { Obj } from './types';

export const isObj = isPlainObject;

export function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' ? v : undefined;
}

export function bool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function list(o: Obj, key: string): unknown[] | undefined {
  const v = o[key];
  return Array.isArray(v) ? v : undefined;
}

export function objs(o: Obj, key: string): Obj[] {
  return (list(o, key) ?? []).filter(isObj);
}

export function strings(o: Obj, key: string): string[] | undefined {
  const l = list(o, key);
  return l?.filter((x): x is string => typeof x === 'string');
}

/** A Go value printed into a string (credential fields are strings in Kubernetes Secrets). */
export function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The names and ids a reference field (`service: x`, `service: { name: x }`, `consumer: { username: x }`) can stand for. */
export function refKeys(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (isObj(v)) return [v.name, v.id, v.username].filter((x): x is string => typeof x === 'string');
  return [];
}

/** Whether `ref` names `entity`, by its `nameField` or its id. */
export function refersTo(ref: unknown, entity: Obj, nameField: string): boolean {
  return refKeys(ref).some((k) => k === str(entity, nameField) || k === str(entity, 'id'));
}

/** The `konghq.com/tags` annotation, when there are tags. */
export function addTags(annotations: Obj, tags: unknown): void {
  if (!Array.isArray(tags)) return;
  const t = tags.filter((x): x is string => typeof x === 'string');
  if (t.length) annotations['konghq.com/tags'] = t.join(',');
}

export function addPluginAnnotation(annotations: Obj, name: string): void {
  const existing = annotations['konghq.com/plugins'];
  annotations['konghq.com/plugins'] = typeof existing === 'string' && existing !== '' ? `${existing},${name}` : name;
}

/** ObjectMeta as Go writes it: empty annotation and label maps are left out (omitempty). */
export function metadata(name: string, annotations: Obj = {}, labels: Obj = {}): Obj {
  const m: Obj = { name };
  if (Object.keys(annotations).length) m.annotations = annotations;
  if (Object.keys(labels).length) m.labels = labels;
  return m;
}
