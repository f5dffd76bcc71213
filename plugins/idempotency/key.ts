/**
 * Reading the Idempotency-Key header. The IETF draft (draft-ietf-httpapi-idempotency-key-header)
 * makes it a Structured Field Item of type String: `Idempotency-Key: "8e03978e-…"` (RFC 8941
 * §3.3.3: printable ASCII, `\"` and `\\` escapes). Stripe and most clients send the bare value,
 * so a bare token of visible ASCII is accepted too. Anything else is malformed: whitespace or
 * commas in a bare value (a list of keys folded into one line), control or non-ASCII characters,
 * parameters, an empty key, or more than one header.
 */

export type KeyResult =
  | { ok: true; key: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'too_long' };

/** RFC 8941 §4.2.5 Parsing a String, for a whole (trimmed) field value. */
function parseSfString(text: string): string | undefined {
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c === '"') {
      return i === text.length - 1 ? out : undefined;
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) return undefined;
      out += c;
    }
  }
  return undefined;
}

const BARE_KEY = /^[\x21\x23-\x2b\x2d-\x7e]+$/;

/** The key from the header's values (as Kong lists them), within `maxLength` characters. */
export function readIdempotencyKey(values: readonly string[], maxLength: number): KeyResult {
  if (values.length === 0) return { ok: false, reason: 'missing' };
  if (values.length > 1) return { ok: false, reason: 'malformed' };
  const text = values[0]!.replace(/^[ \t]+|[ \t]+$/g, '');
  let key: string | undefined;
  if (text.startsWith('"')) key = parseSfString(text);
  else if (BARE_KEY.test(text)) key = text;
  if (key === undefined || key === '') return { ok: false, reason: 'malformed' };
  if (key.length > maxLength) return { ok: false, reason: 'too_long' };
  return { ok: true, key };
}
