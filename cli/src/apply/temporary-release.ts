/**
 * Unique values handed over in a cycle: two services swapping names, a custom_id passed to a new
 * consumer by an update that itself waits (through a delete and a credential move) for that new
 * consumer. No order of the plan's own writes avoids Kong's 409: each claim waits for a release
 * that waits for it. What breaks the cycle is one more write, as a person would do it by hand:
 * first set the value aside (PATCH it to a temporary value no one holds), then let the claimer
 * take it, and only then write the entity's real change (an update, or a delete that waits for
 * writes that need its value).
 *
 * Only values a stand-in can take the place of are set aside (stand-ins.ts): names, usernames and
 * keys Kong checks only for uniqueness and characters, an upstream's name (a hostname: the suffix
 * lengthens its last label) and a vault's prefix, each with a suffix; and a CA certificate's
 * content, unique by its digest, which a CA certificate made for the moment stands in for. For
 * the moment between the set-aside and the real write, a service whose host is that upstream's
 * name finds none, a `{vault://…}` reference to that prefix resolves nothing, and a service
 * naming that CA certificate trusts no upstream certificate through it, as in any swap of them.
 * A CA certificate cannot be replaced instead: services name it by id, and Kong (>= 3.5) refuses
 * to delete one they name. Composite values (a plugin's scope, a
 * target in its upstream, an ACL group of a consumer, a kid in its set) and an SNI's name (which
 * the TLS handshake matches) cannot be: the plan replaces one entity of such a cycle instead (a
 * delete and a create with its id, diff/replacements.ts).
 * A run that stops after a set-aside leaves the temporary value in Kong; the next run plans the
 * real change and converges.
 */
import type { Kind } from '../model/entity';
import type { Change } from '../model/plan';
import { claimedValues, releasedValues, uniqueValues } from './unique';

/**
 * Per kind, the fields a stand-in may take the place of: names and usernames Kong checks only
 * for uniqueness and characters (utf8_name: letters, digits, `.-_~`), credential keys, an
 * upstream's name (a hostname that is not an IP) and a vault's prefix (`^[a-z][a-z%d-]-[a-z%d]+$`),
 * both still valid with the suffix; a CA certificate's `cert`, whose digest Kong keeps unique.
 */
const SET_ASIDE: Partial<Record<Kind, string[]>> = {
  service: ['name'],
  route: ['name'],
  consumer: ['username', 'custom_id'],
  upstream: ['name'],
  vault: ['prefix'],
  ca_certificate: ['cert'],
  key_set: ['name'],
  key: ['name'],
  keyauth_credential: ['key'],
  jwt_secret: ['key'],
  basicauth_credential: ['username'],
  hmacauth_credential: ['username'],
  oauth2_credential: ['client_id'],
};

/** A claim the graph could not order after its release (graph.ts, 3.). */
export interface UnorderedClaim {
  claimer: number;
  releaser: number;
  /** As unique.ts spells it: `service:name=orders`. */
  value: string;
}

/**
 * The field of `value` the update or delete `c` may set aside, if any. A delete's entity is live
 * until it runs, so its value can be set aside as an update's can: the delete may have to wait
 * for writes that wait for its value (a credential moving off a consumer before Kong would
 * cascade it, to the new consumer that takes the deleted one's custom_id).
 */
export function settableAside(c: Change, value: string): string | undefined {
  if ((c.op !== 'update' && c.op !== 'delete') || !c.current || c.temporaryRelease) return undefined;
  for (const field of SET_ASIDE[c.kind] ?? []) {
    // The value the field alone holds, as unique.ts spells it (a CA certificate's is its digest).
    if (uniqueValues(c.kind, { fields: { [field]: c.current.fields[field] }, refs: {} }).includes(value)) return field;
  }
  return undefined;
}

/** A change whose field a set-aside gives up first: `changes[at]`, `field`. */
export interface SetAsidePick {
  at: number;
  field: string;
}

/**
 * The set-asides that break the cycles behind `unordered` (each made by `setAside` with its
 * stand-in). For each, the releaser itself when it can set its value aside; else every update on
 * the cycle (what the releaser waits for, and what waits for the claimer) that releases a value
 * someone else on it claims.
 */
export function temporaryReleases(changes: Change[], graph: { deps: number[][]; unorderedClaims: UnorderedClaim[] }): SetAsidePick[] {
  const { deps, unorderedClaims: unordered } = graph;
  const wanted = new Map<string, { at: number; field: string }>();
  const want = (at: number, field: string) => wanted.set(`${at}\0${field}`, { at, field });
  const dependents: number[][] = changes.map(() => []);
  deps.forEach((d, i) => d.forEach((j) => dependents[j].push(i)));
  for (const u of unordered) {
    const own = settableAside(changes[u.releaser], u.value);
    if (own) {
      want(u.releaser, own);
      continue;
    }
    // The cycle: what the releaser (transitively) waits for and what (transitively) waits for
    // the claimer; the claimer and releaser themselves.
    const onCycle = intersect(reach(u.releaser, deps), reach(u.claimer, dependents));
    onCycle.add(u.releaser).add(u.claimer);
    const claimed = new Set([...onCycle].flatMap((i) => claimedValues(changes[i])));
    for (const x of onCycle) {
      for (const v of releasedValues(changes[x])) {
        const field = claimed.has(v) ? settableAside(changes[x], v) : undefined;
        if (field) want(x, field);
      }
    }
  }
  return [...wanted.values()];
}

/** The write that sets `field` of `c`'s live entity aside, to `after` (stand-ins.ts). */
export function setAside(c: Change, field: string, after: unknown): Change {
  const current = c.current!;
  const before = current.fields[field];
  return {
    op: 'update',
    kind: c.kind,
    key: c.key,
    label: `${c.label} (${field} set aside for the hand-over)`,
    id: c.id ?? current.id,
    desired: { ...current, fields: { ...current.fields, [field]: after } },
    current,
    fieldChanges: [{ path: field, before, after, ...(c.fieldChanges?.find((f) => f.path === field)?.masked ? { masked: true } : {}) }],
    temporaryRelease: { field },
  };
}

function reach(from: number, edges: number[][]): Set<number> {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length) {
    for (const y of edges[stack.pop()!]) {
      if (!seen.has(y)) {
        seen.add(y);
        stack.push(y);
      }
    }
  }
  return seen;
}

function intersect(a: Set<number>, b: Set<number>): Set<number> {
  return new Set([...a].filter((x) => b.has(x)));
}
