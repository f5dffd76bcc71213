/**
 * De-duplication of verified deliveries through the shared store's claim protocol:
 * - access: `admit` claims the event id for `in_flight_ttl`. Won: the delivery goes on (the claim
 *   travels to the log phase in kong.ctx.shared). Lost to a completed record: a duplicate, answered
 *   200 without the upstream. Lost to a claim in progress: 409, the sender retries later.
 * - log: `settle` completes the claim (remembered for `ttl`) when the upstream answered 2xx, and
 *   releases it otherwise, so the sender's retry is processed.
 * Only verified deliveries get here: an unsigned request can never claim or burn an id.
 *
 * With github/shopify, custom without {id} in its template, and any configured dedup.id_header,
 * the id header is NOT covered by the signature: whoever replays a captured delivery can put any
 * id on it. So those ids are keyed together with the verified body (`dedupKey`): a replay under a
 * new id claims only that (id, body) pair, never the id of a future genuine event, while the
 * sender's own retries (same id, same body) still collide. De-duplication is still no defence
 * against the replay itself (only the signed timestamps of the other schemes limit replays).
 */
import { createHash } from 'node:crypto';
import { isStoreUnavailable, type Claim, type Store, type StoreUnavailableError } from '../shared/store';
import { singleHeader, type HeaderMap } from './headers';
import type { EventIdSource } from './schemes';
import { rawBytes } from '../shared/raw-string';

export type Admission =
  | { kind: 'claimed'; claim: Claim }
  | { kind: 'duplicate' }
  | { kind: 'in_flight'; retryAfterSeconds: number }
  | { kind: 'unavailable'; error: StoreUnavailableError };

export type Settlement = 'completed' | 'released' | 'lost';

/** Where the id is, for the 400 message: a header name or `JSON field <name>`. */
export function describeSource(source: EventIdSource): string {
  if ('header' in source) return `${source.header} header`;
  return 'signedId' in source ? `${source.signedId} header` : `JSON field ${source.jsonField}`;
}

function jsonField(body: Buffer, field: string): string | undefined {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(parsed, field)) return undefined;
  const value = (parsed as Record<string, unknown>)[field];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return Number.isSafeInteger(value) ? String(value) : numberAsWritten(text, field);
  return undefined;
}

/**
 * A number a double does not hold exactly (64-bit snowflake ids above 2^53): its digits as the
 * sender wrote them, or two different events would share one id once rounded. Only such numbers
 * pay for this second pass. `text` has already been parsed by JSON.parse as an object, so it is
 * valid JSON: the scan only has to find where each top-level value starts and ends. The field's
 * LAST occurrence is the one JSON.parse kept when a key repeats (RFC 8259 §4 allows repeats), so
 * it is the one taken here; a parser that refuses repeated keys would turn such a genuine,
 * verified delivery into an internal error on every retry.
 */
function numberAsWritten(text: string, field: string): string | undefined {
  let found: string | undefined;
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipSpace(text, i + 1);
  while (i < text.length && text[i] !== '}') {
    const keyEnd = stringEnd(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1); // past the ':'
    const valueEnd = valueEndAt(text, valueStart);
    if (key === field) found = text.slice(valueStart, valueEnd);
    i = skipSpace(text, valueEnd);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return found !== undefined && NUMBER.test(found) ? found : undefined;
}

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** `text[start]` opens a string: the index just past its closing quote. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** The index just past the value starting at `start` (string, object, array or literal). */
function valueEndAt(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i = stringEnd(text, i);
        continue;
      }
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      i++;
      if (depth === 0) return i;
    }
    return i;
  }
  let i = start;
  while (i < text.length && !',}] \t\n\r'.includes(text[i]!)) i++;
  return i;
}

/**
 * The delivery's event id, or undefined when it has none (missing, sent twice, empty).
 * `signedId` is the id the verified signature covers, when the scheme signs one.
 */
export function eventIdOf(source: EventIdSource, headers: HeaderMap, body: Buffer, signedId?: string): string | undefined {
  if ('jsonField' in source) return jsonField(body, source.jsonField);
  if ('signedId' in source) return signedId;
  const found = singleHeader(headers, source.header);
  return found.ok ? found.value : undefined;
}

/**
 * Store key of an event id: the namespace, then a hash (ids come from the sender, so their length
 * and characters are not ours to trust in a key). `unsignedBody`: the verified body, given when the
 * id is not covered by the signature; the key is then sha256(sha256(id) ‖ sha256(body)), fixed
 * lengths on both sides so no (id, body) pair can spell another. Only the body, not the whole
 * signed content: a retry re-signed at a new timestamp is the same delivery.
 */
export function dedupKey(namespace: string, eventId: string, unsignedBody?: Buffer): string {
  // The id's bytes as the sender sent them: as UTF-8, two ids differing only in invalid bytes
  // (kept as lone surrogates by the project's plugin server) would be one event.
  const id = createHash('sha256').update(rawBytes(eventId));
  if (unsignedBody === undefined) return `${namespace}:${id.digest('base64url')}`;
  const body = createHash('sha256').update(unsignedBody).digest();
  return `${namespace}:${createHash('sha256').update(id.digest()).update(body).digest('base64url')}`;
}

/** The body to bind the id to (dedupKey), when the signature does not cover the id. */
export function unsignedIdBody(source: EventIdSource, body: Buffer): Buffer | undefined {
  return 'header' in source ? body : undefined;
}

export async function admit(store: Store, key: string, inFlightTtlMs: number): Promise<Admission> {
  // A claim that vanishes between our failed SET NX and the read (released or expired meanwhile)
  // is worth one more try; a second race in a row is answered as "in progress".
  for (let attempt = 0; attempt < 2; attempt++) {
    let result;
    try {
      result = await store.claim(key, inFlightTtlMs);
    } catch (error) {
      if (isStoreUnavailable(error)) return { kind: 'unavailable', error };
      throw error;
    }
    if (result.acquired) return { kind: 'claimed', claim: result.claim };
    const entry = result.entry;
    if (entry?.state === 'completed') return { kind: 'duplicate' };
    if (entry?.state === 'claimed') {
      const ms = entry.ttlMs > 0 ? entry.ttlMs : inFlightTtlMs;
      return { kind: 'in_flight', retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
    }
  }
  return { kind: 'in_flight', retryAfterSeconds: Math.max(1, Math.ceil(inFlightTtlMs / 1000)) };
}

/** What the store keeps for a processed delivery (for operators reading Redis). */
export function processedRecord(status: number, nowSeconds: number): Buffer {
  return Buffer.from(JSON.stringify({ status, at: Math.floor(nowSeconds) }), 'utf8');
}

/**
 * The upstream answered `status` (`fromService`: the response came from the upstream, not from a
 * later plugin's exit or a Kong error). 2xx from the upstream: completed; anything else: released.
 * 'lost': the claim was no longer ours (it expired, and maybe someone else claimed the id since).
 * Store failures reject with StoreUnavailableError.
 */
export async function settle(store: Store, claim: Claim, status: number, fromService: boolean, ttlMs: number, nowSeconds: number): Promise<Settlement> {
  if (fromService && status >= 200 && status < 300) {
    return (await store.complete(claim, processedRecord(status, nowSeconds), ttlMs)) ? 'completed' : 'lost';
  }
  return (await store.release(claim)) ? 'released' : 'lost';
}

/** The claim as it travels through kong.ctx.shared (a msgpack map and back). */
export function claimFromCtx(value: unknown): Claim | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { key, token } = value as Record<string, unknown>;
  return typeof key === 'string' && key !== '' && typeof token === 'string' && token !== '' ? { key, token } : undefined;
}
