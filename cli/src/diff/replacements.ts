/**
 * Updates that no order of writes can make, made as a delete and a create instead.
 *
 * Two plugins of one name that swap scopes under their ids, two targets that swap upstreams,
 * two ACL groups that swap consumers, two keys that swap kids: each update claims a value Kong
 * keeps unique that the other holds until it has moved, so whichever goes first meets Kong's
 * 409. A name or a username in such a cycle is set aside for a moment (apply/temporary-release.ts),
 * but these values are composite (a plugin's scope, a target in its upstream) or an SNI's name,
 * and no temporary value would leave them meaning the same. What remains is what one would
 * do by hand: delete one of them, let the other move, and create the first again with its id.
 *
 * That is decided here, in the plan, not in apply: `diff` shows the delete and the create (with
 * why), the counts say so, `apply --no-deletes` refuses the delete it cannot make, and the
 * writes apply makes are the ones the plan shows. Only kinds that nothing refers to and whose
 * delete takes nothing with it are replaced; any other cycle is left to meet its 409 as before.
 * Between the delete and the create the entity is not in Kong: for a plugin, its scope runs
 * without it for that moment, as with any plan that deletes a plugin before creating its
 * successor; and if a write between them fails, until the next apply, which plans the create.
 */
import type { Kind } from '../model/entity';
import type { Change, FieldChange } from '../model/plan';
import { buildDependencies } from '../apply/graph';
import { plannedStandIn } from '../apply/stand-ins';
import { setAside, temporaryReleases } from '../apply/temporary-release';
import { describeValue, kongRefs, releasedValues } from '../apply/unique';

/** No foreign key points at them, and Kong cascades nothing when one is deleted. */
const RECREATABLE: ReadonlySet<Kind> = new Set<Kind>(['plugin', 'target', 'acl', 'key', 'sni']);

export interface ReplacementContext {
  /** The Kong id behind each live key (apply/live-ids.ts): cycles are found as apply finds them. */
  currentIds: ReadonlyMap<string, string>;
  /** What a create of the update's desired entity shows in a plan (compare.ts createdFields). */
  createdFields(update: Change): FieldChange[];
}

/** `changes` with each update on such a cycle turned into a delete and a create (the same array when none is). */
export function replaceUnorderable(changes: Change[], context: ReplacementContext): Change[] {
  // Only an update of such a kind that gives a value up can be on one: most plans have none, and
  // pay for no more than this look. As Kong sees the value: a target nested under a name two
  // upstreams swap moves, same key or not.
  const candidates = changes.filter((c) => c.op === 'update' && RECREATABLE.has(c.kind));
  if (!candidates.length) return changes;
  const refs = kongRefs(changes, context.currentIds);
  if (!candidates.some((c) => releasedValues(c, refs).length > 0)) return changes;
  let out = changes;
  for (;;) {
    const u = unbreakableClaim(out, context.currentIds);
    if (!u) return out;
    const at = out.indexOf(u.releaser);
    out = [...out.slice(0, at), ...replace(u.releaser, u.claimer, u.value, context), ...out.slice(at + 1)];
  }
}

/**
 * A claim the graph cannot order that set-asides do not break either (the graph is built again
 * with them, as apply builds it), whose releaser is an update of a kind that can be replaced.
 */
function unbreakableClaim(changes: Change[], currentIds: ReadonlyMap<string, string>): { releaser: Change; claimer: Change; value: string } | undefined {
  const graph = buildDependencies(changes, { currentIds });
  if (!graph.unorderedClaims.length) return undefined;
  const setAsides = temporaryReleases(changes, graph).map(({ at, field }, n) => setAside(changes[at], field, plannedStandIn(changes[at].kind, field, changes[at].current!.fields[field], n)));
  const all = [...changes, ...setAsides];
  const left = setAsides.length ? buildDependencies(all, { currentIds }).unorderedClaims : graph.unorderedClaims;
  for (const u of left) {
    const releaser = all[u.releaser];
    if (releaser.op === 'update' && !releaser.temporaryRelease && RECREATABLE.has(releaser.kind) && (releaser.id ?? releaser.current?.id)) {
      return { releaser, claimer: all[u.claimer], value: u.value };
    }
  }
  return undefined;
}

function replace(update: Change, claimer: Change, value: string, context: ReplacementContext): Change[] {
  const id = (update.id ?? update.current?.id)!;
  const current = update.current!;
  const desired = { ...update.desired!, id };
  const by = claimer.op === 'update' ? `the update of ${claimer.label} (id ${claimer.id ?? claimer.current?.id})` : `the ${claimer.op} of ${claimer.label}`;
  const replacement = { id, reason: `${by} takes ${describeValue(update.kind, value)} from it, in a cycle no order of updates can make` };
  return [
    { op: 'delete', kind: update.kind, key: current.key, label: current.label, id, current, replacement },
    { op: 'create', kind: update.kind, key: desired.key, label: desired.label, desired, fieldChanges: context.createdFields(update), replacement },
  ];
}
