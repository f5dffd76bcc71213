/**
 * What a key is looked up by: never the client's key alone (the IETF draft §6: low-entropy keys
 * would leak other clients' responses), but the route, the client's identity and the key, hashed
 * (the store never holds identities or keys in clear, and its keys have a fixed length).
 *
 * Identity, strongest first:
 * - an authenticated consumer (`kong.client.getConsumer`) with a credential: `consumer:<id>`;
 * - a consumer WITHOUT a credential is how Kong marks an anonymous consumer (auth plugins'
 *   `anonymous` setting): every unauthenticated client shares it, so the fallback identity below
 *   is added;
 * - a credential without a consumer: `credential:<id>`;
 * - else the configured `client_header`, else the client IP (`kong.client.getForwardedIp`, which
 *   honours Kong's trusted_ips).
 *
 * The fingerprint is what the draft calls the idempotency fingerprint: sha256 over the method, the
 * request target (path and query) and the raw body, with NUL separators.
 */
import { createHash } from 'node:crypto';

/** The id of an entity Kong returned (consumer, credential), if any. */
export function idOf(entity: unknown): string | undefined {
  const id = (entity as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The consumer a credential belongs to, as Kong's credential entities name it (`consumer.id`). */
export function consumerIdOfCredential(credential: unknown): string | undefined {
  return idOf((credential as { consumer?: unknown } | null | undefined)?.consumer);
}

/**
 * The identity a key is scoped by. `fallback` (`header:<v>` or `ip:<ip>`) is only needed, and
 * only read, when no credential was presented (needsFallback).
 */
export function identityOf(consumerId: string | undefined, credentialId: string | undefined, fallback: string): string {
  if (consumerId !== undefined && credentialId !== undefined) return `consumer:${consumerId}`;
  if (consumerId !== undefined) return `consumer:${consumerId}|${fallback}`;
  if (credentialId !== undefined) return `credential:${credentialId}`;
  return fallback;
}

export function needsFallback(credentialId: string | undefined): boolean {
  return credentialId === undefined;
}

export function storeKeyFor(routeId: string, identity: string, key: string): string {
  return createHash('sha256').update(JSON.stringify([routeId, identity, key])).digest('hex');
}

export function fingerprintOf(method: string, target: string, body: Uint8Array): string {
  return createHash('sha256').update(method).update('\0').update(target).update('\0').update(body).digest('hex');
}
