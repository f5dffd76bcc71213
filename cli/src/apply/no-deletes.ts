/**
 * What a `--no-deletes` plan cannot do, known before any write. The full plan's deletes free
 * what the files then reuse; --no-deletes keeps those entities, so:
 * - a create that reuses the id of a kept entity (one that hung below an entity the files
 *   replace, created again below the new one) would be a PUT by id over the kept entity: Kong
 *   would move and rewrite it, and no 409 would say so;
 * - a create or update that takes a unique value a kept entity holds (a consumer renamed into
 *   the username of one the files replace) meets Kong's 409 once the writes before it are made.
 * Each is an error at the file:line of the entity that would write, and apply writes nothing.
 * Only values with no foreign key inside are compared (unique.ts `global`): for those, equal
 * means equal to Kong, so a refusal is never a guess. A value scoped by a parent (a target in
 * its upstream, an ACL group of a consumer) is left to Kong, whose 409 the apply reports.
 */
import type { Diagnostic } from '../model/errors';
import type { Change, Plan } from '../model/plan';
import { claimedValues, uniqueValues } from './unique';
import { KIND_DEFS } from '../kinds';
import { MASK } from '../diff/mask';

export function noDeletesConflicts(full: Plan): Diagnostic[] {
  const kept = full.changes.filter((c) => c.op === 'delete');
  if (!kept.length) return [];
  const keptById = new Map(kept.filter((c) => c.id).map((c) => [`${c.kind}#${c.id}`, c]));
  const keptByValue = new Map<string, Change>();
  for (const c of kept) if (c.current) for (const v of uniqueValues(c.kind, c.current, 'global')) keptByValue.set(v, c);

  const out: Diagnostic[] = [];
  for (const c of full.changes) {
    if (c.op === 'delete' || !c.desired) continue;
    const held = c.op === 'create' && c.desired.id ? keptById.get(`${c.kind}#${c.desired.id}`) : undefined;
    if (held) {
      out.push(conflict(c, `would overwrite the live ${held.label} (id ${c.desired.id}), which --no-deletes keeps: the files replace that entity, and only its delete frees the id`));
      continue;
    }
    for (const v of claimedValues(c, 'global')) {
      const holder = keptByValue.get(v);
      if (holder) out.push(conflict(c, `would take ${describe(c, v)}, which the live ${holder.label} holds and --no-deletes keeps: Kong would refuse it (409)`));
    }
  }
  return out;
}

function conflict(c: Change, what: string): Diagnostic {
  return {
    code: 'E_NO_DELETES_CONFLICT',
    message: `${c.op} ${c.label} ${what}. Apply without --no-deletes, or change the files so that they do not need the delete.`,
    source: c.desired?.source,
  };
}

/** `consumer:username=alice` → `username "alice"`; a sensitive field (a key-auth key) unshown. */
function describe(c: Change, value: string): string {
  const [, field, v] = /^[^:]+:([^=]+)=(.*)$/s.exec(value) ?? [];
  if (field === 'cert_digest') return 'its certificate (a CA certificate is unique by its content)';
  if (KIND_DEFS[c.kind].sensitive?.includes(field)) return `its ${field} (${MASK})`;
  return `${field} ${JSON.stringify(v)}`;
}
