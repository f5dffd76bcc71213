import type { Kind } from '../model/entity';

/**
 * Kinds that exist only while their plugin is loaded (`/key-auths`, `/schemas/jwt_secrets`…):
 * without the plugin Kong answers 404, which means "none", not an error.
 */
export const PLUGIN_PROVIDED_KINDS: ReadonlySet<Kind> = new Set([
  'keyauth_credential',
  'jwt_secret',
  'basicauth_credential',
  'hmacauth_credential',
  'acl',
  'oauth2_credential',
]);
