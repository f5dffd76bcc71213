/**
 * Where each sender puts its signature(s), timestamp and id, and what it signs. `extract` turns the
 * request headers into what verification needs, or the first failed check: a missing header, a
 * malformed one (sent twice, empty, unparsable timestamp, no decodable signature), or a header
 * holding only signatures of versions we do not verify (Standard Webhooks `v1a` ed25519, Stripe
 * `v0`…, which are skipped like the reference libraries skip them).
 */
import { BODY_CONTENT, SLACK_CONTENT, STANDARD_CONTENT, STRIPE_CONTENT, uses, type ContentPart } from './content';
import { fail, type Result } from './failures';
import { singleHeader, trimOws, type HeaderMap } from './headers';
import type { Algorithm, CustomSchemeConfig, SchemeName } from './schema';
import { DIGEST_LENGTH, decodeSignature, type SignatureText } from './signature';

export interface Presented {
  id?: string;
  /** The header text (what is signed) and its value in Unix seconds. */
  timestamp?: { text: string; seconds: number };
  /** Decoded signatures of the supported version, each exactly one digest long. */
  signatures: Buffer[];
}

/**
 * Where the event id for de-duplication is: a header the signature does NOT cover (`header`), a
 * JSON field of the verified body, or the id the signature covers (Presented.id; `signedId` names
 * its header). Only `header` ids can be paired with any body by whoever replays a delivery, so
 * only they are keyed together with the body (dedup.ts `dedupKey`).
 */
export type EventIdSource = { header: string } | { jsonField: string } | { signedId: string };

export interface CompiledScheme {
  name: SchemeName;
  algorithm: Algorithm;
  content: readonly ContentPart[];
  /** Whether the scheme carries a signed timestamp (checked against the tolerance). */
  timestamped: boolean;
  defaultEventId: EventIdSource | undefined;
  extract(headers: HeaderMap): Result<Presented>;
}

/** More signatures than this in one header is not a rotation, it is an attempt to make us work. */
export const MAX_SIGNATURES = 32;

const UNIX_SECONDS = /^[0-9]{1,15}$/;

function timestampFrom(headers: HeaderMap, display: string): Result<{ text: string; seconds: number }> {
  const found = singleHeader(headers, display);
  if (!found.ok) return found;
  if (!UNIX_SECONDS.test(found.value)) return fail('malformed_header', display);
  return { ok: true, value: { text: found.value, seconds: Number(found.value) } };
}

/**
 * Signatures from header entries: `versioned(entry)` gives the signature text when the entry is
 * of the supported version. None of that version: no_supported_signature; some, but none decodes
 * to a digest: malformed.
 */
function signaturesFrom(
  entries: readonly string[],
  display: string,
  versioned: (entry: string) => string | undefined,
  encoding: SignatureText,
  length: number,
): Result<Buffer[]> {
  if (entries.length > MAX_SIGNATURES) return fail('malformed_header', display);
  let seen = false;
  const signatures: Buffer[] = [];
  for (const entry of entries) {
    const text = versioned(entry);
    if (text === undefined) continue;
    seen = true;
    const bytes = decodeSignature(text, encoding, length);
    if (bytes) signatures.push(bytes);
  }
  if (!seen) return fail('no_supported_signature', display);
  if (signatures.length === 0) return fail('malformed_header', display);
  return { ok: true, value: signatures };
}

const withPrefix = (prefix: string) => (entry: string) => (entry.startsWith(prefix) ? entry.slice(prefix.length) : undefined);

/**
 * Standard Webhooks' three headers, and the same three as Svix sends them. Svix wrote the
 * standard and its libraries verify either set; senders built on it (Clerk, Resend…) send `svix-*`.
 */
