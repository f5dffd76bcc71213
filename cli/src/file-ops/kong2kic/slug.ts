/**
 * Kubernetes object names from Kong names, as decK's calculateSlug: gosimple/slug's Make (lower
 * case, `&` → and, `@` → at, quotes dropped, every run of other characters a single dash,
 * dashes and underscores trimmed at the ends), underscores then turned into dashes, and a name
 * longer than 63 characters cut to 43 and ended by the first 10 hex digits of the SHA-256 of
 * the whole slug, so that long names stay distinct.
 */
import { createHash } from 'node:crypto';

function slugMake(input: string): string {
  let s = input.trim();
  s = s.replace(/&/g, 'and').replace(/@/g, 'at');
  s = s.replace(/["'’]/g, '').replace(/[‒–—―]/g, '-');
  // gosimple/slug transliterates with unidecode; decomposing and dropping the marks covers
  // accented Latin letters, and anything else becomes a separator.
  s = s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  s = s.toLowerCase();
  s = s.replace(/[^a-z0-9\-_]/g, '-').replace(/-+/g, '-');
  return s.replace(/^[-_]+|[-_]+$/g, '');
}

export function calculateSlug(input: string): string {
  let s = slugMake(input).replace(/_/g, '-');
  if (s.length > 63) {
    const hash = createHash('sha256').update(s).digest('hex');
    s = s.slice(0, 43) + hash.slice(0, 10);
  }
  return s;
}
