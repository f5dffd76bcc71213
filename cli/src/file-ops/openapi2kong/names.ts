/**
 * Entity names and ids as go-apiops makes them: names slugified by Kong's go-slugify (lowercase,
 * '-' for anything else, joined by '_'; or in Inso mode case kept, '_' for anything else, joined by
 * '-'), ids as UUIDv5 of the name plus an entity suffix, so that a re-import updates the same
 * entities in Kong instead of replacing them.
 */
import { createHash } from 'node:crypto';

/** RFC 4122's DNS namespace: go-apiops' default for its UUIDv5 ids. */
export const NAMESPACE_DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface Slugifier {
  lower: boolean;
  invalid: string;
  separator: string;
  allowed: RegExp;
}

/**
 * go-slugify transliterates with unidecode first; here accented Latin letters lose their accents
 * (NFKD) and other scripts fall to the invalid-character rule, as unidecode's tables are not ported.
 */
function slugifyWith(s: Slugifier, text: string): string {
  let t = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  t = t.split(/\s+/u).filter(Boolean).join(s.separator);
  t = Array.from(t, (c) => (c === s.separator || s.allowed.test(c) ? c : s.invalid)).join('');
  const sep = s.separator.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t = t.replace(new RegExp(`${sep}{2,}`, 'g'), s.separator);
  while (t.length && (t[0] === s.separator || t[0] === s.invalid)) t = t.slice(1);
  while (t.length && (t[t.length - 1] === s.separator || t[t.length - 1] === s.invalid)) t = t.slice(0, -1);
  return s.lower ? t.toLowerCase() : t;
}

const KONG: Slugifier = { lower: true, invalid: '-', separator: '-', allowed: /^[a-zA-Z0-9]$/ };
const INSO: Slugifier = { lower: false, invalid: '_', separator: '_', allowed: /^[a-zA-Z0-9-]$/ };

/** Each part slugified, empty ones dropped, joined by the concatenation character. */
export function slugify(inso: boolean, ...parts: string[]): string {
  return parts
    .map((p) => slugifyWith(inso ? INSO : KONG, p))
    .filter((p) => p !== '')
    .join(concatChar(inso));
}

export function concatChar(inso: boolean): string {
  return inso ? '-' : '_';
}

/** A path parameter's name as a PCRE capture name: letters, digits and '_'. */
export function captureName(name: string, inso: boolean): string {
  return slugifyWith({ lower: !inso, invalid: '_', separator: '_', allowed: /^[a-zA-Z0-9]$/ }, name);
}
