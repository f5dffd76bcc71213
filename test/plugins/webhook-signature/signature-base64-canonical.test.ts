/**
 * A base64 signature counts only in the canonical encoding of its digest (the padding may be left
 * out, nothing else may differ), RFC 4648 §3.5. Found by review: the decoder drops the unused low
 * bits of the last base64 symbol, so the 43-symbol encoding of a 32-byte HMAC had 4 spellings
 * (an 86-symbol sha512 one, 16) that all passed as the sender's one signature. No forgery, but a
 * relay could rewrite a genuine signature into text the sender never produced and still get
 * through, while an upstream re-verifying with the reference libraries (which compare the base64
 * text) would refuse it, and anything keyed on the signature text could be sidestepped.
 * Covers standard-webhooks (`v1,<base64>`), shopify and custom with `signature_encoding: base64`.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeSignature } from '../../../plugins/webhook-signature/signature';
import { compiled, verdict } from './pure';
import { newWhsec, shopifyHeader, standardHeaders } from './signing';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const T = 1_700_000_000;

/** The same bytes with different (non-zero) pad bits in the last symbol. */
function nonCanonical(b64: string): string {
  const unpadded = b64.replace(/=+$/, '');
  const last = unpadded[unpadded.length - 1]!;
  const changed = ALPHABET[ALPHABET.indexOf(last) ^ 1]!;
  return `${unpadded.slice(0, -1)}${changed}${b64.slice(unpadded.length)}`;
}

/** Every other spelling of `b64` that a lenient decoder reads as the same bytes. */
function allNonCanonical(b64: string): string[] {
  const unpadded = b64.replace(/=+$/, '');
  const padding = b64.slice(unpadded.length);
  const index = ALPHABET.indexOf(unpadded[unpadded.length - 1]!);
  const unusedBits = padding.length === 1 ? 2 : padding.length === 2 ? 4 : 0;
  const out: string[] = [];
  for (let low = 1; low < 1 << unusedBits; low++) out.push(`${unpadded.slice(0, -1)}${ALPHABET[index ^ low]}${padding}`);
  return out;
}

describe('base64 signatures: only the canonical encoding matches', () => {
  it('standard-webhooks', () => {
    const secret = newWhsec();
    const config = compiled({ secrets: [secret] });
    const body = '{"type":"invoice.paid"}';
    const [id, ts, sig] = standardHeaders(secret, 'msg_1', T, body);
    expect(verdict(config, [id!, ts!, sig!], body, T)).toBe('ok'); // control
    const forged = `v1,${nonCanonical(sig![1].slice(3))}`;
    expect(forged).not.toBe(sig![1]);
    expect(verdict(config, [id!, ts!, ['webhook-signature', forged]], body, T)).not.toBe('ok');
    // every other spelling of the digest, not only one of them
    const variants = allNonCanonical(sig![1].slice(3));
    expect(variants).toHaveLength(3);
    for (const variant of variants) {
      expect(verdict(config, [id!, ts!, ['webhook-signature', `v1,${variant}`]], body, T)).toBe('malformed_header: webhook-signature');
    }
  });

  it('shopify', () => {
    const config = compiled({ scheme: 'shopify', secrets: ['shopify-secret'] });
    const body = '{"id":1}';
    const genuine = shopifyHeader('shopify-secret', body);
    expect(verdict(config, [['X-Shopify-Hmac-Sha256', genuine]], body, T)).toBe('ok'); // control
    expect(verdict(config, [['X-Shopify-Hmac-Sha256', nonCanonical(genuine)]], body, T)).not.toBe('ok');
    // the padding stays optional: the canonical text without its '=' still verifies
    expect(verdict(config, [['X-Shopify-Hmac-Sha256', genuine.replace(/=+$/, '')]], body, T)).toBe('ok');
  });

  it('custom base64 with sha512: the 15 other spellings of the digest are refused', () => {
    const config = compiled({
      scheme: 'custom',
      algorithm: 'sha512',
      secrets: ['acme'],
      custom: { signature_header: 'X-Sig', signature_encoding: 'base64' },
    });
    const body = '{"event":"x"}';
    const genuine = createHmac('sha512', 'acme').update(body).digest('base64');
    expect(genuine).toMatch(/[^=]==$/);
    expect(verdict(config, [['X-Sig', genuine]], body, T)).toBe('ok'); // control
    const variants = allNonCanonical(genuine);
    expect(variants).toHaveLength(15);
    for (const variant of variants) expect(verdict(config, [['X-Sig', variant]], body, T)).toBe('malformed_header: X-Sig');
  });

  it('decodeSignature: canonical base64, padded or not, decodes; pad bits set do not', () => {
    const digest = Buffer.alloc(32, 0xab);
    const text = digest.toString('base64');
    expect(decodeSignature(text, 'base64', 32)).toEqual(digest);
    expect(decodeSignature(text.replace(/=+$/, ''), 'base64', 32)).toEqual(digest);
    for (const variant of allNonCanonical(text)) expect(decodeSignature(variant, 'base64', 32)).toBeUndefined();
    // a length without unused bits (30 bytes = 40 symbols) has a single spelling, which decodes
    const exact = Buffer.alloc(30, 0x5c);
    expect(decodeSignature(exact.toString('base64'), 'base64', 30)).toEqual(exact);
  });
});
