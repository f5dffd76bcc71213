/**
 * The plan for humans, like terraform's:
 *
 *     + service orders
 *         host: "orders.internal"
 *     ~ route orders-list
 *         paths: ["/a"] → ["/a","/b"]
 *     - plugin rate-limiting (route orders-list)
 *
 *     Plan: 1 to add, 1 to change, 1 to destroy.
 *
 * A create lists the fields it sets to non-default values, an update only the changed field
 * paths, a delete nothing. Values print as compact JSON; foreign keys print as the key of the
 * entity they point at (`service:orders`). Masked values print as `[masked]`.
 */
import { KIND_DEFS } from '../kinds';
import type { Change, FieldChange, Plan } from '../model/plan';
import { planCounts } from '../model/plan';
import { MASK, containsSecret } from '../diff/mask';
import { colors } from './color';

export interface PlanTextOptions {
  color: boolean;
  /** Substituted secret values: any printed value containing one prints as `[masked]`. */
  secrets: string[];
  /** `--no-mask`: false prints every value as is. Default true. */
  mask?: boolean;
}

/** The whole plan as text, ending with a newline. */
export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  if (plan.changes.length === 0) return 'No changes.\n';
  const c = colors(opts.color);
  const sign = { create: c.green('+'), update: c.yellow('~'), delete: c.red('-') };
  const lines: string[] = [];
  for (const change of plan.changes) {
    lines.push(`${sign[change.op]} ${change.label}`);
    if (change.op === 'delete') continue;
    for (const fc of change.fieldChanges ?? []) {
      const show = (v: unknown) => formatValue(change, fc, v, opts.mask === false ? null : opts.secrets);
      lines.push(change.op === 'create' ? `    ${fc.path}: ${show(fc.after)}` : `    ${fc.path}: ${show(fc.before)} → ${show(fc.after)}`);
    }
  }
  const n = planCounts(plan);
  lines.push('', `Plan: ${n.add} to add, ${n.change} to change, ${n.destroy} to destroy.`);
  return lines.join('\n') + '\n';
}

/** `secrets` null: masking is off. */
function formatValue(change: Change, fc: FieldChange, value: unknown, secrets: string[] | null): string {
  if (secrets !== null && fc.masked && value !== null && value !== undefined) return MASK;
  if (secrets !== null && containsSecret(value, secrets)) return MASK;
  if (typeof value === 'string' && fc.path in KIND_DEFS[change.kind].foreignKeys) return value;
  return JSON.stringify(value ?? null);
}
