/**
 * The one data model every stage of kong-ctl speaks: the declarative file, the live
 * gateway and the plan are all lists of `Entity`. Foreign keys are not Kong ids but
 * the *keys* of the entities they point at, so a desired route and a live route
 * pointing at "the same service" compare equal even though only one side knows ids.
 */

export const KINDS = [
  'vault',
  'key_set',
  'certificate',
  'ca_certificate',
  'sni',
  'service',
  'upstream',
  'key',
  'target',
  'route',
  'consumer',
  'keyauth_credential',
  'jwt_secret',
  'basicauth_credential',
  'hmacauth_credential',
  'acl',
  'oauth2_credential',
  'plugin',
] as const;

export type Kind = (typeof KINDS)[number];

/** Where a desired entity came from, for messages like `kong.yaml:12:5 services[0].routes[1]`. */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
  /** Entity path inside the file, e.g. `services[0].routes[1].plugins[0]`. */
  path: string;
}

export interface Entity {
  kind: Kind;
  /** Identity used to match desired against current; see kinds/*.ts `identity`. */
  key: string;
  /** Human label: `service orders`, `plugin rate-limiting (route orders-list)`. */
  label: string;
  /** Kong id: always set for live entities; set for desired ones only when the file gives it. */
  id?: string;
  /**
   * The entity's own Admin API fields, as Kong would return them, minus `id`,
   * `created_at`, `updated_at` and the foreign-key fields (which live in `refs`).
   */
  fields: Record<string, unknown>;
  /** Foreign keys: field name (`service`, `route`, `consumer`, `upstream`, `certificate`) → key of the target entity, or null. */
  refs: Record<string, string | null>;
  /** Desired entities only. */
  source?: SourceRef;
  /** Dotted field paths (inside `fields`) whose value came from `${{ env … }}`: masked in output. */
  masked?: string[];
}

/** A whole side of the comparison: the file, or the gateway. */
export interface State {
  entities: Entity[];
}

export function indexByKey(state: State): Map<string, Entity> {
  const m = new Map<string, Entity>();
  for (const e of state.entities) m.set(e.key, e);
  return m;
}
