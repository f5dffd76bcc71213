/**
 * Secret text to HMAC key bytes. Standard Webhooks secrets are `whsec_` + base64 of random bytes
 * and the reference libraries decode them (Kong's bundled standard-webhooks plugin does not, and
 * so cannot verify real senders); Stripe keys the HMAC with the whole `whsec_…` text; GitHub,
 * Slack and Shopify with the text itself.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import type { SchemeName, SecretEncoding } from './schema';

const WHSEC_PREFIX = 'whsec_';
/** Standard base64, padding optional (the Python reference library accepts unpadded secrets). */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX = /^(?:[0-9a-fA-F]{2})+$/;

export type KeyEncoding = Exclude<SecretEncoding, 'scheme'>;

export function keyEncodingFor(scheme: SchemeName, configured: SecretEncoding): KeyEncoding {
  if (configured !== 'scheme') return configured;
  return scheme === 'standard-webhooks' ? 'base64' : 'text';
}

/** Strict base64 (std alphabet, optional padding) to bytes; undefined when it is not base64. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text === '' || !BASE64.test(text)) return undefined;
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return undefined;
  if (text.length !== unpadded.length && text.length % 4 !== 0) return undefined;
  return Buffer.from(unpadded, 'base64');
}

/** The key bytes, or why the text cannot be one (without the text: it is a secret). */
export function secretBytes(text: string, encoding: KeyEncoding): { ok: true; bytes: Buffer } | { ok: false; error: string } {
  if (text === '') return { ok: false, error: 'is empty' };
  switch (encoding) {
    case 'text':
      return { ok: true, bytes: Buffer.from(text, 'utf8') };
    case 'hex':
      return HEX.test(text) ? { ok: true, bytes: Buffer.from(text, 'hex') } : { ok: false, error: 'is not hex' };
    case 'base64': {
      const body = text.startsWith(WHSEC_PREFIX) ? text.slice(WHSEC_PREFIX.length) : text;
      const bytes = decodeBase64Strict(body);
      if (!bytes || bytes.length === 0) return { ok: false, error: 'is not base64 (optionally prefixed with whsec_)' };
      return { ok: true, bytes };
    }
  }
}

export function secretKey(bytes: Buffer): KeyObject {
  return createSecretKey(bytes);
}
