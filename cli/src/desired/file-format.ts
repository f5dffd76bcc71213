/**
 * The layout of decK's file format for Kong 3.x (Kong/go-database-reconciler pkg/file/types.go):
 * which top-level lists exist, what nests under what, and which foreign key nesting implies.
 * Loading, the JSON Schema and the error positions all read this one table.
 */
import type { Kind } from '../model/entity';
import type { PathSegment } from './positions';
import { formatFieldPath } from './kong-schema-check';

export const FORMAT_VERSION = '3.0';

export interface Collection {
  /** Key in the file: `routes`, `keyauth_credentials`. */
  key: string;
  kind: Kind;
  /**
   * A top-level list of Kong's own declarative format (`targets:`, `keyauth_credentials:`…, as
   * `GET /config` and `kong config db_export` write them): the foreign key each entry must set
   * to its parent, which decK's format sets by nesting instead.
   */
  parentField?: string;
}

export interface ChildCollection extends Collection {
  /** Foreign-key field of the child that nesting sets to the parent. */
  parentField: string;
}

export const CHILDREN: Record<Kind, ChildCollection[]> = {
  service: [
    { key: 'routes', kind: 'route', parentField: 'service' },
    { key: 'plugins', kind: 'plugin', parentField: 'service' },
  ],
  route: [{ key: 'plugins', kind: 'plugin', parentField: 'route' }],
  consumer: [
    { key: 'plugins', kind: 'plugin', parentField: 'consumer' },
    { key: 'keyauth_credentials', kind: 'keyauth_credential', parentField: 'consumer' },
    { key: 'jwt_secrets', kind: 'jwt_secret', parentField: 'consumer' },
    { key: 'basicauth_credentials', kind: 'basicauth_credential', parentField: 'consumer' },
    { key: 'hmacauth_credentials', kind: 'hmacauth_credential', parentField: 'consumer' },
    { key: 'acls', kind: 'acl', parentField: 'consumer' },
    { key: 'oauth2_credentials', kind: 'oauth2_credential', parentField: 'consumer' },
  ],
  upstream: [{ key: 'targets', kind: 'target', parentField: 'upstream' }],
  certificate: [{ key: 'snis', kind: 'sni', parentField: 'certificate' }],
  vault: [],
  // Kong's own declarative format nests keys under their set; decK writes them at the top.
  key_set: [{ key: 'keys', kind: 'key', parentField: 'set' }],
  key: [],
  ca_certificate: [],
  sni: [],
  target: [],
  plugin: [],
  keyauth_credential: [],
  jwt_secret: [],
  basicauth_credential: [],
  hmacauth_credential: [],
  acl: [],
  oauth2_credential: [],
};

export const TOP_LEVEL: Collection[] = [
  { key: 'vaults', kind: 'vault' },
  { key: 'key_sets', kind: 'key_set' },
  { key: 'keys', kind: 'key' },
  { key: 'certificates', kind: 'certificate' },
  { key: 'ca_certificates', kind: 'ca_certificate' },
  { key: 'services', kind: 'service' },
  { key: 'routes', kind: 'route' },
  { key: 'upstreams', kind: 'upstream' },
  { key: 'consumers', kind: 'consumer' },
  { key: 'plugins', kind: 'plugin' },
  // Kong's own format may also list the entities nested under upstreams, certificates and
  // consumers at the top, each naming its parent by name or id, as Kong's loader reads them
  // (declarative_config.lua: its foreign key, required, looked up by the parent's endpoint key
  // or id). decK nests them; both give the same entities. (Consumers' plugins are top-level plugins.)
  ...(['upstream', 'certificate', 'consumer'] as const).flatMap((parent) => CHILDREN[parent].filter((c) => c.kind !== 'plugin')),
];

/**
 * Keys of decK's format (go-database-reconciler pkg/file/types.go) for entities kong-ctl does
 * not manage, by where they appear ('' for the top of the file): what they hold. Said as such,
 * rather than as unknown fields a newer Kong might know.
 */
export const UNMANAGED_KEYS: Record<string, Record<string, string>> = {
  '': {
    consumer_groups: 'consumer groups (a Kong Enterprise entity)',
    filter_chains: 'WebAssembly filter chains',
    partials: 'partials (Kong 3.10 and later)',
    licenses: 'licenses (a Kong Enterprise entity)',
    rbac_roles: 'RBAC roles (a Kong Enterprise entity)',
    rbac_endpointpermissions: 'RBAC endpoint permissions (a Kong Enterprise entity)',
    custom_entities: 'custom entities (Kong Enterprise)',
    service_packages: 'Konnect service packages',
    _konnect: 'Konnect settings',
    _workspace: 'workspaces (a Kong Enterprise feature)',
    oauth2_tokens: 'oauth2 tokens (Kong issues them at run time)',
    oauth2_authorization_codes: 'oauth2 authorization codes (Kong issues them at run time)',
  },
  consumer: {
    groups: 'consumer group membership (Kong Enterprise)',
    mtls_auth_credentials: 'mTLS credentials (a Kong Enterprise plugin)',
  },
  service: { filter_chains: 'WebAssembly filter chains' },
  // Kong's own format nests an oauth2 credential's tokens under it; Kong issues them at run time.
  oauth2_credential: { oauth2_tokens: 'oauth2 tokens (Kong issues them at run time)' },
  // `_info.default_lookup_tags`: lookups of entities kong-ctl does not manage either.
  default_lookup_tags: {
    consumer_groups: 'consumer groups (a Kong Enterprise entity)',
    partials: 'partials (Kong 3.10 and later)',
  },
  route: { filter_chains: 'WebAssembly filter chains' },
};

/**
 * Keys that scope an entity to one kong-ctl does not manage, by kind: what they make it. Unlike
 * UNMANAGED_KEYS, the key alone must not go: a plugin without its `consumer_group` would apply
 * to every consumer, so it is the entity that has to leave the file. Said as such offline and
 * online alike (a Kong Enterprise node's plugins schema has `consumer_group`).
 */
export const UNMANAGED_SCOPES: Record<string, Record<string, string>> = {
  plugin: { consumer_group: 'plugins scoped to a consumer group (a Kong Enterprise entity)' },
};

/** Kinds whose `_info.defaults.<kind>` decK applies. */
export const DEFAULTABLE: Kind[] = ['service', 'route', 'upstream', 'target'];

/** Sugar fields decK expands while reading (never sent to Kong as such). */
export const SUGAR_FIELDS: Partial<Record<Kind, string[]>> = { service: ['url'] };

/** `services[0].routes[1].plugins[0]`: the same notation as field paths. */
export const formatEntityPath: (path: PathSegment[]) => string = formatFieldPath;

export interface SplitPath {
  /** Path of the innermost entity containing the location (empty at file level). */
  entity: PathSegment[];
  kind?: Kind;
  /** The rest, inside that entity (`['config', 'minute']`). */
  field: PathSegment[];
}

/** Splits a path inside a file into the entity it falls in and the field inside that entity. */
export function splitPath(path: PathSegment[]): SplitPath {
  let kind: Kind | undefined;
  let cut = 0;
  let i = 0;
  while (i + 1 < path.length) {
    const seg = path[i];
    const next = path[i + 1];
    const list = kind ? CHILDREN[kind] : TOP_LEVEL;
    const c = list.find((x) => x.key === seg);
    if (!c || typeof next !== 'number') break;
    kind = c.kind;
    i += 2;
    cut = i;
  }
  return { entity: path.slice(0, cut), kind, field: path.slice(cut) };
}

/** Parses `services[0].routes[1]` back into segments. */
export function parseEntityPath(s: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const m of s.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}
