/**
 * Which plan values must never be printed. Two sources: field paths whose value came from
 * `${{ env … }}` (`FieldChange.masked`, `Entity.masked`), and the substituted secret strings
 * themselves, handed in by the command layer, which catch a secret wherever it ended up
 * (inside a URL, a list, a nested record).
 */
import { isPlainObject, pathsOverlap } from './values';
import { setOwn } from '../model/own';

export const MASK = '[masked]';

/** Secrets shorter than this count only where they stand alone, as desired/mask.ts masks text. */
const SHORT = 3;
const WORD = /[A-Za-z0-9_]/;

function inText(text: string, secret: string): boolean {
  if (secret.length >= SHORT) return text.includes(secret);
  for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + 1)) {
    if (!WORD.test(text[i - 1] ?? '') && !WORD.test(text[i + secret.length] ?? '')) return true;
  }
  return false;
}

/**
 * Whether a value shows a secret. A number or boolean does when it is one (a port of 8080 does
 * not show DECK_REDIS_DB=0, nor does a limit of 1000 show 100: decK's
 * Test_Diff_Masking_ExactValueMatch); a string when it holds one, a secret of one or two
 * characters only where it stands alone.
 */
export function containsSecret(value: unknown, secrets: string[]): boolean {
  if (secrets.length === 0) return false;
  if (typeof value === 'string') return secrets.some((s) => s !== '' && inText(value, s));
  if (typeof value === 'number' || typeof value === 'boolean') return secrets.includes(String(value));
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
  // setOwn: under `config` the keys can be a map's, the user's own (`headers: { __proto__: … }`).
  for (const [k, v] of Object.entries(fields)) setOwn(out, k, maskValue(v, prefix + k, maskedPaths, secrets));
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
