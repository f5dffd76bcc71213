/**
 * What a `--no-deletes` plan cannot do, known before any write. The full plan's deletes free
 * what the files then reuse; --no-deletes keeps those entities, so:
 * - a create that reuses the id of a kept entity (one that hung below an entity the files
 *   replace, created again below the new one) would be a PUT by id over the kept entity: Kong
 *   would move and rewrite it, and no 409 would say so;
 * - a create or update that takes a unique value a kept entity holds (a consumer renamed into
 *   the username of one the files replace) meets Kong's 409 once the writes before it are made
 *   (or, for a target its upstream already has, rewrites the kept one).
 * Each is an error at the file:line of the entity that would write, and apply writes nothing.
 * Values are compared as Kong compares them, so a refusal is never a guess: a foreign key inside
 * a value (the upstream of a target, the consumer of an ACL group, the scope of a plugin) is the
 * Kong id it stands for, resolved as apply resolves it (unique.ts `kongRefs`), not the key a
 * file names it by. By keys, a consumer that takes the username of a kept one would pass for it,
 * and its ACL groups for a collision Kong would not see.
 */
import type { Diagnostic } from '../model/errors';
import type { Change, Plan } from '../model/plan';
import { claimedValues, describeValue, kongRefs, releasedValues } from './unique';

/** `currentIds`: the Kong id behind each key of a live entity, looked-up ones included (live-ids.ts). */
export function noDeletesConflicts(full: Plan, currentIds: Map<string, string>): Diagnostic[] {
  const kept = full.changes.filter((c) => c.op === 'delete');
  if (!kept.length) return [];
  const keptById = new Map(kept.filter((c) => c.id).map((c) => [`${c.kind}#${c.id}`, c]));
  const kong = kongRefs(full.changes, currentIds);
  const keptByValue = new Map<string, Change>();
  for (const c of kept) for (const v of releasedValues(c, kong)) keptByValue.set(v, c);

  const out: Diagnostic[] = [];
  for (const c of full.changes) {
    if (c.op === 'delete' || !c.desired) continue;
    const held = c.op === 'create' && c.desired.id ? keptById.get(`${c.kind}#${c.desired.id}`) : undefined;
    if (held) {
      out.push(conflict(c, `would overwrite the live ${held.label} (id ${c.desired.id}), which --no-deletes keeps: the files replace that entity, and only its delete frees the id`));
      continue;
    }
    for (const v of claimedValues(c, kong)) {
      const holder = keptByValue.get(v);
      if (holder) out.push(conflict(c, `would take ${describeValue(c.kind, v)}, which the live ${holder.label} holds and --no-deletes keeps: ${kongAnswer(c)}`));
    }
  }
  return out;
}

/** What Kong does with such a write: a 409, but for a target POSTed where its upstream has one. */
function kongAnswer(c: Change): string {
  // kong/api/routes/upstreams.lua update_existent_target: the POST updates the live target.
  if (c.op === 'create' && c.kind === 'target') return 'Kong would rewrite that target instead of creating one';
  return 'Kong would refuse it (409)';
}

function conflict(c: Change, what: string): Diagnostic {
  return {
    code: 'E_NO_DELETES_CONFLICT',
    message: `${c.op} ${c.label} ${what}. Apply without --no-deletes, or change the files so that they do not need the delete.`,
    source: c.desired?.source,
  };
}

