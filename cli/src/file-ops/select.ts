/**
 * decK's selectors: JSONPath queries (RFC 9535, as go-apiops now evaluates them) over the file's
 * data, each match turned back into the node of the Document that holds it, so edits land in the
 * text as written.
 *
 * A match reached through a YAML alias or a `<<` merge key is copied into place before it is
 * edited (copy on write): editing the anchored node would silently change every other place that
 * refers to it.
 */
import { jsonpath, type JSONPathQuery, type JSONValue } from 'json-p3';
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { KongCtlError } from '../model/errors';
import { dataOf, type DeckDocument } from './document';

export type Location = ReadonlyArray<string | number>;

export interface Selector {
  source: string;
  path: JSONPathQuery;
}

/**
 * decK's examples write selectors without the root (`services[*]`, `..routes[*]`), which its
 * older JSONPath library took; RFC 9535 wants `$` first, so it is added.
 */
export function normalizeSelector(source: string): string {
  const s = source.trim();
  if (s.startsWith('$')) return s;
  return s.startsWith('.') || s.startsWith('[') ? `$${s}` : `$.${s}`;
}

export function compileSelectors(sources: readonly string[], where = '--selector'): Selector[] {
  return sources.map((source) => {
    try {
      return { source, path: jsonpath.compile(normalizeSelector(source)) };
    } catch (err) {
      throw new KongCtlError('E_USAGE', `${where} '${source}' is not a JSONPath query: ${(err as Error).message}`);
    }
  });
}

/**
 * How a message names the selectors of a change: `--selector` for those of the command line
 * (whose change is named by its other flag, `--value` or `--config`), else `FILE: patches[0] selector`.
 */
export function selectorOrigin(origin: string): string {
  return origin.startsWith('--') ? '--selector' : `${origin} selector`;
}

export interface Match {
  selector: string;
  location: Location;
}

/** Every location the selectors match, in selector order, each once. */
export function matchLocations(d: DeckDocument, selectors: readonly Selector[]): Match[] {
  const data = dataOf(d);
  const seen = new Set<string>();
  const out: Match[] = [];
  for (const s of selectors) {
    for (const n of s.path.query(data as JSONValue).nodes) {
      const key = JSON.stringify(n.location);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ selector: s.source, location: n.location as Location });
    }
  }
  return out;
}

const isMergeKey = (p: Pair<unknown, unknown>) => isScalar(p.key) && typeof p.key.value === 'symbol';

function keyOf(p: Pair<unknown, unknown>): unknown {
  return isScalar(p.key) ? p.key.value : p.key;
}

function resolved(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** A copy of a node for copy on write: its own anchor stays with the original. */
function copyOf(doc: Document, node: unknown): Node {
  const copy = (resolved(doc, node) as Node).clone() as Node;
  if ('anchor' in copy) (copy as { anchor?: string }).anchor = undefined;
  return copy;
}

/** The value a merge key brings for `key` (the first source that has it wins, as YAML says). */
function fromMerge(doc: Document, map: YAMLMap, key: string | number): unknown {
  for (const p of map.items) {
    if (!isMergeKey(p)) continue;
    const value = resolved(doc, p.value);
    const sources = isSeq(value) ? value.items.map((i) => resolved(doc, i)) : [value];
    for (const src of sources) {
      if (!isMap(src)) continue;
      const own = src.items.find((q) => !isMergeKey(q) && keyOf(q) === key);
      if (own) return own.value;
      const deeper = fromMerge(doc, src, key);
      if (deeper !== undefined) return deeper;
    }
  }
  return undefined;
}

/**
 * The child of a node at one segment of a location (an own key, else one a merge key brings; an
 * index). With `forEdit`, a child that came through an alias or a merge key is first copied into
 * its place, so that it belongs to this place only.
 */
function childOf(doc: Document, parent: unknown, seg: string | number, forEdit: boolean): unknown {
  const node = resolved(doc, parent);
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && !isMergeKey(p) && keyOf(p) === seg);
    if (pair) {
      if (forEdit && isAlias(pair.value)) pair.value = copyOf(doc, pair.value);
      return pair.value;
    }
    const merged = fromMerge(doc, node, seg);
    if (merged === undefined || !forEdit) return merged;
    const copy = copyOf(doc, merged);
    node.set(doc.createNode(seg), copy);
    return copy;
  }
  if (isSeq(node) && typeof seg === 'number') {
    if (forEdit && isAlias(node.items[seg])) node.items[seg] = copyOf(doc, node.items[seg]);
    return node.items[seg];
  }
  return undefined;
}

/** The node at `location`; with `forEdit`, made editable all the way down (see childOf). */
export function nodeAt(doc: Document, location: Location, forEdit: boolean): unknown {
  let node: unknown = doc.contents;
  for (const seg of location) {
    node = childOf(doc, node, seg, forEdit);
    if (node === undefined) return undefined;
  }
  return forEdit ? node : resolved(doc, node);
}

/** The own value node of `key` in `map`, made editable: copied into place if it came from an alias or a merge key. */
export function editableField(doc: Document, map: YAMLMap, key: string): unknown {
  return childOf(doc, map, key, true);
}

/** Where a location is, written as decK's selectors write it: `services[0].routes[1]`. */
export function formatLocation(location: Location): string {
  if (location.length === 0) return '$';
  return (
    '$' +
    location.map((s) => (typeof s === 'number' ? `[${s}]` : /^[A-Za-z_][\w-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('')
  );
}
