/**
 * Values substituted from `${{ env … }}` never reach the terminal or a JSON report: like decK,
 * every occurrence is replaced by `[masked]`. Longest secrets go first so that a secret
 * containing another is masked whole. Secrets of one or two characters are masked only where
 * they stand alone (not inside a longer word or number): masking every "1" in a plan would
 * destroy it while hiding nothing.
 */
import { setOwn } from '../model/own';

export const MASK = '[masked]';

const SHORT = 3;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pattern(secrets: string[]): RegExp | null {
  const list = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return null;
  const alts = list.map((s) =>
    s.length >= SHORT ? escapeRe(s) : `(?<![A-Za-z0-9_])${escapeRe(s)}(?![A-Za-z0-9_])`,
  );
  return new RegExp(alts.join('|'), 'g');
}

export function maskSecrets(text: string, secrets: string[]): string {
  const re = pattern(secrets);
  return re ? text.replace(re, MASK) : text;
}

/** A copy of a JSON-like tree with every string masked; keys are kept. */
export function maskValue(value: unknown, secrets: string[]): unknown {
  const re = pattern(secrets);
  if (!re) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(re, MASK);
    if (typeof v === 'number' || typeof v === 'boolean') {
      // A number or boolean substituted from env (`| toInt`) is a secret too when it is one whole.
      return secrets.includes(String(v)) ? MASK : v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // setOwn: keys are kept, also one named `__proto__` (a header's, a map's).
      for (const [k, x] of Object.entries(v)) setOwn(out, k, walk(x));
      return out;
    }
    return v;
  };
  return walk(value);
}
