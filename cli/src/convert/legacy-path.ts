/**
 * A Kong 2.x route path as Kong 3.x reads it: kong/db/migrations/migrate_path_280_300.lua, the
 * function Kong's own database migration and its loader of `_format_version` 1.1/2.1 files
 * both run. Kong 2.x guessed that a path was a regex from its characters; 3.x wants `~`.
 */
import { normalizeUriPath, onUtf8Bytes } from '../desired/route-paths';

const RESERVED = new Set("!#$%&'()*+,/:;=?@[]".split('').map((c) => c.charCodeAt(0)));
/** Regex metacharacters a decoded triplet must not turn into ($*+?()[] are reserved, kept encoded). */
const REGEX_META = new Set('.^-{}\\|'.split('').map((c) => c.charCodeAt(0)));

/**
 * `is_not_regex`: `ngx.re.find(path, [[[a-zA-Z0-9\.\-_~/%]*$]], "ajo")`, anchored at the start;
 * PCRE's `$` also matches before one final newline.
 */
const PLAIN = /^[a-zA-Z0-9.\-_~/%]*\n?$/;

export type PathMigration =
  | { kind: 'unchanged'; path: string }
  /** A plain prefix Kong 3.x would refuse as not normalized. */
  | { kind: 'normalized'; path: string }
  /** A path Kong 2.x read as a regex: `~` in front, percent triplets decoded one last time. */
  | { kind: 'regex'; path: string };

/** `normalize_regex`: Kong 3.x no longer percent-decodes regex paths, so the migration does it once. */
function normalizeRegex(regex: string): string {
  if (!regex.includes('%')) return regex;
  return onUtf8Bytes(regex, (bytes) =>
    bytes.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const n = parseInt(hex, 16);
      if (RESERVED.has(n)) return m.toUpperCase();
      const chr = String.fromCharCode(n);
      return REGEX_META.has(n) ? `\\${chr}` : chr;
    }),
  );
}

export function migrateLegacyPath(path: string): PathMigration {
  if (PLAIN.test(path)) {
    const normalized = normalizeUriPath(path, true);
    return normalized === path ? { kind: 'unchanged', path } : { kind: 'normalized', path: normalized };
  }
  return { kind: 'regex', path: `~${normalizeRegex(path)}` };
}
