import type { KindDef } from './kind';
import { shortKey } from './kind';

/**
 * Key sets and keys (kong/db/schema/entities/key_sets.lua, keys.lua; Kong ≥ 3.1). A key is
 * identified by what Kong keeps unique for it, its `kid` within its set (the cache key), so it
 * matches whether or not it has a `name`; a name is a unique field like any other. A key holds
 * a private key in clear (`jwk`, `pem.private_key`): never printed.
 */
export const keySet: KindDef = {
  kind: 'key_set',
  schema: 'key_sets',
  listPath: '/key-sets',
  foreignKeys: {},
  identity: (e) => `key_set:${typeof e.fields.name === 'string' ? e.fields.name : '#' + e.id}`,
  label: (e) => (typeof e.fields.name === 'string' ? `key set ${e.fields.name}` : `key set #${e.id ?? '?'}`),
  createPath: () => '/key-sets',
  entityPath: (id) => `/key-sets/${id}`,
};

export const key: KindDef = {
  kind: 'key',
  schema: 'keys',
  listPath: '/keys',
  foreignKeys: { set: 'key_set' },
  identity: (e) => {
    const kid = typeof e.fields.kid === 'string' ? e.fields.kid : `#${e.id}`;
    return e.refs.set ? `key:${kid}@set=${shortKey(e.refs.set)}` : `key:${kid}`;
  },
  label: (e) => {
    const kid = typeof e.fields.kid === 'string' ? e.fields.kid : `#${e.id ?? '?'}`;
    return e.refs.set ? `key ${kid} (key set ${shortKey(e.refs.set)})` : `key ${kid}`;
  },
  createPath: () => '/keys',
  entityPath: (id) => `/keys/${id}`,
  sensitive: ['jwk', 'pem.private_key'],
};
