/**
 * HMAC over the signed content with every configured key, and the constant-time search for a
 * presented signature equal to one of them. One HMAC pass per key (not per presented signature);
 * every (key, signature) pair is compared with `timingSafeEqual` on equal-length buffers and the
 * loops never stop at the first match, so the time taken says nothing about which secret or
 * which signature matched. Presented signatures are decoded to exactly the digest length before
 * they get here: the only length that could leak is the algorithm's, which is public.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { ContentPart, ContentValues } from './content';
import type { Algorithm, SignatureEncoding } from './schema';
import { decodeBase64Strict } from './secrets';
import { rawBytes } from '../shared/raw-string';

export const DIGEST_LENGTH: Record<Algorithm, number> = { sha1: 20, sha256: 32, sha512: 64 };

const HEX = /^[0-9a-fA-F]+$/;
const LOWERCASE_HEX = /^[0-9a-f]+$/;

/**
 * How a signature is written: a custom scheme's configured encoding, or `lowercase-hex`, the only
 * spelling GitHub, Stripe and Slack send and the one their libraries accept (they compare the text).
 */
export type SignatureText = SignatureEncoding | 'lowercase-hex';

/**
 * A presented signature's bytes, or undefined unless it decodes to exactly `length` bytes.
 * Base64 must be the canonical encoding of those bytes (padding optional): the decoder ignores the
 * unused low bits of the last symbol, so without this check 4 different header texts (16 for a
 * sha512 digest) would pass as the one signature the sender made, and an upstream or log that
 * compares signature text, as the reference libraries do, would disagree with the gateway
 * (RFC 4648 §3.5 lets a decoder reject non-zero pad bits). For the same reason the built-in hex
 * schemes take lowercase only (`lowercase-hex`); a custom sender's `hex` may be in either case.
 */
export function decodeSignature(text: string, encoding: SignatureText, length: number): Buffer | undefined {
  if (encoding === 'hex' || encoding === 'lowercase-hex') {
    const digits = encoding === 'hex' ? HEX : LOWERCASE_HEX;
    return text.length === length * 2 && digits.test(text) ? Buffer.from(text, 'hex') : undefined;
  }
  const bytes = decodeBase64Strict(text);
  if (!bytes || bytes.length !== length) return undefined;
  return bytes.toString('base64').replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : undefined;
}

export function hmac(key: KeyObject, algorithm: Algorithm, parts: readonly ContentPart[], values: ContentValues): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) {
    switch (part.kind) {
      case 'literal':
        mac.update(part.bytes);
        break;
      // The sender signed the header's bytes: a Lua string Kong sent as is, kept byte for byte by
      // the project's plugin server (an id with a raw Latin-1 byte would not verify as UTF-8).
      case 'id':
        mac.update(rawBytes(values.id ?? ''));
        break;
      case 'timestamp':
        mac.update(rawBytes(values.timestamp ?? ''));
        break;
      case 'body':
        mac.update(values.body);
        break;
    }
  }
  return mac.digest();
}

/** Whether any presented signature equals the HMAC under any key. */
export function anySignatureMatches(
  keys: readonly KeyObject[],
  algorithm: Algorithm,
  parts: readonly ContentPart[],
  values: ContentValues,
  presented: readonly Buffer[],
): boolean {
  let matched = 0;
  for (const key of keys) {
    const expected = hmac(key, algorithm, parts, values);
    for (const candidate of presented) {
      // Lengths are equal by construction (decodeSignature); checked again so that a caller's
      // mistake is a non-match, never a RangeError from timingSafeEqual.
      const equal = candidate.length === expected.length && timingSafeEqual(candidate, expected);
      matched |= equal ? 1 : 0;
    }
  }
  return matched === 1;
}