const STANDARD_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;
const SVIX_HEADERS = { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' } as const;
type HeaderSet = typeof STANDARD_HEADERS | typeof SVIX_HEADERS;

/**
 * One set, never a mix: `svix-*` when the request carries none of the `webhook-*` headers and
 * some `svix-*` one; else `webhook-*`, whose missing header the failure then names.
 */
function headerSetOf(headers: HeaderMap): HeaderSet {
  const has = (set: HeaderSet) => headers.has(set.id) || headers.has(set.timestamp) || headers.has(set.signature);
  return !has(STANDARD_HEADERS) && has(SVIX_HEADERS) ? SVIX_HEADERS : STANDARD_HEADERS;
}

function standardWebhooks(): CompiledScheme {
  const length = DIGEST_LENGTH.sha256;
  return {
    name: 'standard-webhooks',
    algorithm: 'sha256',
    content: STANDARD_CONTENT,
    timestamped: true,
    // the signed id, from whichever set the delivery uses
    defaultEventId: { signedId: STANDARD_HEADERS.id },
    extract(headers) {
      const set = headerSetOf(headers);
      const id = singleHeader(headers, set.id);
      if (!id.ok) return id;
      const timestamp = timestampFrom(headers, set.timestamp);
      if (!timestamp.ok) return timestamp;
      const header = singleHeader(headers, set.signature);
      if (!header.ok) return header;
      const entries = header.value.split(' ').filter((e) => e !== '');
      const signatures = signaturesFrom(entries, set.signature, withPrefix('v1,'), 'base64', length);
      if (!signatures.ok) return signatures;
      return { ok: true, value: { id: id.value, timestamp: timestamp.value, signatures: signatures.value } };
    },
  };
}

function stripe(): CompiledScheme {
  const display = 'Stripe-Signature';
  return {
    name: 'stripe',
    algorithm: 'sha256',
    content: STRIPE_CONTENT,
    timestamped: true,
    defaultEventId: { jsonField: 'id' },
    extract(headers) {
      const header = singleHeader(headers, display);
      if (!header.ok) return header;
      const items = header.value.split(',').map(trimOws);
      const ts = items.filter((item) => item.startsWith('t='));
      if (ts.length !== 1) return fail('malformed_header', display);
      const tText = ts[0]!.slice(2);
      if (!UNIX_SECONDS.test(tText)) return fail('malformed_header', display);
      const signatures = signaturesFrom(items.filter((i) => !i.startsWith('t=')), display, withPrefix('v1='), 'lowercase-hex', DIGEST_LENGTH.sha256);
      if (!signatures.ok) return signatures;
      return { ok: true, value: { timestamp: { text: tText, seconds: Number(tText) }, signatures: signatures.value } };
    },
  };
}

function singleSignature(display: string, prefix: string, encoding: SignatureText, length: number) {
  return (headers: HeaderMap): Result<Buffer[]> => {
    const header = singleHeader(headers, display);
    if (!header.ok) return header;
    if (!header.value.startsWith(prefix)) return fail('malformed_header', display);
    const bytes = decodeSignature(header.value.slice(prefix.length), encoding, length);
    return bytes ? { ok: true, value: [bytes] } : fail('malformed_header', display);
  };
}

function github(algorithm: Algorithm): CompiledScheme {
  const read =
    algorithm === 'sha1'
      ? singleSignature('X-Hub-Signature', 'sha1=', 'lowercase-hex', DIGEST_LENGTH.sha1)
      : singleSignature('X-Hub-Signature-256', 'sha256=', 'lowercase-hex', DIGEST_LENGTH.sha256);
  return {
    name: 'github',
    algorithm,
    content: BODY_CONTENT,
    timestamped: false,
    defaultEventId: { header: 'x-github-delivery' },
    extract(headers) {
      const signatures = read(headers);
      return signatures.ok ? { ok: true, value: { signatures: signatures.value } } : signatures;
    },
  };
}

function slack(): CompiledScheme {
  const read = singleSignature('X-Slack-Signature', 'v0=', 'lowercase-hex', DIGEST_LENGTH.sha256);
  return {
    name: 'slack',
    algorithm: 'sha256',
    content: SLACK_CONTENT,
    timestamped: true,
    defaultEventId: { jsonField: 'event_id' },
    extract(headers) {
      const signatures = read(headers);
      if (!signatures.ok) return signatures;
      const timestamp = timestampFrom(headers, 'X-Slack-Request-Timestamp');
      if (!timestamp.ok) return timestamp;
      return { ok: true, value: { timestamp: timestamp.value, signatures: signatures.value } };
    },
  };
}

function shopify(): CompiledScheme {
  const read = singleSignature('X-Shopify-Hmac-Sha256', '', 'base64', DIGEST_LENGTH.sha256);
  return {
    name: 'shopify',
    algorithm: 'sha256',
    content: BODY_CONTENT,
    timestamped: false,
    // Shopify's own de-duplication guidance (shopify.dev/docs/apps/build/webhooks/ignore-duplicates):
    // the same X-Shopify-Event-Id on several webhooks means one event. X-Shopify-Webhook-Id names a
    // webhook, and Shopify gives it no de-duplication meaning.
    defaultEventId: { header: 'x-shopify-event-id' },
    extract(headers) {
      const signatures = read(headers);
      return signatures.ok ? { ok: true, value: { signatures: signatures.value } } : signatures;
    },
  };
}

/** `custom` with a config already checked by config.ts (signature_header set, template parsed). */
export function customScheme(config: CustomSchemeConfig & { signature_header: string }, algorithm: Algorithm, content: readonly ContentPart[]): CompiledScheme {
  const length = DIGEST_LENGTH[algorithm];
  const signedId = uses(content, 'id') ? config.id_header : null;
  const timestampHeader = uses(content, 'timestamp') ? config.timestamp_header : null;
  const separator = config.signature_separator;
  return {
    name: 'custom',
    algorithm,
    content,
    timestamped: timestampHeader !== null,
    // With {id} in the template the id is signed: keyed on the id alone, like Standard Webhooks'.
    defaultEventId: signedId ? { signedId: signedId.toLowerCase() } : config.id_header ? { header: config.id_header.toLowerCase() } : undefined,
    extract(headers) {
      let id: string | undefined;
      if (signedId) {
        const found = singleHeader(headers, signedId);
        if (!found.ok) return found;
        id = found.value;
      }
      let timestamp: Presented['timestamp'];
      if (timestampHeader) {
        const found = timestampFrom(headers, timestampHeader);
        if (!found.ok) return found;
        timestamp = found.value;
      }
      const header = singleHeader(headers, config.signature_header);
      if (!header.ok) return header;
      const entries = separator ? header.value.split(separator).map(trimOws).filter((e) => e !== '') : [header.value];
      const signatures = signaturesFrom(entries, config.signature_header, withPrefix(config.signature_prefix), config.signature_encoding, length);
      if (!signatures.ok) return signatures;
      const value: Presented = { signatures: signatures.value };
      if (id !== undefined) value.id = id;
      if (timestamp) value.timestamp = timestamp;
      return { ok: true, value };
    },
  };
}

/** The built-in schemes (`custom` is built by customScheme). */
export function builtInScheme(name: Exclude<SchemeName, 'custom'>, algorithm: Algorithm): CompiledScheme {
  switch (name) {
    case 'standard-webhooks':
      return standardWebhooks();
    case 'stripe':
      return stripe();
    case 'github':
      return github(algorithm);
    case 'slack':
      return slack();
    case 'shopify':
      return shopify();
  }
}
