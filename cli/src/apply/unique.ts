/**
 * The values Kong keeps unique per kind (unique fields and cache keys, kong/db/schema/entities/*.lua
 * and the credential daos). Two changes that hold the same value at different times must run in
 * the order "release, then claim": that is what lets a rename, a moved route or a reused username
 * go through without a 409.
 *
 * Foreign keys inside a value are entity keys, not Kong ids: comparing keys can only see more
 * conflicts than Kong would (never fewer), which costs at most an unneeded ordering edge.
 * A refusal may not guess: no-deletes.ts gives the same functions Kong ids for keys.
 */
import type { Entity, Kind } from '../model/entity';
import type { Change } from '../model/plan';
import { certDigest } from '../kinds/certificate';
import { normalizeTarget } from '../kinds/target';

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

/** The unique values a change takes that the entity did not hold before. */
export function claimedValues(c: Change): string[] {
  const before = new Set(c.current ? uniqueValues(c.kind, c.current) : []);
  const after = c.desired && c.op !== 'delete' ? uniqueValues(c.kind, c.desired) : [];
  return after.filter((v) => !before.has(v));
}

/** The unique values a change gives up (a delete all of them, an update those it changes). */
export function releasedValues(c: Change): string[] {
  const before = c.current ? uniqueValues(c.kind, c.current) : [];
  const after = new Set(c.desired && c.op !== 'delete' ? uniqueValues(c.kind, c.desired) : []);
  return before.filter((v) => !after.has(v));
}
