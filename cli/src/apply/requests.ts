/**
 * One plan change → one Admin API write. Pure: ids come in through resolvers, nothing is sent.
 *
 * - create: `PUT {entityPath(id)}` with an id chosen before sending (the file's own id, else a
 *   fresh v4 uuid). PUT by id is Kong's upsert (kong/api/endpoints.lua put_entity_endpoint; the
 *   nested credential routes in kong/plugins/<auth>/api.lua have it too), so a create that is
 *   retried after a lost answer replaces the entity it already made instead of making a second.
 * - update: `PATCH {entityPath}` with only the changed top-level fields (and what a kind's
 *   `sendWith` says must travel with them); one that changes a field the kind's `replaceOn`
 *   names (a plugin's name) is a `PUT {entityPath}` of the whole entity.
 * - delete: `DELETE {entityPath}`.
 * Foreign keys are always sent as `{ "id": … }`.
 */
import type { HttpMethod } from '../kong/types';
import type { Kind } from '../model/entity';
import type { Change } from '../model/plan';
import { kindDef } from '../kinds';
import type { KindDef } from '../kinds';

export interface WriteRequest {
  method: HttpMethod;
  path: string;
  body?: Record<string, unknown>;
  idempotent: boolean;
  acceptStatus?: number[];
  /** Kong id of the entity this write is about (the chosen id for a create). */
  id: string;
}

export interface IdResolvers {
  /** Ids for desired refs: entities created in this run, updated ones, then the live ones. */
  desired(key: string): string | undefined;
  /** Ids for current refs (where the entity lives now): the live ones only. */
  current(key: string): string | undefined;
}

/**
 * Kinds Kong cannot create with PUT by id. `PUT /upstreams/{u}/targets/{t}` only updates an
 * existing target (404 otherwise: kong/api/routes/upstreams.lua target_endpoint), so targets
 * are created by POST, which is not retried.
 */
const CREATE_BY_POST: ReadonlySet<Kind> = new Set<Kind>(['target']);

const parentCache = new Map<Kind, string[]>();

/**
 * Foreign keys that are part of the write path rather than the body (`consumer` for credentials,
 * `upstream` for targets), read off the KindDef itself so a new nested kind needs no change here.
 */
export function pathParents(def: KindDef): string[] {
  const cached = parentCache.get(def.kind);
  if (cached) return cached;
  const probe: Record<string, string> = {};
  for (const f of Object.keys(def.foreignKeys)) probe[f] = `\u0000${f}\u0000`;
  const path = def.createPath(probe);
  const parents = Object.keys(def.foreignKeys).filter((f) => path.includes(probe[f]));
  parentCache.set(def.kind, parents);
  return parents;
}

export class UnresolvedReference extends Error {
  constructor(readonly field: string, readonly ref: string) {
    super(`${field} refers to ${ref}, which neither exists in Kong nor was created by this apply`);
    this.name = 'UnresolvedReference';
  }
}

function resolveParents(
  def: KindDef,
  refs: Record<string, string | null>,
  resolve: (key: string) => string | undefined,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const f of pathParents(def)) {
    const ref = refs[f];
    const id = ref ? resolve(ref) : undefined;
    if (!ref || !id) throw new UnresolvedReference(f, ref ?? '(none)');
    out[f] = id;
  }
  return out;
}

function foreignValue(field: string, ref: string | null | undefined, ids: IdResolvers): { id: string } | null {
  if (!ref) return null;
  const id = ids.desired(ref);
  if (!id) throw new UnresolvedReference(field, ref);
  return { id };
}

