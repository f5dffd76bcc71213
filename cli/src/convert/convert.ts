/**
 * One Kong 2.x decK file (`_format_version` "1.1", "2.1" or none) → the same file for Kong 3.x
 * (`"3.0"`); and, when asked (`--to 3.14`), a Kong 3.x file with the defaults Kong 3.14 made
 * secure pinned to their old values (pins-314.ts), a 2.x file converted to "3.0" first. The
 * changes are found on the plain value, made as edits of the text as written, and the result
 * is checked: it must read back exactly as the changes applied to the value. When the in-place
 * edits cannot do that, the document is serialised anew instead (comments kept, layout may
 * change) and the caller says so.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseDocument, type Document } from 'yaml';
import { isPlainObject, formatFieldPath } from '../desired/kong-schema-check';
import { YAML_OPTIONS, yamlProblemText } from '../desired/parse';
import { PositionMap, nodeAt, nodeStart, type PathSegment } from '../desired/positions';
import type { SourceText } from '../desired/sources';
import { TARGET_FORMAT_VERSION, applyToValue, findChanges, isLegacyFormatVersion, reportsOf, type Change, type Found } from './changes';
import { findPins314 } from './pins-314';
import { applyEdits, editsFor, isNotEditable } from './text-edits';

export interface Located {
  line: number;
  column: number;
  /** Where in the file, e.g. `services[0].routes[1].paths[0]`. */
  path: string;
  message: string;
  /** A pinned value that leaves TLS certificates unverified. */
  insecure?: boolean;
}

export type ConvertResult =
  | {
      status: 'converted';
      text: string;
      /** The Kong 2.x → 3.0 changes, each where it is made in the input. */
      changes: Located[];
      /** The Kong 3.14 defaults pinned (with `pin314`), each where it is made in the input. */
      pins: Located[];
      /** The pins that leave TLS certificates unverified, each at its line in the converted text. */
      review: Located[];
      warnings: Located[];
      layoutKept: boolean;
    }
  /** Nothing to change: a "3.0" file (with `pin314`: one that pins all it relies on). */
  | { status: 'current'; text: string; warnings: Located[] }
  | { status: 'refused'; errors: Located[]; warnings: Located[] };

/**
 * What `--from` says the file is. A Kong 2.x file said to be a 3.x one is refused: pinning
 * without the 2.x changes would leave it a 2.x file. A "3.0" file said to be a 2.x one is
 * taken as it is, converted already (as decK's 2.x → 3.x conversion, run again, leaves it).
 */
export type SourceFormat = 'kong-gateway-2.x' | 'kong-gateway-3.x';

export interface ConvertOptions {
  /** Pin the defaults Kong 3.14 made secure to their old values (decK's `--to 3.14`). */
  pin314?: boolean;
  from?: SourceFormat;
}

function isJsonText(src: SourceText): boolean {
  return src.name.toLowerCase().endsWith('.json') || src.text.trimStart().startsWith('{');
}

function readBack(text: string): unknown {
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length) return undefined;
  return doc.toJS({ maxAliasCount: 1000 }) ?? {};
}

/** The document way: every change made on the parse tree, then the tree written out. */
function reserialise(doc: Document, changes: Change[], json: boolean, expected: unknown): string {
  if (json) return `${JSON.stringify(expected, null, 2)}\n`;
  const copy = doc.clone();
  for (const c of changes) {
    if (c.op === 'set') copy.setIn(c.path, copy.createNode(c.value));
    else if (c.op === 'add') {
      const parent = (c.path.length > 1 ? copy.getIn(c.path.slice(0, -1), true) : copy.contents) as { items: unknown[] };
      const pair = copy.createPair(c.path[c.path.length - 1], c.value);
      if (c.first) parent.items.unshift(pair);
      else parent.items.push(pair);
    } else if (c.op === 'remove') copy.deleteIn(c.path);
    else {
      const parent = copy.getIn(c.path.slice(0, -1), true) as { items: { key: { value: unknown } }[] };
      const pair = parent.items.find((p) => String(p.key.value) === String(c.path[c.path.length - 1]));
      if (pair) pair.key = copy.createNode(c.to) as never;
    }
  }
  return copy.toString({ lineWidth: 0 });
}

/** A Kong 2.x file made a Kong 3.x one: `convertFile` without options. */
export function convertLegacyFile(src: SourceText): ConvertResult {
  return convertFile(src);
}

const describeVersion = (v: unknown) => (v === undefined ? 'has no _format_version' : `has _format_version ${JSON.stringify(v)}`);

