/**
 * The Kong consumer a verified token names (`consumer_claim`), so that what runs after
 * jwt-claims sees an authenticated consumer as with Kong's own auth plugins: acl groups,
 * rate-limiting by consumer, consumer-scoped plugins, idempotency's per-client keys.
 *
 * The lookup is kong.client.load_consumer(value, true): by id when the value is a UUID, then by
 * username. Over the PDK it reads Kong's database on every call (Kong's own plugins go through
 * kong.cache, which the PDK does not offer), so answers, found or not, are remembered here per
 * plugin server for `consumer_cache_ttl` seconds: a deleted or renamed consumer is seen after
 * at most that long.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { nowSeconds } from '../shared/clock';
import type { HeaderValues, Kong } from '../shared/pdk';
import { MAX_CONSUMER_CACHE_TTL_S } from './schema';
import { claimAt, scalarText } from './claims';

export interface ConsumerMapping {
  claim: string;
  optional: boolean;
  cacheTtlMs: number;
}

type Consumer = Record<string, unknown>;

/**
 * The headers Kong's auth plugins set on the upstream request (kong/constants.lua HEADERS).
 * Always written, so a client can never send its own.
 */
export const CONSUMER_HEADERS = ['X-Consumer-ID', 'X-Consumer-Custom-ID', 'X-Consumer-Username', 'X-Credential-Identifier', 'X-Anonymous-Consumer'];

/**
 * `{ consumer }` wrapped so that "no such consumer" is cached as well, with when it was looked
 * up: the cache is shared by every route's instance, and each judges an answer's age by its own
 * `consumer_cache_ttl` (an answer cached for a route allowing an hour must not serve one allowing
 * a minute). Entries go after the longest TTL the schema allows.
 */
const lookups = new LRUCache<string, { consumer: Consumer | null; at: number }>({ max: 10_000, ttl: MAX_CONSUMER_CACHE_TTL_S * 1000 });

export interface Identified {
  consumer: Consumer;
  credential: Consumer;
  /** What the request tells the upstream about it. */
  headers: HeaderValues;
}

/** Nobody: the headers that tell the upstream so (and drop whatever the client sent). */
export function anonymousHeaders(): HeaderValues {
  return Object.fromEntries(CONSUMER_HEADERS.map((h) => [h, []]));
}

async function lookUp(kong: Kong, value: string, ttlMs: number): Promise<Consumer | null> {
  const now = nowSeconds() * 1000;
  const hit = ttlMs > 0 ? lookups.get(value) : undefined;
  if (hit && now - hit.at < ttlMs) return hit.consumer;
  const found = await kong.client.loadConsumer(value, true);
  const consumer = found && typeof found === 'object' && typeof found.id === 'string' ? found : null;
  lookups.set(value, { consumer, at: now });
  return consumer;
}

/**
 * A stable credential id for (issuer, subject), shaped as the UUID Kong's logs and headers
 * expect: the same token holder always gets the same one, and no two issuers share it.
 */
function credentialId(issuer: string, value: string): string {
  const h = createHash('sha256').update(`${issuer}\u0000${value}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The consumer the claims name, or undefined when the claim is missing or names nobody. */
export async function identify(kong: Kong, mapping: ConsumerMapping, claims: Record<string, unknown>): Promise<Identified | undefined> {
  const value = scalarText(claimAt(claims, mapping.claim));
  if (value === undefined || value === '') return undefined;
  const consumer = await lookUp(kong, value, mapping.cacheTtlMs);
  if (!consumer) return undefined;
  const id = String(consumer.id);
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  // Kong's credentials name their consumer as `consumer: {id}`; kong.log.serialize reads `consumer_id`.
  const credential = { id: credentialId(issuer, value), consumer: { id }, consumer_id: id };
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : []);
  return {
    consumer,
    credential,
    headers: {
      'X-Consumer-ID': id,
      'X-Consumer-Custom-ID': text(consumer.custom_id),
      'X-Consumer-Username': text(consumer.username),
      'X-Credential-Identifier': value,
      'X-Anonymous-Consumer': [],
    },
  };
}

/** Tests: forget every lookup. */
export function clearConsumerLookups(): void {
  lookups.clear();
}
