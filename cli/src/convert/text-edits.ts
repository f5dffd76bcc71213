/**
 * Changes made as small edits of the text as written, so that comments, anchors, quoting, key
 * order and blank lines stay exactly as the user had them: decK's `file convert` rewrites the
 * whole file. Each edit replaces one range of the original text. Whatever a change meets that
 * these rules do not cover throws, and the caller falls back to re-serialising the document.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { PathSegment } from '../desired/positions';
import type { Change } from './changes';

export interface TextEdit {
  start: number;
  end: number;
  text: string;
  /** Among insertions at one offset, the lower rank comes first in the text (then the earlier edit). */
  rank?: number;
}

class NotEditable extends Error {}

function nodeIn(doc: Document, path: PathSegment[]): Node {
  const node = doc.getIn(path, true) as Node | undefined;
  if (!node || !node.range) throw new NotEditable(`no node at ${path.join('.')}`);
  return node;
}

function pairIn(doc: Document, path: PathSegment[]): { map: YAMLMap; pair: Pair<Scalar, Node | null>; index: number } {
  const map = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!isMap(map)) throw new NotEditable('not a mapping');
  const last = String(path[path.length - 1]);
  const index = map.items.findIndex((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === last);
  if (index < 0) throw new NotEditable(`no key ${last}`);
  const pair = map.items[index] as Pair<Scalar, Node | null>;
  if (!pair.key.range) throw new NotEditable('key without a range');
  return { map, pair, index };
}

/** `value` written as the node it replaces was written: same quotes where they can hold it. */
export function scalarSource(value: string, type: Scalar['type'], inFlow: boolean, json: boolean): string {
  const controls = /[\u0000-\u001f\u007f]/.test(value);
  if (json || controls || type === 'QUOTE_DOUBLE' || type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') return JSON.stringify(value);
  const single = `'${value.replace(/'/g, "''")}'`;
  if (type === 'QUOTE_SINGLE') return single;
  if (plainReadsAs(value, inFlow)) return value;
  // Single quotes spare a regex its doubled backslashes; otherwise decK's own "3.0" style.
  return value.includes('\\') ? single : JSON.stringify(value);
}

/**
 * Any value a change writes: a string as `scalarSource` writes it (`type` is the node it
 * replaces, if any); a boolean, number or null as YAML and JSON both write it; a list or a
 * mapping as a flow collection on one line (`[http, https]`, `{hide_credentials: false}`),
 * the way decK files usually write short ones, and the only way that fits where a scalar was.
 */
export function valueSource(value: unknown, type: Scalar['type'], inFlow: boolean, json: boolean): string {
  if (typeof value === 'string') return scalarSource(value, type, inFlow, json);
  if (value === null) return 'null';
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => valueSource(v, undefined, true, json)).join(', ')}]`;
  if (typeof value === 'object') {
    const pairs = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${scalarSource(k, undefined, true, json)}: ${valueSource(v, undefined, true, json)}`);
    return `{${pairs.join(', ')}}`;
  }
  throw new NotEditable(`cannot write ${typeof value}`);
}

function plainReadsAs(value: string, inFlow: boolean): boolean {
  if (value === '' || (inFlow && /[,[\]{}]/.test(value))) return false;
  const probe = parseDocument(`k: ${value}\n`);
  return probe.errors.length === 0 && probe.get('k') === value;
}

function inFlow(doc: Document, path: PathSegment[]): boolean {
  for (let i = path.length - 1; i >= 0; i--) {
    const n = i === 0 ? doc.contents : doc.getIn(path.slice(0, i), true);
    if ((isMap(n) || isSeq(n)) && n.flow) return true;
  }
  return false;
}

/** Offset just after the `:` that follows a key. */
function afterColon(text: string, keyEnd: number): number {
  let i = keyEnd;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] !== ':') throw new NotEditable('no colon after the key');
  return i + 1;
}

/** A block collection's range runs on over the line break and indentation after it: not ours. */
function contentEnd(text: string, offset: number): number {
  while (offset > 0 && /\s/.test(text[offset - 1])) offset--;
  return offset;
}

/** Start of the line after the one where a node's content ends (or the text's end). */
function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf('\n', contentEnd(text, offset));
  return nl < 0 ? text.length : nl + 1;
}