/** Throws UnresolvedReference when a foreign key cannot be turned into a Kong id. */
export function buildWrite(change: Change, ids: IdResolvers, newId: () => string): WriteRequest {
  const def = kindDef(change.kind);
  if (change.op === 'create') {
    const desired = change.desired!;
    const id = desired.id ?? newId();
    const parentIds = resolveParents(def, desired.refs, ids.desired);
    const body = wholeBody(def, change, ids);
    if (CREATE_BY_POST.has(change.kind)) {
      return { method: 'POST', path: def.createPath(parentIds), body: { id, ...body }, idempotent: false, id };
    }
    return { method: 'PUT', path: def.entityPath(id, parentIds), body, idempotent: true, id };
  }

  const current = change.current;
  const id = change.id ?? current?.id;
  if (!id) throw new UnresolvedReference('id', change.key);
  // The entity is still where it lives now: its path uses the current parent.
  const parentIds = resolveParents(def, current?.refs ?? change.desired?.refs ?? {}, ids.current);
  const path = def.entityPath(id, parentIds);

  if (change.op === 'delete') {
    // Nested routes (credentials, targets) answer 404 once the entity or its parent is gone;
    // either way the entity no longer exists, which is what the delete wanted.
    return { method: 'DELETE', path, idempotent: true, acceptStatus: [404], id };
  }

  const desired = change.desired!;
  if (def.replaceOn?.some((f) => change.fieldChanges?.some((fc) => fc.path === f))) {
    return { method: 'PUT', path, body: wholeBody(def, change, ids), idempotent: true, id };
  }
  const body: Record<string, unknown> = {};
  for (const fc of change.fieldChanges ?? []) {
    const top = fc.path.split('.')[0];
    if (top in body) continue;
    if (top in def.foreignKeys) body[top] = foreignValue(top, desired.refs[top], ids);
    else body[top] = desired.fields[top] === undefined ? null : desired.fields[top];
  }
  for (const path of change.clearPaths ?? []) if (path.split('.')[0] in body) setNull(body, path.split('.'));
  for (const [field, companions] of Object.entries(def.sendWith ?? {})) {
    if (!(field in body)) continue;
    for (const c of companions) if (!(c in body) && desired.fields[c] !== undefined) body[c] = desired.fields[c];
  }
  // PATCH sets the listed fields to the values given; sending the same body twice leaves the
  // entity exactly as once (records such as `config` are sent whole, never as increments), so
  // a PATCH whose answer was lost may be retried. Except a move to another parent (a credential
  // to another consumer): it is sent to the old parent's path, which answers 404 once the move
  // is made (kong/plugins/*/api.lua check the credential's consumer), so a repeat of a move that
  // Kong made but whose answer was lost would fail, and one it did not make is safer left to a
  // second apply than repeated blind.
  // A set-aside changes one value of the entity as it lives: its refs are the live ones, keys
  // that renames in the same run may give to other entities, and it moves nothing.
  const moves =
    !change.temporaryRelease &&
    pathParents(def).some((f) => {
      const to = desired.refs[f];
      return (to ? ids.desired(to) : undefined) !== parentIds[f];
    });
  return { method: 'PATCH', path, body, idempotent: !moves, id };
}

/**
 * The desired entity as a PUT sends it: every field and foreign key but the path's parents.
 * Absent and null mean the same to a PUT (full replace), except for `auto` fields: Kong
 * generates a value only when the field is absent (a key-auth `key: null` would be stored as
 * null), so nulls are left out.
 */
function wholeBody(def: KindDef, change: Change, ids: IdResolvers): Record<string, unknown> {
  const desired = change.desired!;
  const parents = pathParents(def);
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired.fields)) if (k !== 'id' && v !== null && v !== undefined) body[k] = v;
  for (const f of Object.keys(def.foreignKeys)) {
    if (parents.includes(f)) continue;
    const v = foreignValue(f, desired.refs[f], ids);
    if (v) body[f] = v;
  }
  return body;
}

/**
 * `null` at a dotted path inside the body's records, copying each record on the way (the body
 * shares them with the plan's desired entity). Kong's PATCH merges records field by field, so a
 * field only left out would keep its old value.
 */
function setNull(body: Record<string, unknown>, segs: string[]): void {
  const [head, ...rest] = segs;
  const inner = body[head];
  // The leaf, or a record the desired entity leaves empty as a whole: null there.
  if (rest.length === 0 || inner === null || inner === undefined) {
    body[head] = null;
    return;
  }
  if (typeof inner !== 'object' || Array.isArray(inner)) return;
  const copy = { ...(inner as Record<string, unknown>) };
  body[head] = copy;
  setNull(copy, rest);
}
