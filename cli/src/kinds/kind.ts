/**
 * What kong-ctl knows about one entity kind: how it is identified, where it lives on the
 * Admin API, which fields point at other entities, and the kind-specific normalisation
 * that makes a desired entity comparable with what Kong returns. One file per kind holds
 * its definition (decK's reconciler does the same).
 */
import type { Entity, Kind } from '../model/entity';

export interface KindDef {
  kind: Kind;
  /** `GET /schemas/{schema}`. */
  schema: string;
  /** Collection path for listing everything of this kind: `/services`, `/key-auths`. Null when only nested lists exist (targets). */
  listPath: string | null;
  /** Foreign-key fields: field name → kind referred to. */
  foreignKeys: Record<string, Kind>;
  /** Identity of an entity within a state (see model/entity.ts). `refs` hold keys already. */
  identity(e: Pick<Entity, 'fields' | 'refs' | 'id'>): string;
  /** Human label used in plans and errors. */
  label(e: Pick<Entity, 'fields' | 'refs' | 'id'>): string;
  /**
   * For kinds with no name (certificates), the identity a file gives an entity it writes without
   * an id, computed from content: a live entity always has an id, so this is how one written
   * without is found live (decK matches such entities by their content too).
   */
  contentIdentity?(e: Pick<Entity, 'fields' | 'refs' | 'id'>): string;
  /**
   * Keys besides `identity` that Kong also keeps unique, by which an entity the file writes
   * without an id is found live when its own key is new: a consumer whose username changed is
   * still the one with its custom_id (decK's state builder looks it up the same way).
   */
  alternateKeys?(e: Pick<Entity, 'fields' | 'refs' | 'id'>): string[];
  /**
   * Admin API paths for writes. `parentId` is the Kong id of the entity the write is nested
   * under (consumer for credentials, upstream for targets), resolved by apply.
   */
  createPath(parentIds: Record<string, string | null>): string;
  entityPath(id: string, parentIds: Record<string, string | null>): string;
  /** Secrets Kong returns in clear (key-auth keys, jwt and hmac secrets): diffed, never printed. */
  sensitive?: string[];
  /**
   * Fields Kong stores in a form that can never be compared (hashed passwords); a function when
   * that depends on the entity (oauth2 secrets are hashed only with `hash_secret`).
   */
  writeOnly?: string[] | ((fields: Record<string, unknown>) => string[]);
  /**
   * Whether a write-only field's stored form is what Kong would store for `plain`: lets a changed
   * secret show as a change although the stored one can never be read back. `idOf` gives the
   * Kong id of a live entity by key (the salt may be a parent's id). Undefined: cannot tell.
   */
  storedMatches?(field: string, plain: string, live: Pick<Entity, 'fields' | 'refs'>, idOf: (key: string) => string | undefined): boolean | undefined;
  /**
   * Fields an update must carry along with a changed field. Kong runs a schema transformation
   * only when the write itself names the transformation's `input` fields
   * (kong/db/schema/init.lua `get_transform_args`): an oauth2 `client_secret` sent without
   * `hash_secret` would be stored in clear.
   */
  sendWith?: Record<string, string[]>;
  /** Canonical form of a field set so desired and live compare equal; pure. */
  normalize?(fields: Record<string, unknown>): Record<string, unknown>;
  /**
   * Fields that pick the schema of the rest (a plugin's or a vault's `name` picks its `config`).
   * Kong's PATCH merges the live `config` into the one sent and then refuses the old schema's
   * fields (400), so an update that changes one is a PUT of the whole entity: Kong's replace.
   */
  replaceOn?: string[];
}

/** The write-only fields of an entity of `def`'s kind with these fields. */
export function writeOnlyOf(def: KindDef, fields: Record<string, unknown>): string[] {
  const w = def.writeOnly;
  return typeof w === 'function' ? w(fields) : (w ?? []);
}

/** `service orders`, or `service #1234abcd` when unnamed. */
export function nameOr(kind: string, name: unknown, id: string | undefined): string {
  if (typeof name === 'string' && name) return `${kind} ${name}`;
  return `${kind} #${id ?? '?'}`;
}

/** Label a key for humans: `service:orders` → `orders`. */
export function shortKey(key: string | null | undefined): string {
  if (!key) return '';
  const i = key.indexOf(':');
  return i >= 0 ? key.slice(i + 1) : key;
}
