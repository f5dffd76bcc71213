/**
 * decK's `file add-tags`, `remove-tags` and `list-tags` (go-apiops tags/tags.go): tags on the
 * entities the selectors pick, by default every place decK's table says an entity can be
 * (deck-entities.ts). Unlike decK, a selector that picks something other than an entity is
 * refused (a `tags` field on a plugin's config or on a list would make a file Kong refuses), and
 * one that picks nothing is reported.
 */
import { isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { KongCtlError } from '../model/errors';
import type { DeckDocument } from './document';
import { isTagOwner } from './entities';
import { deckTagOwnerSelectors } from './deck-entities';
import { compileSelectors, editableField, formatLocation, matchLocations, nodeAt, type Location } from './select';

export interface Selection {
  locations: Location[];
  /** Selectors that picked nothing: worth a warning, since a typo looks the same. */
  unmatched: string[];
}

/** The entities the selectors pick (every entity when none is given); anything else is an error. */
export function selectEntities(d: DeckDocument, selectors: readonly string[], what: string): Selection {
  const given = selectors.length > 0;
  const compiled = compileSelectors(given ? selectors : deckTagOwnerSelectors());
  const matches = matchLocations(d, compiled);
  for (const m of matches) {
    if (!isTagOwner(m.location)) {
      throw new KongCtlError(
        'E_USAGE',
        `--selector '${m.selector}' selects ${formatLocation(m.location)} in ${d.name}, which is not an entity: ${what}`,
      );
    }
  }
  const matched = new Set(matches.map((m) => m.selector));
  return { locations: matches.map((m) => m.location), unmatched: given ? selectors.filter((s) => !matched.has(s)) : [] };
}

/** A tag as decK compares it: the text of any scalar (`1`, `true` and `null` too); lists and mappings are not tags. */
function tagText(n: unknown): string | undefined {
  if (!isScalar(n)) return undefined;
  if (n.value === null) return 'null';
  return typeof n.value !== 'object' ? String(n.value) : undefined;
}

function entityAt(d: DeckDocument, location: Location, forEdit: boolean): YAMLMap | undefined {
  const node = nodeAt(d.doc, location, forEdit);
  return isMap(node) ? node : undefined;
}

/** The tags as the file gives them (own, or through an alias or merge key), read only. */
function tagsOf(d: DeckDocument, location: Location): string[] {
  const seq = nodeAt(d.doc, [...location, 'tags'], false);
  return isSeq(seq) ? seq.items.map(tagText).filter((t): t is string => t !== undefined) : [];
}

/** Adds the tags each entity lacks, in the order given; returns how many entities changed. */
export function addTags(d: DeckDocument, locations: readonly Location[], tags: readonly string[]): number {
  let changed = 0;
  for (const location of locations) {
    const missing = [...new Set(tags)].filter((t) => !tagsOf(d, location).includes(t));
    if (missing.length === 0) continue;
    const entity = entityAt(d, location, true)!;
    let seq = editableField(d.doc, entity, 'tags');
    if (!isSeq(seq)) {
      seq = d.doc.createNode([]);
      entity.set(d.doc.createNode('tags'), seq);
    }
    for (const t of missing) (seq as YAMLSeq).add(d.doc.createNode(t));
    changed++;
  }
  return changed;
}

export interface RemoveTagsOptions {
  /** Remove every tag but these (decK's --keep-only). */
  keepOnly: boolean;
  /** Leave `tags: []` where every tag went (decK's --keep-empty-array); by default the field goes. */
  keepEmptyArray: boolean;
}

/** Removes the tags (or all others, with keepOnly) from each entity; returns how many entities changed. */
export function removeTags(d: DeckDocument, locations: readonly Location[], tags: readonly string[], opts: RemoveTagsOptions): number {
  const listed = new Set(tags);
  const goes = (t: string | undefined) => t !== undefined && (opts.keepOnly ? !listed.has(t) : listed.has(t));
  // decK's --keep-only removes the tags it finds besides the ones listed, and does nothing at all
  // (empty tag lists left as they are too) when it finds none.
  if (opts.keepOnly && !locations.some((l) => tagsOf(d, l).some(goes))) return 0;
  let changed = 0;
  for (const location of locations) {
    const seq = nodeAt(d.doc, [...location, 'tags'], false);
    if (!isSeq(seq)) continue;
    const emptyAfter = seq.items.every((n) => goes(tagText(n)));
    const anyGoes = seq.items.some((n) => goes(tagText(n)));
    if (!anyGoes && !(emptyAfter && !opts.keepEmptyArray)) continue;
    const entity = entityAt(d, location, true)!;
    const own = editableField(d.doc, entity, 'tags') as YAMLSeq;
    own.items = own.items.filter((n) => !goes(tagText(n)));
    if (own.items.length === 0 && !opts.keepEmptyArray) {
      entity.delete('tags');
      // Tags a merge key still brings in can only be cleared by an own empty list.
      if (nodeAt(d.doc, [...location, 'tags'], false) !== undefined) entity.set(d.doc.createNode('tags'), d.doc.createNode([]));
    }
    changed++;
  }
  return changed;
}

/** Every tag the selected entities carry, unique, in code point order (Go's sort.Strings, as decK's list). */
export function listTags(d: DeckDocument, locations: readonly Location[]): string[] {
  const all = new Set<string>();
  for (const location of locations) for (const t of tagsOf(d, location)) all.add(t);
  return [...all].sort(byCodePoint);
}

/** JavaScript's default sort compares UTF-16 units, which puts U+10000 and above before U+E000–U+FFFF. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const diff = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return x.length - y.length;
}
