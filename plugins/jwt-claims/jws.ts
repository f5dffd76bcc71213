/**
 * Compact JWS parsing (RFC 7515 §7.1), strict: exactly three canonical base64url segments,
 * header and payload each the UTF-8 of a JSON object, no `crit` extensions. Key hints in the
 * header (`jku`, `jwk`, `x5u`, `x5c`) are ignored: keys only ever come from the config.
 */
import { fail, ok, type Result } from './failures';

/** Far above any real access token; keeps a hostile header from costing much to decode. */
export const MAX_TOKEN_LENGTH = 16384;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface ParsedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)). */
  signingInput: Buffer;
  signature: Buffer;
}

/**
 * Decode one base64url segment, refusing non-canonical encodings: Node's decoder ignores stray
 * trailing bits, so `…Rw` and `…Rx` would decode alike and two different strings would be "the
 * same" token. Re-encoding must give the segment back.
 */
export function decodeBase64Url(segment: string): Buffer | undefined {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : undefined;
}

/**
 * RFC 7515 §5.2 steps 3-4, RFC 7519 §7.2 step 10: the octets must be UTF-8 of a JSON object.
 * Buffer.toString('utf8') would put U+FFFD in place of bytes that are not UTF-8, so that
 * different tokens decode to the same claims; this decoder refuses them instead, and keeps a
 * byte order mark (which JSON.parse then refuses: RFC 8259 §8.1, no producer sends one).
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function parseJsonObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function parseJws(token: string): Result<ParsedJws> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return fail('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) return fail('malformed');
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = decodeBase64Url(h);
  const payloadBytes = decodeBase64Url(p);
  // An empty signature (`alg: none`) parses, so that it is refused as an algorithm, not as noise.
  const signature = s === '' ? Buffer.alloc(0) : decodeBase64Url(s);
  if (!headerBytes || !payloadBytes || !signature) return fail('malformed');
  const header = parseJsonObject(headerBytes);
  const payload = parseJsonObject(payloadBytes);
  if (!header || !payload) return fail('malformed');
  if (typeof header.alg !== 'string') return fail('malformed');
  // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; this verifier knows none.
  if (header.crit !== undefined) return fail('malformed');
  if (header.kid !== undefined && typeof header.kid !== 'string') return fail('malformed');
  return ok({ header, payload, signingInput: Buffer.from(`${h}.${p}`, 'ascii'), signature });
}
