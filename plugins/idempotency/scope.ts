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
 * - a credential without a consumer: `credential:<id>`, or `credential-username:<username>` for a
 *   credential without an id (Kong's ldap-auth before it gave its credentials one authenticates
 *   with `{username, password}`): an authenticated client is never scoped by the anonymous
 *   fallback, which other clients share; a credential with neither cannot be scoped (refused);
 * - else the configured `client_header`, else the client IP (`kong.client.getForwardedIp`, which
 *   honours Kong's trusted_ips).
 *
 * The fingerprint is what the draft calls the idempotency fingerprint: sha256 over the method, the
 * request target (path and query) and the raw body, with NUL separators.
 */
import { createHash } from 'node:crypto';
import { rawBytes } from '../shared/raw-string';

/** The id of an entity Kong returned (consumer, credential), if any. */
export function idOf(entity: unknown): string | undefined {
  const id = (entity as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/** The consumer a credential belongs to, as Kong's credential entities name it (`consumer.id`). */
export function consumerIdOfCredential(credential: unknown): string | undefined {
  return idOf((credential as { consumer?: unknown } | null | undefined)?.consumer);
}

/** A credential Kong holds that names no one: scoping it by the shared fallback would mix clients. */
export class UnscopableCredentialError extends Error {
  constructor() {
    super('the authenticated credential has neither an id nor a username: the key cannot be scoped to its client');
    this.name = 'UnscopableCredentialError';
  }
}

/**
 * The scope of the credential `kong.client.getCredential` returned, undefined when none was
 * presented. Never the password: a username is the stable part of `{username, password}`.
 */
export function credentialScopeOf(credential: unknown): string | undefined {
  if (credential === undefined || credential === null) return undefined;
  const id = idOf(credential);
  if (id !== undefined) return `credential:${id}`;
  const username = typeof credential === 'object' ? (credential as { username?: unknown }).username : undefined;
  if (typeof username === 'string' && username !== '') return `credential-username:${username}`;
  throw new UnscopableCredentialError();
}

/**
 * The identity a key is scoped by. `fallback` (`header:<v>` or `ip:<ip>`) is only needed, and
 * only read, when no credential was presented (needsFallback).
 */
export function identityOf(consumerId: string | undefined, credentialScope: string | undefined, fallback: string): string {
  if (consumerId !== undefined && credentialScope !== undefined) return `consumer:${consumerId}`;
  if (consumerId !== undefined) return `consumer:${consumerId}|${fallback}`;
  if (credentialScope !== undefined) return credentialScope;
  return fallback;
}

export function needsFallback(credentialScope: string | undefined): boolean {
  return credentialScope === undefined;
}

export function storeKeyFor(routeId: string, identity: string, key: string): string {
  return createHash('sha256').update(JSON.stringify([routeId, identity, key])).digest('hex');
}

/**
 * The target is hashed as the bytes Kong sent (its `$request`): hashing it as UTF-8 would fold a
 * target's invalid bytes (escaped as lone surrogates by the plugin server) into EF BF BD, so
 * `/a\xFC` and `/a\xFD` would share a fingerprint. For a valid target both are the same bytes, so
 * fingerprints stored before stay valid.
 */
export function fingerprintOf(method: string, target: string, body: Uint8Array): string {
  return createHash('sha256').update(rawBytes(method)).update('\0').update(rawBytes(target)).update('\0').update(body).digest('hex');
}
