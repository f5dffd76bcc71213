/**
 * Lua strings as JavaScript strings, without losing a byte.
 *
 * A Lua string is bytes. Kong packs every one as a MessagePack `str` (only raw bodies go as
 * `bin`), so a `str` may hold bytes that are not UTF-8: a raw request target (`/a\xFC` in
 * `$request`), a Latin-1 upstream header. A lenient UTF-8 decoder turns such bytes into U+FFFD (or
 * folds an overlong `\xC1\x81` into "A"): two different strings come out equal, and sending one
 * back does not give Kong its bytes.
 *
 * "surrogateescape" (as Python's): strict UTF-8 decodes as usual, and each byte of an invalid
 * sequence becomes the lone surrogate U+DC80 + (byte − 0x80) (only bytes ≥ 0x80 can be invalid).
 * No valid UTF-8 decodes to a lone surrogate, so the mapping is injective, and encoding maps those
 * surrogates back to their bytes: `rawBytes(decodeLuaString(b))` is `b` for every `b`. On valid
 * UTF-8 both directions are plain UTF-8, so nothing changes for the strings Kong usually sends.
 * Strict is TextDecoder's `fatal`: overlong forms, encoded surrogates (ED A0..BF ..), code points
 * above U+10FFFF and truncated sequences are invalid.
 */

/** Longer strings try the native decoder first (what @msgpack/msgpack does above 200 bytes). */
const NATIVE_DECODE_THRESHOLD = 200;
// ignoreBOM: a leading EF BB BF is part of the string's bytes, not a marker to drop
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const CHUNK = 4096;

/** The string for `length` bytes of `bytes` from `offset`, invalid bytes escaped. */
export function decodeLuaString(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (length > NATIVE_DECODE_THRESHOLD) {
    try {
      return strictDecoder.decode(bytes.subarray(offset, offset + length));
    } catch {
      // invalid somewhere: the escaping decoder below, only for such strings
    }
  }
  return escapingDecode(bytes, offset, offset + length);
}

/** Strict UTF-8 with surrogateescape, one pass; invalid bytes escaped one at a time. */
function escapingDecode(b: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let result = '';
  let i = start;
  while (i < end) {
    const b1 = b[i]!;
    if (b1 < 0x80) {
      units.push(b1);
      i++;
    } else {
      let cp = -1;
      let n = 1;
      if (b1 >= 0xc2 && b1 <= 0xdf) {
        if (i + 1 < end) {
          const b2 = b[i + 1]!;
          if ((b2 & 0xc0) === 0x80) {
            cp = ((b1 & 0x1f) << 6) | (b2 & 0x3f);
            n = 2;
          }
        }
      } else if (b1 >= 0xe0 && b1 <= 0xef) {
        if (i + 2 < end) {
          const b2 = b[i + 1]!;
          const b3 = b[i + 2]!;
          // E0 needs A0.. (else overlong), ED ..9F (else an encoded surrogate)
          const lo = b1 === 0xe0 ? 0xa0 : 0x80;
          const hi = b1 === 0xed ? 0x9f : 0xbf;
          if (b2 >= lo && b2 <= hi && (b3 & 0xc0) === 0x80) {
            cp = ((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
            n = 3;
          }
        }
      } else if (b1 >= 0xf0 && b1 <= 0xf4) {
        if (i + 3 < end) {
          const b2 = b[i + 1]!;
          const b3 = b[i + 2]!;
          const b4 = b[i + 3]!;
          // F0 needs 90.. (else overlong), F4 ..8F (else above U+10FFFF)
          const lo = b1 === 0xf0 ? 0x90 : 0x80;
          const hi = b1 === 0xf4 ? 0x8f : 0xbf;
          if (b2 >= lo && b2 <= hi && (b3 & 0xc0) === 0x80 && (b4 & 0xc0) === 0x80) {
            cp = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f);
            n = 4;
          }
        }
      }
      if (cp < 0) {
        // U+DC80 + (b1 - 0x80); the bytes after b1 are looked at again on their own, which
        // escapes a truncated sequence's continuation bytes too (they are invalid as leads)
        units.push(0xdc00 | b1);
      } else if (cp > 0xffff) {
        const v = cp - 0x10000;
        units.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
      } else {
        units.push(cp);
      }
      i += n;
    }
    if (units.length >= CHUNK) {
      result += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  if (units.length > 0) result += String.fromCharCode(...units);
  return result;
}

const wellFormed = (String.prototype as unknown as { isWellFormed?: () => boolean }).isWellFormed;

/** Whether `s` has no lone surrogate (then its bytes are plain UTF-8). */
export function isWellFormed(s: string): boolean {
  if (wellFormed !== undefined) return wellFormed.call(s);
  return !/\p{Cs}/u.test(s);
}

/** How many bytes `s` stands for (see {@link encodeLuaStringInto}). */
export function luaStringByteLength(s: string): number {
  let n = 0;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else if (c >= 0xdc80 && c <= 0xdcff) n += 1;
    else n += 3; // other lone surrogates: U+FFFD
  }
  return n;
}

/**
 * Writes the bytes `s` stands for at `out[at]` (room for {@link luaStringByteLength} bytes);
 * returns the end offset. U+DC80..U+DCFF alone are the bytes 0x80..0xFF they escape; any other lone
 * surrogate is U+FFFD, as TextEncoder and Buffer write it.
 */
export function encodeLuaStringInto(s: string, out: Uint8Array, at: number): number {
  let p = at;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        const cp = 0x10000 + ((c & 0x3ff) << 10) + (next & 0x3ff);
        out[p++] = 0xf0 | (cp >> 18);
        out[p++] = 0x80 | ((cp >> 12) & 0x3f);
        out[p++] = 0x80 | ((cp >> 6) & 0x3f);
        out[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      if (c >= 0xdc80 && c <= 0xdcff) {
        out[p++] = c & 0xff;
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/**
 * The bytes Kong sent for a string the plugin server decoded (or will send for one a plugin
 * builds): what to hash or compare when bytes matter. Buffer.from(s, 'utf8') for every string
 * without lone surrogates, so hashes of valid strings are what they always were.
 */
export function rawBytes(s: string): Buffer {
  if (isWellFormed(s)) return Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(luaStringByteLength(s));
  encodeLuaStringInto(s, out, 0);
  return out;
}
