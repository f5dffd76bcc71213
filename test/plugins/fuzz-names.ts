/**
 * Request headers and query arguments a client may send, for properties over whole requests
 * through the harness: names biased towards those that break a JS object used as a Lua table
 * (`__proto__`, Object.prototype's members), values of any printable bytes.
 *
 * `__proto__` is left out under kong-pdk's server, which exits on it
 * (test/plugins/jwt-claims/proto-key.harness.test.ts): the other names still run there.
 */
import fc from 'fast-check';
import { TEST_PLUGIN_SERVER } from '../harness/plugin-server-process';

const OBJECT_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf', 'length'];
const TRICKY = TEST_PLUGIN_SERVER === 'project' ? ['__proto__', ...OBJECT_NAMES] : OBJECT_NAMES;

/** A header or argument name: a tricky one, or an ordinary token (underscores included, as Kong's nginx takes them). */
export function fieldName(excluded: readonly string[] = []): fc.Arbitrary<string> {
  // fast-check's string arbitraries draw `__proto__` on their own too
  const lower = new Set([...excluded, ...(TRICKY.includes('__proto__') ? [] : ['__proto__'])].map((n) => n.toLowerCase()));
  return fc
    .oneof({ weight: 1, arbitrary: fc.constantFrom(...TRICKY) }, { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/) })
    .filter((n) => !lower.has(n.toLowerCase()));
}

/** A header value: printable ASCII and tabs (what nginx passes on), possibly empty. */
export const headerValue = fc.string({ unit: fc.constantFrom(...' \t!"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~'.split('')), maxLength: 40 });

export function headers(excluded: readonly string[] = []): fc.Arbitrary<Array<[string, string]>> {
  return fc.array(fc.tuple(fieldName(excluded), headerValue), { maxLength: 6 });
}

/** A query string (without `?`) of such names, `name=value` or a bare flag, each part percent-encoded. */
export function query(excluded: readonly string[] = []): fc.Arbitrary<string> {
  const part = fc.tuple(fieldName(excluded), fc.option(fc.string({ maxLength: 12 }), { nil: undefined }));
  return fc
    .array(part, { maxLength: 5 })
    .map((parts) => parts.map(([k, v]) => (v === undefined ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&'));
}