function setEdit(doc: Document, text: string, c: Extract<Change, { op: 'set' }>, json: boolean): TextEdit {
  const written = doc.getIn(c.path, true) as Node | null | undefined;
  if (written === null || (isScalar(written) && written.range && written.range[0] === written.range[1])) {
    // `key:` with nothing after it: the value goes after the colon.
    const { pair } = pairIn(doc, c.path);
    const at = afterColon(text, pair.key.range![1]);
    return { start: at, end: at, text: ` ${valueSource(c.value, undefined, inFlow(doc, c.path), json)}` };
  }
  const node = nodeIn(doc, c.path);
  // The new value sits where the node was, so its parent says whether it is in a flow.
  const source = valueSource(c.value, isScalar(node) ? node.type : undefined, inFlow(doc, c.path), json);
  const end = contentEnd(text, node.range![1]);
  if (isScalar(node) || ((isMap(node) || isSeq(node)) && node.flow)) return { start: node.range![0], end, text: source };
  // A block collection becomes a scalar on the key's own line.
  const { pair } = pairIn(doc, c.path);
  return { start: afterColon(text, pair.key.range![1]), end, text: ` ${source}` };
}

/** Start of the line holding `offset`. */
function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * New pairs of one mapping: first in it (`_format_version`, where decK writes it) or last, in
 * the order given. Written as its neighbours are: each on its own line at their indentation in
 * a block mapping, after or before them with a comma in a flow one (on its own line too where
 * they each have one, as JSON usually).
 */
function addEdit(doc: Document, text: string, adds: Array<Extract<Change, { op: 'add' }>>, json: boolean): TextEdit {
  const c = adds[0];
  const parentPath = c.path.slice(0, -1);
  const map = parentPath.length ? doc.getIn(parentPath, true) : doc.contents;
  if (!isMap(map) || !map.range) throw new NotEditable('not a mapping');
  const flow = inFlow(doc, c.path);
  const pairTexts = adds.map((a) => `${scalarSource(String(a.path[a.path.length - 1]), undefined, flow, json)}: ${valueSource(a.value, undefined, flow, json)}`);
  const keyRange = (i: number) => {
    const item = map.items[i];
    const range = isPair(item) && isScalar(item.key) ? item.key.range : undefined;
    if (!range) throw new NotEditable('key without a range');
    return range;
  };
  const lastEnd = () => {
    const item = map.items[map.items.length - 1] as Pair<Node, Node | null>;
    const range = (item.value ?? item.key)?.range;
    if (!range) throw new NotEditable('pair without a range');
    return range;
  };
  if (map.flow) {
    const open = map.range[0];
    if (text[open] !== '{') throw new NotEditable('no brace');
    if (map.items.length === 0) return { start: open + 1, end: open + 1, text: pairTexts.join(', ') };
    const first = keyRange(0)[0];
    const between = text.slice(open + 1, first);
    const ownLines = between.includes('\n');
    if (c.first) {
      const indent = ownLines ? between.slice(between.lastIndexOf('\n')) : ' ';
      return { start: first, end: first, text: pairTexts.map((t) => `${t},${indent}`).join('') };
    }
    const end = contentEnd(text, lastEnd()[1]);
    const lastKey = keyRange(map.items.length - 1)[0];
    const indent = ownLines ? `\n${text.slice(lineStart(text, lastKey), lastKey)}` : ' ';
    return { start: end, end, text: pairTexts.map((t) => `,${indent}${t}`).join('') };
  }
  const first = keyRange(0)[0];
  const indent = text.slice(lineStart(text, first), first);
  // `- name: x` opens a sequence item: the column is right, the text before it is not blank.
  const pad = ' '.repeat(indent.length);
  if (c.first) {
    if (indent.trim() !== '') throw new NotEditable('the first key does not open its line');
    return { start: lineStart(text, first), end: lineStart(text, first), text: pairTexts.map((t) => `${indent}${t}\n`).join('') };
  }
  const at = nextLineStart(text, lastEnd()[2]);
  const newline = at === text.length && !text.endsWith('\n') ? '\n' : '';
  // A mapping nested in another can end where it does: the inner one's new lines go first.
  return { start: at, end: at, text: `${newline}${pairTexts.map((t) => `${pad}${t}\n`).join('')}`, rank: -parentPath.length };
}

