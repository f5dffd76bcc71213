/**
 * The plan is a data type, rendered separately (output/plan-text.ts, output/plan-json.ts)
 * and executed separately (apply/).
 */
import type { Entity, Kind } from './entity';

export type Op = 'create' | 'update' | 'delete';

export interface FieldChange {
  /** Dotted path inside the entity, `config.minute`, `paths`, `service`. */
  path: string;
  before: unknown;
  after: unknown;
  /** True when either side came from `${{ env … }}` and must print as `[masked]`. */
  masked?: boolean;
  /**
   * update only: true when the file does not set the field, so the new value is the node's
   * schema default (or nothing): a default Kong changed between versions, or a value set by
   * hand through the Admin API, and not something written in the file. For display: what Kong
   * is sent does not depend on it.
   */
  fromDefault?: boolean;
}

export interface Change {
  op: Op;
  kind: Kind;
  key: string;
  label: string;
  /** The live entity's id, for update and delete. */
  id?: string;
  /** create/update: the desired entity, defaults filled. */
  desired?: Entity;
  /** update/delete: the live entity. */
  current?: Entity;
  /**
   * update: only the fields that differ. create: the fields the entity sets to something
   * other than the schema default, then its foreign keys (`before` is null), for display.
   */
  fieldChanges?: FieldChange[];
  /**
   * update only: dotted paths, inside records (`config.max_age`), that the desired entity leaves
   * empty while Kong holds a value there. Kong's PATCH merges records field by field
   * (kong/db/schema/init.lua `merge_values`), so a field merely left out of the record sent
   * would keep its old value: the write sends an explicit null at each of these paths.
   */
  clearPaths?: string[];
  /**
   * apply only, never in a plan: this update is the extra write that sets a unique value aside
   * (a temporary value) so that a cycle of hand-overs can be ordered (apply/temporary-release.ts).
   */
  temporaryRelease?: { field: string };
  /**
   * On a delete and the create that follows it with the same id: an update no order of writes
   * can make (a cycle of unique values that cannot be set aside), made as a delete and a create
   * instead (diff/replacements.ts). `reason` says which cycle, for people.
   */
  replacement?: { id: string; reason: string };
}

export interface Plan {
  changes: Change[];
}

export interface PlanCounts {
  add: number;
  change: number;
  destroy: number;
}

export function planCounts(plan: Plan): PlanCounts {
  const c: PlanCounts = { add: 0, change: 0, destroy: 0 };
  for (const ch of plan.changes) {
    if (ch.op === 'create') c.add++;
    else if (ch.op === 'update') c.change++;
    else c.destroy++;
  }
  return c;
}

export function isEmptyPlan(plan: Plan): boolean {
  return plan.changes.length === 0;
}

/**
 * `--no-deletes` (decK's `gateway apply`): files that describe part of a gateway create and
 * update, and never remove what they do not name. The plan without its deletes, and how many
 * live entities that keeps (what it cannot then do: apply/no-deletes.ts).
 */
export function withoutDeletes(plan: Plan, noDeletes = true): { plan: Plan; kept: number } {
  if (!noDeletes) return { plan, kept: 0 };
  const changes = plan.changes.filter((c) => c.op !== 'delete');
  return { plan: { changes }, kept: plan.changes.length - changes.length };
}

/** The line that says what `--no-deletes` kept; empty when it kept nothing. */
export function keptLine(kept: number): string {
  return kept ? `${kept} live entit${kept === 1 ? 'y' : 'ies'} the files do not name kept (--no-deletes).` : '';
}
