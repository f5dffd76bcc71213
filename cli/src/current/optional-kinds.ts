import type { Kind } from '../model/entity';
import { KINDS } from '../model/entity';
import { isConsumerKind } from '../kinds';

/**
 * Kinds that exist only while their plugin is loaded (`/key-auths`, `/schemas/jwt_secrets`…):
 * without the plugin Kong answers 404, which means "none", not an error. Every kind that lives
 * under a consumer comes with an auth plugin (key-auth, jwt, basic-auth, hmac-auth, acl, oauth2).
 */
export const PLUGIN_PROVIDED_KINDS: ReadonlySet<Kind> = new Set(KINDS.filter((k) => k !== 'consumer' && isConsumerKind(k)));

/** Kinds a Kong 3.x added after 3.0, with the version that brought them (kong/constants.lua CORE_ENTITIES). */
export const LATER_KINDS: ReadonlyMap<Kind, string> = new Map<Kind, string>([
  ['key_set', '3.1'],
  ['key', '3.1'],
]);

/** A 404 on this kind's list or schema means the node has none of them, not an error. */
export function mayBeMissing(kind: Kind): boolean {
  return PLUGIN_PROVIDED_KINDS.has(kind) || LATER_KINDS.has(kind);
}
