/**
 * Mass-deletion guard, checked before the first write. An empty or truncated file, a wrong
 * `--select-tag` or a file pointed at the wrong gateway all look the same to a reconciler: "delete
 * everything". decK deletes it (users lose a team's services, deck#533); kong-ctl refuses unless told.
 *
 * Default `--max-deletes` 50: removing one service with its routes and plugins is typically 5-20
 * deletes and a sizeable refactor a few dozen, so ordinary changes pass, while a wipe of any
 * gateway with more than 50 entities in scope is stopped. Independently, deleting *every* entity in
 * scope is refused as soon as there are more than WIPE_THRESHOLD of them, whatever the limit.
 */
import type { Diagnostic } from '../model/errors';
import type { Plan } from '../model/plan';
import { KINDS } from '../model/entity';

export const DEFAULT_MAX_DELETES = 50;
/** "More than a handful": a scope of this many entities or fewer may be emptied without a flag. */
export const WIPE_THRESHOLD = 5;

export interface DeleteGuardOptions {
  /** `--max-deletes N`. */
  maxDeletes: number;
  /** `--allow-mass-delete`. */
  allowDeletes: boolean;
}

function countsPerKind(plan: Plan): string {
  const counts = new Map<string, number>();
  for (const c of plan.changes) if (c.op === 'delete') counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  return KINDS.filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k}${counts.get(k) === 1 ? '' : 's'}`)
    .join(', ');
}

/**
 * @param currentCount entities of the live gateway in scope (after select-tag filtering).
 * @returns an error diagnostic when the plan must not run, else null. The caller raises it as
 *          KongCtlError('E_DELETE_GUARD').
 */
export function checkDeleteGuard(plan: Plan, currentCount: number, opts: DeleteGuardOptions): Diagnostic | null {
  if (opts.allowDeletes) return null;
  const deletes = plan.changes.filter((c) => c.op === 'delete').length;
  if (deletes === 0) return null;
  const perKind = countsPerKind(plan);
  if (currentCount > WIPE_THRESHOLD && deletes >= currentCount) {
    return {
      severity: 'error',
      message:
        `refusing to delete every entity in scope: the plan deletes all ${currentCount} (${perKind}). ` +
        `An empty or partial file, a wrong --select-tag or the wrong --kong-addr all look like this. ` +
        `If it is intended, re-run with --allow-mass-delete.`,
    };
  }
  if (deletes > opts.maxDeletes) {
    return {
      severity: 'error',
      message:
        `refusing to delete ${deletes} entities (${perKind}): more than --max-deletes ${opts.maxDeletes}. ` +
        `If it is intended, re-run with --max-deletes ${deletes} or --allow-mass-delete.`,
    };
  }
  return null;
}
