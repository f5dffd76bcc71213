/**
 * The plan as Markdown, for the pull-request comment a CI job posts (GitHub, GitLab): a heading
 * with the counts and the gateway, then the text plan in a fenced `diff` block, where creates
 * show green and deletes red, folded away when long. Values are masked as in the text plan,
 * changes that come from the node's defaults are marked as there, and the line counting them
 * follows the block.
 */
import type { Plan } from '../model/plan';
import { isEmptyPlan, planCounts } from '../model/plan';
import { defaultsNote, planLines, type PlanTextOptions } from './plan-text';

export interface PlanMarkdownOptions extends Omit<PlanTextOptions, 'color'> {
  /** Which gateway the plan is for, e.g. `Kong 3.4.2 at https://kong:8001`. */
  target: string;
  /** `--no-deletes`: live entities the files do not name, kept. */
  kept?: number;
  /** The plan's digest (plan-digest.ts): said under the plan, so the reviewed plan can be told from another. */
  digest?: string;
  /** `--no-deletes`: why apply would refuse this plan (apply/no-deletes.ts), one formatted line each. */
  refusals?: string[];
}

/** Plans longer than this many lines are folded under a `<details>`. */
const FOLD_LINES = 40;

/** A fence no line of `body` can close: longer than its longest run of backticks. */
export function fenceFor(body: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

export function renderPlanMarkdown(plan: Plan, opts: PlanMarkdownOptions): string {
  const kept = opts.kept ? `\n\n${opts.kept} live entit${opts.kept === 1 ? 'y' : 'ies'} the files do not name kept (\`--no-deletes\`).` : '';
  if (isEmptyPlan(plan)) return `### kong-ctl: no changes\n\nAgainst ${opts.target}.${kept}\n`;
  const n = planCounts(plan);
  const text = planLines(plan, { ...opts, color: false }).join('\n') + '\n';
  const fence = fenceFor(text);
  const block = `${fence}diff\n${text}${fence}`;
  const lines = text.split('\n').length;
  const body = lines > FOLD_LINES ? `<details><summary>${plan.changes.length} changes</summary>\n\n${block}\n\n</details>` : block;
  const note = defaultsNote(plan, (s) => `\`${s}\``);
  const defaults = note ? `\n\n${note}.` : '';
  const digest = opts.digest ? `\n\nPlan digest \`${opts.digest}\` (\`kong-ctl apply --plan\` applies this plan and no other).` : '';
  const refused = opts.refusals?.length ? `\n\n**\`kong-ctl apply --no-deletes\` refuses this plan:**\n\n${fenced(opts.refusals.join('\n'))}` : '';
  return `### kong-ctl: ${n.add} to add, ${n.change} to change, ${n.destroy} to destroy\n\nAgainst ${opts.target}.${kept}\n\n${body}${defaults}${refused}${digest}\n`;
}

function fenced(text: string): string {
  const fence = fenceFor(text);
  return `${fence}\n${text}\n${fence}`;
}