function renameEdit(doc: Document, c: Extract<Change, { op: 'rename' }>, json: boolean): TextEdit {
  const { pair } = pairIn(doc, c.path);
  return { start: pair.key.range![0], end: pair.key.range![1], text: scalarSource(c.to, pair.key.type, inFlow(doc, c.path), json) };
}

function removeEdit(doc: Document, text: string, c: Extract<Change, { op: 'remove' }>): TextEdit {
  const { map, pair, index } = pairIn(doc, c.path);
  const start = pair.key.range![0];
  const last = (pair.value ?? pair.key).range;
  if (!last) throw new NotEditable('value without a range');
  if (map.flow) {
    // `{a: 1, run_on: first}`: the pair and one comma go.
    if (index < map.items.length - 1) {
      const next = (map.items[index + 1] as Pair<Scalar>).key;
      if (!next?.range) throw new NotEditable('next key without a range');
      return { start, end: next.range[0], text: '' };
    }
    if (index > 0) {
      const prev = map.items[index - 1] as Pair<Node, Node | null>;
      const prevEnd = (prev.value ?? prev.key).range;
      if (!prevEnd) throw new NotEditable('previous pair without a range');
      return { start: prevEnd[1], end: contentEnd(text, last[1]), text: '' };
    }
    return { start, end: contentEnd(text, last[1]), text: '' };
  }
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const end = nextLineStart(text, last[2]);
  const opensLine = text.slice(lineStart, start).trim() === '';
  if (map.items.length === 1) {
    // The mapping's last pair: an empty mapping stays one, where a bare `config:` would be null.
    if (!opensLine) return { start, end: contentEnd(text, last[1]), text: '{}' };
    const holder = pairIn(doc, c.path.slice(0, -1));
    return { start: afterColon(text, holder.pair.key.range![1]), end: contentEnd(text, last[1]), text: ' {}' };
  }
  if (opensLine) return { start: lineStart, end, text: '' };
  // `- run_on: first` opens a sequence item: the next pair moves up behind the `- `.
  let next = end;
  while (text[next] === ' ') next++;
  return { start, end: next, text: '' };
}

export function editFor(doc: Document, text: string, change: Change, json: boolean): TextEdit {
  if (change.op === 'set') return setEdit(doc, text, change, json);
  if (change.op === 'add') return addEdit(doc, text, [change], json);
  if (change.op === 'rename') return renameEdit(doc, change, json);
  return removeEdit(doc, text, change);
}

/** The edits for all the changes: the pairs added to one mapping (at its top, or at its end) as one. */
export function editsFor(doc: Document, text: string, changes: Change[], json: boolean): TextEdit[] {
  const adds = new Map<string, Array<Extract<Change, { op: 'add' }>>>();
  const edits: Array<TextEdit | Array<Extract<Change, { op: 'add' }>>> = [];
  for (const c of changes) {
    if (c.op !== 'add') {
      edits.push(editFor(doc, text, c, json));
      continue;
    }
    const key = JSON.stringify([c.path.slice(0, -1), Boolean(c.first)]);
    const group = adds.get(key);
    if (group) group.push(c);
    else {
      const fresh = [c];
      adds.set(key, fresh);
      edits.push(fresh);
    }
  }
  return edits.map((e) => (Array.isArray(e) ? addEdit(doc, text, e, json) : e));
}

/**
 * Applies edits that must not overlap; throws when two do. Insertions at one offset (two keys
 * added to one mapping) come out in the order of the edits.
 */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const indexed = edits.map((e, i) => ({ e, i }));
  // From the end of the text back; at one offset, a replacement first, then the insertions
  // last to first, each going in front of those already made.
  indexed.sort(
    (a, b) =>
      b.e.start - a.e.start || Number(b.e.end > b.e.start) - Number(a.e.end > a.e.start) || (b.e.rank ?? 0) - (a.e.rank ?? 0) || b.i - a.i,
  );
  const sorted = indexed.map((x) => x.e);
  let out = text;
  let floor = Infinity;
  for (const e of sorted) {
    if (e.end > floor) throw new NotEditable('overlapping edits');
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
    floor = e.start;
  }
  return out;
}

export function isNotEditable(err: unknown): boolean {
  return err instanceof NotEditable;
}