export function convertFile(src: SourceText, opts: ConvertOptions = {}): ConvertResult {
  const positions = new PositionMap(src.text, []);
  const doc = parseDocument(src.text, YAML_OPTIONS);
  const locate = (path: PathSegment[], message: string, key = false): Located => ({
    ...positions.lineCol(nodeStart(nodeAt(doc, path, { key }))),
    path: formatFieldPath(path),
    message,
  });
  const refuse = (path: PathSegment[], message: string): ConvertResult => ({ status: 'refused', errors: [locate(path, message)], warnings: [] });
  if (doc.errors.length) {
    const e = doc.errors[0];
    return {
      status: 'refused',
      errors: [{ ...positions.lineCol(e.pos[0]), path: '', message: `invalid YAML/JSON: ${yamlProblemText(e.message)}` }],
      warnings: [],
    };
  }
  const content = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!isPlainObject(content)) return refuse([], 'expected a mapping at the top of the file (_format_version, services, …)');
  const version = content._format_version;
  const legacy = isLegacyFormatVersion(version);
  const versionAt: PathSegment[] = version === undefined ? [] : ['_format_version'];
  if (opts.from === 'kong-gateway-3.x' && legacy) {
    return refuse(
      versionAt,
      `${describeVersion(version)}: a Kong 2.x file (decK reads none as "1.1"), not the Kong 3.x one --from says; without --from, --to 3.14 converts it to "3.0" first`,
    );
  }
  if (version === TARGET_FORMAT_VERSION && !opts.pin314) return { status: 'current', text: src.text, warnings: [] };
  if (!legacy && version !== TARGET_FORMAT_VERSION) {
    const reads = opts.pin314
      ? 'convert --to 3.14 reads decK files of Kong 3.x (_format_version "3.0") and of Kong 2.x ("1.1" or "2.1", or none)'
      : 'convert reads decK files of Kong 2.x (_format_version "1.1" or "2.1", or none)';
    return refuse(['_format_version'], `${describeVersion(version)}: ${reads}`);
  }

  const found: Found = legacy ? findChanges(content) : { changes: [], refusals: [] };
  const legacyCount = found.changes.length;
  if (opts.pin314) {
    // The pins read the file as Kong 3.x will: once the 2.x changes are made.
    const pins = findPins314(legacy ? applyToValue(content, found.changes) : content);
    found.changes.push(...pins.changes);
    found.refusals.push(...pins.refusals);
  }
  const warnings = found.refusals.filter((r) => r.severity === 'warning').map((r) => locate(r.path, r.message));
  const errors = found.refusals.filter((r) => r.severity === 'error').map((r) => locate(r.path, r.message, true));
  if (errors.length) return { status: 'refused', errors, warnings };
  if (found.changes.length === 0) return { status: 'current', text: src.text, warnings };
  // A pair yet to be added is reported where its mapping is.
  const listed = (c: Change): Located[] => {
    const where = c.op === 'add' ? locate(c.path.slice(0, -1), '') : locate(c.path, '', c.op !== 'set');
    return reportsOf(c).map((r) => ({ line: where.line, column: where.column, path: formatFieldPath(r.path), message: r.message, ...(r.insecure ? { insecure: true } : {}) }));
  };
  const changes = found.changes.slice(0, legacyCount).flatMap(listed);
  const pins = found.changes
    .slice(legacyCount)
    .flatMap(listed)
    .sort((a, b) => a.line - b.line || a.column - b.column);
  const expected = applyToValue(content, found.changes);
  const json = isJsonText(src);
  const done = (text: string, layoutKept: boolean): ConvertResult => ({
    status: 'converted',
    text,
    changes,
    pins,
    review: reviewIn(text, found.changes.slice(legacyCount)),
    warnings,
    layoutKept,
  });

  try {
    const text = applyEdits(src.text, editsFor(doc, src.text, found.changes, json));
    if (isDeepStrictEqual(readBack(text), expected)) return done(text, true);
  } catch (err) {
    if (!isNotEditable(err)) throw err;
  }
  const text = reserialise(doc, found.changes, json, expected);
  if (!isDeepStrictEqual(readBack(text), expected)) {
    // Only a YAML construct the document model cannot rewrite (a merge key, an alias) gets here.
    return {
      status: 'refused',
      errors: [locate([], 'the changes cannot be written into this file (aliases or merge keys under the values to change?): write those values out and convert again')],
      warnings,
    };
  }
  return done(text, false);
}

/** Where each pin that leaves TLS certificates unverified is in the converted text. */
function reviewIn(text: string, pins: Change[]): Located[] {
  const insecure = pins.flatMap(reportsOf).filter((r) => r.insecure);
  if (!insecure.length) return [];
  const doc = parseDocument(text, YAML_OPTIONS);
  const positions = new PositionMap(text, []);
  return insecure
    .map((r) => ({ ...positions.lineCol(nodeStart(nodeAt(doc, r.path))), path: formatFieldPath(r.path), message: 'false', insecure: true }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}
