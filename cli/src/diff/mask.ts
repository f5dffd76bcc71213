/**
 * Which plan values must never be printed. Two sources: field paths whose value came from
 * `${{ env … }}` (`FieldChange.masked`, `Entity.masked`), and the substituted secret strings
 * themselves, handed in by the command layer, which catch a secret wherever it ended up
 * (inside a URL, a list, a nested record).
 */
import { isPlainObject, pathsOverlap } from './values';

export const MASK = '[masked]';

export function containsSecret(value: unknown, secrets: string[]): boolean {
  if (secrets.length === 0) return false;
  if (typeof value === 'string') return secrets.some((s) => s !== '' && value.includes(s));
  if (typeof value === 'number' || typeof value === 'boolean') return containsSecret(String(value), secrets);
  if (Array.isArray(value)) return value.some((v) => containsSecret(v, secrets));
  if (isPlainObject(value)) return Object.values(value).some((v) => containsSecret(v, secrets));
  return false;
}

/**
 * A copy of a fields record with masked paths and secret-bearing leaves replaced by `[masked]`.
 * Leaves are strings, numbers and booleans, so a secret in one list element masks only that element.
 */
export function maskFields(
  fields: Record<string, unknown>,
  maskedPaths: string[],
  secrets: string[],
  prefix = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = maskValue(v, prefix + k, maskedPaths, secrets);
  return out;
}

function maskValue(v: unknown, path: string, maskedPaths: string[], secrets: string[]): unknown {
  if (v !== null && v !== undefined && maskedPaths.some((p) => p === path || path.startsWith(p + '.'))) return MASK;
  if (isPlainObject(v)) {
    const under = maskedPaths.filter((p) => pathsOverlap(p, path));
    return maskFields(v, under, secrets, path + '.');
  }
  if (Array.isArray(v)) return v.map((x) => maskValue(x, path + '[]', [], secrets));
  return containsSecret(v, secrets) ? MASK : v;
}
