/**
 * A plan's fingerprint, for `apply --plan`: sha256 over what the plan would do, values unmasked
 * (a secret that changed since the plan was reviewed changes it too) and without where things
 * are written in the files (moving a line changes nothing Kong would see), why a delete and a
 * create replace an update (their ops and ids say what is done) or whether a value is
 * the node's default or written in the file (`from_default`: Kong is sent the same either way,
 * and plans saved before the marker existed keep their digest). Object keys are sorted, so the
 * same plan always has the same digest.
 */
import { createHash } from 'node:crypto';
import type { Plan } from '../model/plan';
import { renderPlanJson } from './plan-json';

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function planDigest(plan: Plan): string {
  const changes = renderPlanJson(plan, { secrets: [], mask: false }).changes.map(({ source: _source, label: _label, replacement: _why, ...what }) =>
    what.field_changes ? { ...what, field_changes: what.field_changes.map(({ from_default: _fromDefault, ...fc }) => fc) } : what,
  );
  return `sha256:${createHash('sha256').update(canonical(changes)).digest('hex')}`;
}
