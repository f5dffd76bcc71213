/**
 * Where decK's file commands look for entities: go-apiops' deckformat.EntityPointers, every
 * place an entity can sit in a decK file or in Kong's own declarative format. decK's add-tags,
 * remove-tags and list-tags select all of them by default, Kong Enterprise entities (consumer
 * groups, RBAC roles…) and top-level credentials included, though kong-ctl's own file format
 * (desired/file-format.ts) manages fewer: these commands transform a file, whoever applies it.
 * Keys and key sets are not in decK's list, so the default leaves them alone as decK's does; a
 * selector may still pick them, as the entities they are.
 */
import type { Location } from './select';

/** The location patterns, each a chain of list keys: `consumers[*].acls[*]` is ['consumers', 'acls']. */
const DECK_ENTITY_PATHS: ReadonlyArray<readonly string[]> = [
  ['acls'],
  ['consumers', 'acls'],
  ['basicauth_credentials'],
  ['consumers', 'basicauth_credentials'],
  ['ca_certificates'],
  ['certificates'],
  ['consumer_group_consumers'],
  ['consumer_group_plugins'],
  ['consumer_groups', 'consumer_group_plugins'],
  ['consumer_groups'],
  ['consumers'],
  ['document_objects'],
  ['services', 'document_objects'],
  ['hmacauth_credentials'],
  ['consumers', 'hmacauth_credentials'],
  ['jwt_secrets'],
  ['consumers', 'jwt_secrets'],
  ['keyauth_credentials'],
  ['consumers', 'keyauth_credentials'],
  ['mtls_auth_credentials'],
  ['consumers', 'mtls_auth_credentials'],
  ['ca_certificates', 'mtls_auth_credentials'],
  ['oauth2_credentials'],
  ['consumers', 'oauth2_credentials'],
  ['plugins'],
  ['routes', 'plugins'],
  ['services', 'plugins'],
  ['services', 'routes', 'plugins'],
  ['consumers', 'plugins'],
  ['consumer_groups', 'plugins'],
  ['rbac_role_endpoints'],
  ['rbac_roles', 'rbac_role_endpoints'],
  ['rbac_role_entities'],
  ['rbac_roles', 'rbac_role_entities'],
  ['rbac_roles'],
  ['routes'],
  ['services', 'routes'],
  ['services'],
  ['snis'],
  ['certificates', 'snis'],
  ['targets'],
  ['upstreams', 'targets'],
  ['certificates', 'upstreams', 'targets'],
  ['upstreams'],
  ['certificates', 'upstreams'],
  ['vaults'],
];

const selectorOf = (keys: readonly string[]) => '$' + keys.map((k) => `.${k}[*]`).join('');

/** decK's default selectors of the tag commands (its TagOwners): every place an entity can be. */
export function deckTagOwnerSelectors(): string[] {
  return DECK_ENTITY_PATHS.map(selectorOf);
}

/** The location is an entity's place in decK's table: `consumer_groups[0].plugins[1]`. */
export function isDeckEntityAt(location: Location): boolean {
  if (location.length < 2 || location.length % 2 !== 0) return false;
  return DECK_ENTITY_PATHS.some(
    (keys) => keys.length * 2 === location.length && keys.every((k, i) => location[2 * i] === k && typeof location[2 * i + 1] === 'number'),
  );
}

/**
 * The entities decK nests plugins under (its PluginOwners, the owners of the `plugins` lists
 * above): services, routes, consumers and consumer groups.
 */
export function isDeckPluginOwnerAt(location: Location): boolean {
  return isDeckEntityAt([...location, 'plugins', 0]);
}
