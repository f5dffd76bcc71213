import { getOwn, setOwn } from '../model/own';

/**
 * Value helpers shared by normalisation and comparison. "Empty" is Kong's idea of nothing:
 * Kong returns unset collections as `null` while a file may write `[]`, so absent, null, an
 * empty list and an empty object all mean the same thing when two values are compared.
 */

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.values(v).every(isEmptyValue);
  return false;
}

/** JSON with object keys sorted: one string per value, whatever order its keys arrived in. */
export function stableStringify(v: unknown): string {
  if (v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Structural equality where an empty value equals any other empty value (see the file comment). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (isEmptyValue(a) && isEmptyValue(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    // Own values only: a key on one side only (a header named `constructor`) is compared with nothing.
    for (const k of keys) if (!sameValue(getOwn(a, k), getOwn(b, k))) return false;
    return true;
  }
  return a === b;
}

export function deepClone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepClone) as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k, deepClone(x));
    return out as T;
  }
  return v;
}

/** Does dotted path `a` equal `b` or lie above or below it (`config` / `config.redis.host`)? */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(b + '.') || b.startsWith(a + '.');
}
