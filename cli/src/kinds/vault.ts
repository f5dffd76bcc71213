import type { KindDef } from './kind';

/**
 * Vaults (kong/db/schema/entities/vaults.lua): `prefix` is the endpoint and cache key, the name
 * `{vault://prefix/…}` references use, so it is what identifies a vault (decK matches on it too).
 * `name` picks the vault implementation (`env`, or an Enterprise one) and with it the schema of
 * `config` (`GET /schemas/vaults/{name}`), much as a plugin's name does.
 */
export const vault: KindDef = {
  kind: 'vault',
  schema: 'vaults',
  listPath: '/vaults',
  foreignKeys: {},
  replaceOn: ['name'],
  identity: (e) => `vault:${typeof e.fields.prefix === 'string' ? e.fields.prefix : '#' + e.id}`,
  label: (e) => (typeof e.fields.prefix === 'string' ? `vault ${e.fields.prefix}` : `vault #${e.id ?? '?'}`),
  createPath: () => '/vaults',
  entityPath: (id) => `/vaults/${id}`,
};
