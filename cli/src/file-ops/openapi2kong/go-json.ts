/**
 * decK builds its output as Go maps and writes them with encoding/json or yaml.v3, both of which
 * sort map keys; the request-validator schemas are Go `json.Marshal` strings embedded in the
 * output, so their exact text (sorted keys, no spaces, `<`, `>` and `&` escaped) is part of what
 * must match.
 */
import { setOwn } from '../../model/own';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function byteOrder(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/** Go's json.Marshal of a map-based value: keys in byte order, HTML characters escaped. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(byteOrder);
  return `{${keys.map((k) => `${goString(k)}:${goJson(obj[k])}`).join(',')}}`;
}

/** A copy with every mapping's keys in Go's order, for output that reads as decK's does. */
export function sortKeysDeep<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeysDeep) as T;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    // setOwn: keys are the user's (a plugin's `headers: { __proto__: … }`), kept as keys.
    for (const k of Object.keys(obj).sort(byteOrder)) if (obj[k] !== undefined) setOwn(out, k, sortKeysDeep(obj[k]));
    return out as T;
  }
  return value;
}

/** Go's sort.Strings: byte order, not UTF-16 code units. */
export function goSort(list: string[]): string[] {
  return list.sort(byteOrder);
}

export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

export { isPlainObject as isObject } from '../../diff/values';
