/**
 * decK's `file merge` (go-apiops merge/merge.go): the files' top-level lists concatenated in the
 * order given, into the first file's document (its comments stay, and those of the entries
 * moved in). Files must agree on `_format_version`'s major version and on `_transform`; the
 * result carries the highest minor version. A `_format_version` written as an
 * `${{ env "DECK_…" }}` template is rendered first, as decK does (the only template decK's merge
 * renders: the others stay as written).
 *
 * decK lets a later file silently replace any other top-level key. For the keys decK's format
 * reads (`_info`: select tags, defaults, lookup tags; `_workspace`; `_konnect`;
 * `_plugin_configs`; an entity collection that is not a list in both files) that would change
 * what the merged file manages without a word, so such a key set differently in two files is
 * refused here. Keys decK's format does not define (go-apiops' test files carry a `_comment`)
 * take the later file's value, as in decK.
 */
import { isDeepStrictEqual } from 'node:util';
import { isScalar, isSeq, visit, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';
import { KongCtlError } from '../model/errors';
import { renderEnvTemplate } from '../desired/template';
import { asWritten, dataOf, positionOf, restoreTemplates, type DeckDocument } from './document';
import { nodeAt } from './select';

/** Top-level keys of decK's format, other than the entity lists, that a silent replacement would change the meaning of. */
const MEANINGFUL = new Set(['_info', '_workspace', '_konnect', '_plugin_configs']);
const meaningful = (key: string) => !key.startsWith('_') || MEANINGFUL.has(key);

/** `_format_version`, its `${{ env "DECK_…" }}` template rendered from env as decK's merge does. */
function versionOf(d: DeckDocument, data: Record<string, unknown>, env: NodeJS.ProcessEnv): { major: number; minor: number } | undefined {
  let v = data._format_version;
  if (v === undefined) return undefined;
  const where = () => positionOf(d, nodeAt(d.doc, ['_format_version'], false) as never);
  if (typeof v === 'string') {
    const written = restoreTemplates(d, v);
    if (written !== v) {
      const rendered = renderEnvTemplate(written, env);
      if (rendered.problems.length) throw new KongCtlError(rendered.problems[0].kind === 'unset' ? 'E_ENV_UNSET' : 'E_FILE_PARSE', `${where()}: _format_version: ${rendered.problems[0].message}`);
      v = rendered.text;
    }
  }
  const m = typeof v === 'string' ? /^(\d+)(?:\.(\d+))?$/.exec(v) : null;
  if (!m) throw new KongCtlError('E_FILE_PARSE', `${where()}: _format_version must be a string "x.y", not ${JSON.stringify(v)}`);
  return { major: Number(m[1]), minor: Number(m[2] ?? 0) };
}

function transformOf(d: DeckDocument, data: Record<string, unknown>): boolean {
  const t = data._transform;
  if (t === undefined) return true;
  if (typeof t !== 'boolean') throw new KongCtlError('E_FILE_PARSE', `${positionOf(d, nodeAt(d.doc, ['_transform'], false) as never)}: _transform must be true or false`);
  return t;
}

const sameValue = (a: DeckDocument, av: unknown, b: DeckDocument, bv: unknown) => isDeepStrictEqual(asWritten(a, av), asWritten(b, bv));

const keyText = (p: Pair<unknown, unknown>) => (isScalar(p.key) ? p.key.value : p.key);

function hasAliases(d: DeckDocument): boolean {
  let found = false;
  visit(d.doc, {
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * What moves a later file's node into the first document. A file with aliases gives plain data
 * (the aliases resolved, its comments lost): its anchors cannot come along, as they may clash with
 * the first file's. Otherwise the nodes themselves move, comments and all, anchors dropped.
 */
function mover(from: DeckDocument, into: DeckDocument): (node: unknown) => unknown {
  if (hasAliases(from)) return (node) => into.doc.createNode((node as Node).toJS(from.doc));
  return (node) => {
    visit(node as Node, {
      Node(_, n) {
        if ('anchor' in n) (n as { anchor?: string }).anchor = undefined;
      },
    });
    return node;
  };
}

export function mergeDocuments(docs: readonly DeckDocument[], env: NodeJS.ProcessEnv): DeckDocument {
  const [first, ...rest] = docs;
  const firstData = dataOf(first);
  const transform = transformOf(first, firstData);
  let version = versionOf(first, firstData, env);
  let versionFrom = first;
  const root = first.doc.contents as YAMLMap;
  for (const d of rest) {
    const data = dataOf(d);
    if (transformOf(d, data) !== transform) {
      throw new KongCtlError('E_USAGE', `${d.name} has _transform: ${!transform} and ${first.name} _transform: ${transform}: files that differ in _transform cannot be merged`);
    }
    const v = versionOf(d, data, env);
    if (v && version && v.major !== version.major) {
      throw new KongCtlError('E_USAGE', `${d.name} has _format_version "${v.major}.${v.minor}" and ${versionFrom.name} "${version.major}.${version.minor}": files of different major versions cannot be merged`);
    }
    if (v && (!version || v.minor > version.minor)) [version, versionFrom] = [v, d];
    // decK's result carries `_transform` when any file says it (all agree, checked above).
    if (data._transform !== undefined && firstData._transform === undefined) root.set(first.doc.createNode('_transform'), first.doc.createNode(transform));
    for (const [p, t] of d.templates) first.templates.set(p, t);
    const portable = mover(d, first);
    for (const pair of (d.doc.contents as YAMLMap).items) {
      const key = keyText(pair);
      if (typeof key !== 'string') throw new KongCtlError('E_FILE_PARSE', `${positionOf(d, pair.key as never)}: a top-level key must be a name`);
      if (key === '_format_version' || key === '_transform') continue;
      const mine = nodeAt(first.doc, [key], false);
      const theirs = nodeAt(d.doc, [key], false);
      if (isSeq(mine) && isSeq(theirs)) {
        const into = nodeAt(first.doc, [key], true) as YAMLSeq;
        for (const item of theirs.items) into.add(portable(item));
        continue;
      }
      // Nothing of the first file's is lost when it had no value (`services:` alone is null).
      if (mine === undefined || (isScalar(mine) && mine.value === null)) {
        root.set(first.doc.createNode(key), portable(theirs));
        continue;
      }
      if (sameValue(first, (mine as Node).toJS(first.doc), d, data[key])) continue;
      if (!meaningful(key)) {
        root.set(first.doc.createNode(key), portable(theirs));
        continue;
      }
      throw new KongCtlError(
        'E_USAGE',
        `'${key}' is set differently in ${positionOf(first, mine as never)} and ${positionOf(d, theirs as never)}: merge would have to drop one of them`,
      );
    }
  }
  // decK writes the result's version as major.minor: a template rendered, "3" as "3.0".
  if (version && firstData._format_version !== `${version.major}.${version.minor}`) {
    root.set(first.doc.createNode('_format_version'), first.doc.createNode(`${version.major}.${version.minor}`));
  }
  return first;
}

