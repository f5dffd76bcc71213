/**
 * Positions for messages: YAML node ranges are offsets in the rendered text (after
 * `${{ env … }}` substitution), users read the file as written. `PositionMap` maps one to the
 * other; `locateIn` finds the node for a path like `['services', 0, 'routes', 1, 'paths', 0]`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Substitution } from './template';

export interface LineCol {
  line: number;
  column: number;
}

export type PathSegment = string | number;

export class PositionMap {
  private readonly lineStarts: number[] = [0];

  constructor(
    originalText: string,
    private readonly subs: Substitution[],
  ) {
    for (let i = 0; i < originalText.length; i++) if (originalText[i] === '\n') this.lineStarts.push(i + 1);
  }

  /** Offset in the rendered text → offset in the original text. */
  toOriginal(offset: number): number {
    // Substitutions are in text order and do not overlap: only the last one starting at or
    // before `offset` matters (found by bisection: a file may hold thousands, each entity asks).
    let lo = 0;
    let hi = this.subs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.subs[mid].start <= offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return offset;
    const s = this.subs[lo - 1];
    // Anything inside a substituted value points at its `${{`.
    if (offset < s.end) return s.origStart;
    return offset + s.origEnd - s.end;
  }

  /** 1-based line and column of an offset in the original text. */
  lineCol(originalOffset: number): LineCol {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= originalOffset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: originalOffset - this.lineStarts[lo] + 1 };
  }

  fromRendered(offset: number): LineCol {
    return this.lineCol(this.toOriginal(offset));
  }
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/**
 * The deepest node along `path` (the whole path when it exists). With `key`, a final map
 * segment resolves to the key node rather than its value (for "unknown field").
 */
export function nodeAt(doc: Document, path: PathSegment[], opts: { key?: boolean } = {}): Node | null {
  let node = deref(doc, doc.contents) as Node | null;
  let best: Node | null = node;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return best;
      if (last && opts.key && pair.key) return pair.key as Node;
      const next = deref(doc, pair.value) as Node | null;
      // `key:` with no value has no value node: the key is where it is written.
      node = next ?? (pair.key as Node);
      if (!next) return node;
    } else if (isSeq(node) && typeof seg === 'number') {
      const next = deref(doc, node.items[seg]) as Node | undefined;
      if (!next) return best;
      node = next;
    } else return best;
    best = node;
  }
  return best;
}

/** Range start of a node, or 0 (top of the file) when unknown. */
export function nodeStart(node: Node | null): number {
  return node?.range?.[0] ?? 0;
}
