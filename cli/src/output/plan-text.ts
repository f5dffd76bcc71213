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
 *
 * An update no order of writes can make (two plugins swapping scopes under their ids) is a
 * delete and a create with the same id (diff/replacements.ts), each with a line saying why.
 *
 * An update's field the file does not set takes the node's default, which can differ from what
 * the entity holds (a default Kong changed between versions, a value set by hand through the
 * Admin API): such a change is marked, and a line under the plan counts them, since applying
 * it changes what the files never asked to change.
 *
 *     ~ route orders
 *         protocols: ["http","https"] → ["https"]  (default: not in the file)
 *
 *     Plan: 0 to add, 1 to change, 0 to destroy.
 *     1 change comes from Kong's defaults, not from the files: set the field in the files to keep the current value (kong-ctl dump shows it)
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

/** After an update's field change whose new value is the node's default. */
export const DEFAULT_MARK = '(default: not in the file)';

/** The whole plan as text, ending with a newline. */
export function renderPlanText(plan: Plan, opts: PlanTextOptions): string {
  if (plan.changes.length === 0) return 'No changes.\n';
  const c = colors(opts.color);
  const lines = planLines(plan, opts);
  const n = planCounts(plan);
  lines.push('', `Plan: ${n.add} to add, ${n.change} to change, ${n.destroy} to destroy.`);
  const note = defaultsNote(plan);
  if (note) lines.push(c.yellow(note));
  return lines.join('\n') + '\n';
}

/** The changes, one line per entity and one per field, without the summary (the Markdown plan fences these). */
export function planLines(plan: Plan, opts: PlanTextOptions): string[] {
  const c = colors(opts.color);
  const sign = { create: c.green('+'), update: c.yellow('~'), delete: c.red('-') };
  const lines: string[] = [];
  for (const change of plan.changes) {
    lines.push(`${sign[change.op]} ${change.label}`);
    if (change.replacement) lines.push(`    ${c.yellow(replacementNote(change))}`);
    if (change.op === 'delete') continue;
    for (const fc of change.fieldChanges ?? []) {
      const show = (v: unknown) => formatValue(change, fc, v, opts.mask === false ? null : opts.secrets);
      if (change.op === 'create') lines.push(`    ${fc.path}: ${show(fc.after)}`);
      else lines.push(`    ${fc.path}: ${show(fc.before)} → ${show(fc.after)}${fc.fromDefault ? `  ${c.yellow(DEFAULT_MARK)}` : ''}`);
    }
  }
  return lines;
}

/** Under each half of a replacement (diff/replacements.ts): why an update became a delete and a create. */
function replacementNote(change: Change): string {
  const r = change.replacement!;
  return change.op === 'delete'
    ? `(replaced: created again with its id ${r.id}: ${r.reason})`
    : `(replaces the live one with id ${r.id}, deleted first: ${r.reason})`;
}

/** How many field changes of updates take the node's default where the files say nothing. */
export function defaultedChanges(plan: Plan): number {
  let n = 0;
  for (const change of plan.changes) if (change.op === 'update') for (const fc of change.fieldChanges ?? []) if (fc.fromDefault) n++;
  return n;
}

/** The line under a plan with default-driven changes; empty when it has none. `code` formats the command's name. */
export function defaultsNote(plan: Plan, code: (s: string) => string = (s) => s): string {
  const n = defaultedChanges(plan);
  if (n === 0) return '';
  const dump = code('kong-ctl dump');
  return n === 1
    ? `1 change comes from Kong's defaults, not from the files: set the field in the files to keep the current value (${dump} shows it)`
    : `${n} changes come from Kong's defaults, not from the files: set the fields in the files to keep the current values (${dump} shows them)`;
}

/** `secrets` null: masking is off. */
function formatValue(change: Change, fc: FieldChange, value: unknown, secrets: string[] | null): string {
  if (secrets !== null && fc.masked && value !== null && value !== undefined) return MASK;
  if (secrets !== null && containsSecret(value, secrets)) return MASK;
  if (typeof value === 'string' && fc.path in KIND_DEFS[change.kind].foreignKeys) return value;
  return JSON.stringify(value ?? null);
}
