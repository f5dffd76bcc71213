/**
 * Objects that hold names a user chose (a plugin's `headers` or `custom_fields_by_lua`, a map
 * walked by a generic copy) must read and write own keys only. Plain `o[k] = v` with k
 * `__proto__` sets the prototype instead of a key (the key is silently lost), and `o[k]` with k
 * `constructor` or `toString` finds Object.prototype's function where there is no such key.
 * Kong keeps such keys like any other (a Lua table), and so do JSON.parse and the `yaml` parser.
 */

/** Sets `k` as an own, enumerable key of `o`, whatever its name (what JSON.parse does). */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  // Object.prototype's only setter is `__proto__`; its other members are writable data, which
  // assignment shadows with an own key. Plain assignment keeps the copies of large configs fast.
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

/** `o[k]` when `o` has `k` itself; undefined otherwise, never an inherited member. */
export function getOwn(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}
