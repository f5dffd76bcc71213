/**
 * The values Kong keeps unique per kind (unique fields and cache keys, kong/db/schema/entities/*.lua
 * and the credential daos). Two changes that hold the same value at different times must run in
 * the order "release, then claim": that is what lets a rename, a moved route or a reused username
 * go through without a 409.
 *
 * Foreign keys inside a value are entity keys as the entities are named: a live entity's refs
 * as read, a desired one's as the files name them. Keys can see a conflict Kong would not (two
 * upstreams swapping names: the target the files nest under a name is in the other upstream),
 * which holds a delete back from last for nothing, and miss one: a consumer renamed under its id
 * is the same Kong entity under another key, so its live ACL group and the one the files give it
 * anew (a new id) hold one value to Kong. `kongRefs` resolves keys to the Kong ids apply will
 * send; the graph, the replacements in a plan and no-deletes.ts compare values by those whenever
 * the live ids are known, by keys only where they are not (unit tests of the graph alone).
 */
import type { Entity, Kind } from '../model/entity';
import type { Change } from '../model/plan';
import { KIND_DEFS } from '../kinds';
import { certDigest } from '../kinds/certificate';
import { MASK } from '../diff/mask';
import { normalizeTarget } from '../kinds/target';
import { updatedIds } from './live-ids';

type Holder = Pick<Entity, 'fields' | 'refs'>;
type UniqueFn = (e: Holder) => string | null;

function nonEmpty(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function field(name: string): UniqueFn {
  return (e) => {
    const v = nonEmpty(e.fields[name]);
    return v === null ? null : `${name}=${v}`;
  };
}

const UNIQUE_VALUES: Record<Kind, UniqueFn[]> = {
  vault: [field('prefix')],
  key_set: [field('name')],
  // key cache_key = {kid, set}; name is unique too.
  key: [(e) => (nonEmpty(e.fields.kid) ? `set=${e.refs.set ?? ''},kid=${String(e.fields.kid)}` : null), field('name')],
  certificate: [],
  ca_certificate: [(e) => (e.fields.cert ? `cert_digest=${certDigest(e.fields.cert)}` : null)],
  sni: [field('name')],
  service: [field('name')],
  upstream: [field('name')],
  route: [field('name')],
  consumer: [field('username'), field('custom_id')],
  // target cache_key = {upstream, target}
  target: [
    (e) =>
      typeof e.fields.target === 'string'
        ? `upstream=${e.refs.upstream ?? ''},target=${normalizeTarget(e.fields.target)}`
        : null,
  ],
  keyauth_credential: [field('key')],
  jwt_secret: [field('key')],
  basicauth_credential: [field('username')],
  hmacauth_credential: [field('username')],
  // acl cache_key = {consumer, group}
  acl: [(e) => (nonEmpty(e.fields.group) ? `consumer=${e.refs.consumer ?? ''},group=${String(e.fields.group)}` : null)],
  oauth2_credential: [field('client_id')],
  // plugin cache_key = {name, route, service, consumer}; instance_name is unique too.
  plugin: [
    (e) =>
      `name=${String(e.fields.name)},service=${e.refs.service ?? ''},route=${e.refs.route ?? ''},consumer=${e.refs.consumer ?? ''}`,
    field('instance_name'),
  ],
};

/** Every unique value the entity holds, prefixed with its kind: `service:name=orders`. */
export function uniqueValues(kind: Kind, e: Holder): string[] {
  const out: string[] = [];
  for (const fn of UNIQUE_VALUES[kind]) {
    const v = fn(e);
    if (v !== null) out.push(`${kind}:${v}`);
  }
  return out;
}

/** The values of both sides of a change, foreign keys as keys or, with `refs`, as Kong ids. */
function sides(c: Change, refs?: KongRefs): { before: string[]; after: string[] } {
  const before = c.current ? uniqueValues(c.kind, refs ? refs.current(c.current) : c.current) : [];
  const after = c.desired && c.op !== 'delete' ? uniqueValues(c.kind, refs ? refs.desired(c.desired) : c.desired) : [];
  return { before, after };
}

/** The unique values a change takes that the entity did not hold before. */
export function claimedValues(c: Change, refs?: KongRefs): string[] {
  const { before, after } = sides(c, refs);
  const held = new Set(before);
  return after.filter((v) => !held.has(v));
}

/** The unique values a change gives up (a delete all of them, an update those it changes). */
export function releasedValues(c: Change, refs?: KongRefs): string[] {
  const { before, after } = sides(c, refs);
  const kept = new Set(after);
  return before.filter((v) => !kept.has(v));
}

/** An entity with each foreign key as the Kong id it stands for. */
export type RefResolve = (e: Holder) => Holder;
export interface KongRefs {
  /** A live entity's refs, as read: the live ids. */
  current: RefResolve;
  /** A desired entity's refs as apply will send them. */
  desired: RefResolve;
}

/**
 * Foreign keys as the Kong ids apply will send (execute.ts `idResolvers`): a parent the plan
 * creates is a new id (`created:` its key, never a live entity's), one it updates keeps its
 * live id under the key the files give it, any other is the live entity's (`currentIds`,
 * live-ids.ts). A key that resolves to nothing gets a value of its own, which equals nothing.
 */
export function kongRefs(changes: readonly Change[], currentIds: ReadonlyMap<string, string>): KongRefs {
  const created = new Set(changes.filter((c) => c.op === 'create').map((c) => c.key));
  const updated = updatedIds(changes);
  let unknown = 0;
  const resolveWith =
    (idOf: (key: string) => string | undefined): RefResolve =>
    (e) => {
      const refs: Holder['refs'] = {};
      for (const [name, key] of Object.entries(e.refs)) refs[name] = key === null ? null : (idOf(key) ?? `unresolved#${++unknown}`);
      return { fields: e.fields, refs };
    };
  return {
    current: resolveWith((key) => currentIds.get(key)),
    desired: resolveWith((key) => (created.has(key) ? `created:${key}` : (updated.get(key) ?? currentIds.get(key)))),
  };
}

/** A value scoped by a parent, said by what it holds there (the holder's label names the parent). */
const SCOPED: Array<[RegExp, (m: RegExpExecArray) => string]> = [
  [/^target:upstream=.*?,target=(.*)$/s, (m) => `target ${JSON.stringify(m[1])} in the same upstream`],
  [/^acl:consumer=.*?,group=(.*)$/s, (m) => `group ${JSON.stringify(m[1])} of the same consumer`],
  [/^key:set=(.*?),kid=(.*)$/s, (m) => `kid ${JSON.stringify(m[2])} ${m[1] ? 'in the same key set' : 'among the keys of no set'}`],
  [/^plugin:name=(.*?),service=/s, (m) => `the place of a ${m[1]} plugin at that scope (one per scope)`],
];

/**
 * A unique value as a person reads it, for messages: `consumer:username=alice` → `username
 * "alice"`; a sensitive field (a key-auth key) unshown.
 */
export function describeValue(kind: Kind, value: string): string {
  for (const [re, say] of SCOPED) {
    const m = re.exec(value);
    if (m) return say(m);
  }
  const [, field, v] = /^[^:]+:([^=]+)=(.*)$/s.exec(value) ?? [];
  if (field === 'cert_digest') return 'its certificate (a CA certificate is unique by its content)';
  if (KIND_DEFS[kind].sensitive?.includes(field)) return `its ${field} (${MASK})`;
  return `${field} ${JSON.stringify(v)}`;
}
