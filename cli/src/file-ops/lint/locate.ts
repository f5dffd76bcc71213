/**
 * Where a location of the data is written in the file, for lint results and ruleset errors.
 * The node as written is reported: a value used through an alias is reported where the alias
 * is, not at its anchor. A location the file does not have (a missing field) is reported at
 * the closest node it does have, as Spectral does.
 */
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import { nodeAt } from '../select';
import type { Segment } from './paths';

export interface Source {
  doc: Document;
  lines: LineCounter;
}

export interface Place {
  line: number;
  column: number;
  /** The part of the location the file has. */
  found: Segment[];
  node: Node;
}

/** The node written at `location`, or its key's node with `key` (a map's own key only). */
function writtenAt(src: Source, location: readonly Segment[], key: boolean): Node | undefined {
  if (location.length === 0) return (src.doc.contents as Node | null) ?? undefined;
  const parent = nodeAt(src.doc, location.slice(0, -1), false);
  const seg = location[location.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
    if (pair) return ((key ? pair.key : (pair.value ?? pair.key)) as Node | null) ?? undefined;
    // A key a `<<` merge key brings: reported where the merged mapping writes it.
    return (nodeAt(src.doc, location, false) as Node | undefined) ?? undefined;
  }
  if (isSeq(parent) && typeof seg === 'number') return (parent.items[seg] as Node | undefined) ?? undefined;
  return undefined;
}

export function placeOf(src: Source, location: readonly Segment[], key = false): Place {
  for (let n = location.length; n >= 0; n--) {
    const node = writtenAt(src, location.slice(0, n), key && n === location.length);
    if (node) {
      const p = src.lines.linePos(node.range?.[0] ?? 0);
      return { line: p.line, column: p.col, found: location.slice(0, n), node };
    }
  }
  return { line: 1, column: 1, found: [], node: src.doc.contents as Node };
}
