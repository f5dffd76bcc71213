/**
 * The plan for machines: a documented, versioned schema (docs/plan-json.md). Bump
 * `format_version` on any change that is not a pure addition of an optional key.
 */
import type { Kind, SourceRef } from '../model/entity';
import type { Change, FieldChange, Op, Plan } from '../model/plan';
import { planCounts } from '../model/plan';
import { KIND_DEFS, writeOnlyOf } from '../kinds';
import { MASK, containsSecret, maskFields } from '../diff/mask';

export const PLAN_JSON_FORMAT_VERSION = 1;

export interface PlanJsonFieldChange {
  path: string;
  before: unknown;
  after: unknown;
  /** Present (true) when the value is hidden as `[masked]`. */
  masked?: true;
  /**
   * Present (true) when the file does not set the field: `after` is the node's schema default
   * (or null), not a value written in the file. Added within format_version 1 (optional key).
   */
  from_default?: true;
}

export interface PlanJsonChange {
  op: Op;
  kind: Kind;
  key: string;
  label: string;
  /** Kong id: the live entity's for update/delete, the file's for a create that gives one. */
  id?: string;
  /** Where the desired entity is declared (create/update). */
  source?: SourceRef;
  /** create: every field that will be sent, defaults filled, foreign keys excluded; env-sourced and write-only values masked. */
  fields?: Record<string, unknown>;
  /** create: foreign keys, as keys of the entities pointed at (`service:orders`). */
  refs?: Record<string, string | null>;
  /** update: the changed leaf fields and foreign keys only. */
  field_changes?: PlanJsonFieldChange[];
  /**
   * On the delete and the create that stand for an update no order of writes can make
   * (diff/replacements.ts): the id both have, and why. Added within format_version 1 (optional key).
   */
  replacement?: { id: string; reason: string };
}

export interface PlanJson {
  format_version: typeof PLAN_JSON_FORMAT_VERSION;
  summary: { add: number; change: number; destroy: number };
  changes: PlanJsonChange[];
  /** Set by the command layer: true when the plan is not empty. */
  drift?: boolean;
}

export interface PlanJsonOptions {
  /** Substituted secret values: any value containing one is replaced by `[masked]`. */
  secrets: string[];
  /** `--no-mask`: false leaves every value as is. Default true. */
  mask?: boolean;
}

export function renderPlanJson(plan: Plan, opts: PlanJsonOptions): PlanJson {
  const secrets = opts.mask === false ? null : opts.secrets;
  return {
    format_version: PLAN_JSON_FORMAT_VERSION,
    summary: planCounts(plan),
    changes: plan.changes.map((c) => jsonChange(c, secrets)),
  };
}

/** `secrets` null: masking is off. */
function jsonChange(c: Change, secrets: string[] | null): PlanJsonChange {
  const out: PlanJsonChange = { op: c.op, kind: c.kind, key: c.key, label: c.label };
  const id = c.id ?? (c.op === 'create' ? c.desired?.id : undefined);
  if (id) out.id = id;
  if (c.op !== 'delete' && c.desired?.source) out.source = { ...c.desired.source };
  if (c.op === 'create' && c.desired) {
    const def = KIND_DEFS[c.kind];
    const hidden = [...(c.desired.masked ?? []), ...writeOnlyOf(def, c.desired.fields), ...(def.sensitive ?? [])];
    out.fields = secrets === null ? c.desired.fields : maskFields(c.desired.fields, hidden, secrets);
    out.refs = { ...c.desired.refs };
  }
  if (c.op === 'update') out.field_changes = (c.fieldChanges ?? []).map((fc) => jsonFieldChange(fc, secrets));
  if (c.replacement) out.replacement = { ...c.replacement };
  return out;
}

function jsonFieldChange(fc: FieldChange, secrets: string[] | null): PlanJsonFieldChange {
  const hide = (v: unknown): unknown =>
    secrets !== null && ((fc.masked && v !== null && v !== undefined) || containsSecret(v, secrets)) ? MASK : (v ?? null);
  const before = hide(fc.before);
  const after = hide(fc.after);
  const out: PlanJsonFieldChange = { path: fc.path, before, after };
  if (before === MASK || after === MASK) out.masked = true;
  if (fc.fromDefault) out.from_default = true;
  return out;
}
