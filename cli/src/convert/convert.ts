/**
 * One Kong 2.x decK file (`_format_version` "1.1", "2.1" or none) → the same file for Kong 3.x
 * (`"3.0"`). The changes are found on the plain value, made as edits of the text as written,
 * and the result is checked: it must read back exactly as the changes applied to the value.
 * When the in-place edits cannot do that, the document is serialised anew instead (comments
 * kept, layout may change) and the caller says so.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseDocument, type Document } from 'yaml';
import { isPlainObject, formatFieldPath } from '../desired/kong-schema-check';
import { YAML_OPTIONS, yamlProblemText } from '../desired/parse';
import { PositionMap, nodeAt, nodeStart, type PathSegment } from '../desired/positions';
import type { SourceText } from '../desired/sources';
import { TARGET_FORMAT_VERSION, applyToValue, findChanges, isLegacyFormatVersion, type Change } from './changes';
import { applyEdits, editFor, isNotEditable } from './text-edits';

export interface Located {
  line: number;
  column: number;
  /** Where in the file, e.g. `services[0].routes[1].paths[0]`. */
  path: string;
  message: string;
}

export type ConvertResult =
  | { status: 'converted'; text: string; changes: Located[]; warnings: Located[]; layoutKept: boolean }
  | { status: 'current'; text: string; warnings: Located[] }
  | { status: 'refused'; errors: Located[]; warnings: Located[] };

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

export function convertLegacyFile(src: SourceText): ConvertResult {
  const positions = new PositionMap(src.text, []);
  const doc = parseDocument(src.text, YAML_OPTIONS);
  const locate = (path: PathSegment[], message: string, key = false): Located => ({
    ...positions.lineCol(nodeStart(nodeAt(doc, path, { key }))),
    path: formatFieldPath(path),
    message,
  });
  if (doc.errors.length) {
    const e = doc.errors[0];
    return {
      status: 'refused',
      errors: [{ ...positions.lineCol(e.pos[0]), path: '', message: `invalid YAML/JSON: ${yamlProblemText(e.message)}` }],
      warnings: [],
    };
  }
  const content = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!isPlainObject(content)) return { status: 'refused', errors: [locate([], 'expected a mapping at the top of the file (_format_version, services, …)')], warnings: [] };
  const version = content._format_version;
  if (version === TARGET_FORMAT_VERSION) return { status: 'current', text: src.text, warnings: [] };
  if (!isLegacyFormatVersion(version)) {
    return {
      status: 'refused',
      errors: [
        locate(['_format_version'], `has _format_version ${JSON.stringify(version)}: convert reads decK files of Kong 2.x (_format_version "1.1" or "2.1", or none)`),
      ],
      warnings: [],
    };
  }

  const found = findChanges(content);
  const warnings = found.refusals.filter((r) => r.severity === 'warning').map((r) => locate(r.path, r.message));
  const errors = found.refusals.filter((r) => r.severity === 'error').map((r) => locate(r.path, r.message, true));
  if (errors.length) return { status: 'refused', errors, warnings };
  // A pair yet to be added is reported where its mapping is.
  const changes = found.changes.map((c) =>
    c.op === 'add' ? { ...locate(c.path.slice(0, -1), c.message), path: formatFieldPath(c.path) } : locate(c.path, c.message, c.op !== 'set'),
  );
  const expected = applyToValue(content, found.changes);
  const json = isJsonText(src);

  try {
    const text = applyEdits(src.text, found.changes.map((c) => editFor(doc, src.text, c, json)));
    if (isDeepStrictEqual(readBack(text), expected)) return { status: 'converted', text, changes, warnings, layoutKept: true };
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
  return { status: 'converted', text, changes, warnings, layoutKept: false };
}
