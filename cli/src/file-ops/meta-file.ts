/**
 * What decK's patch and plugin files share: an optional `_format_version: "1.0"` and lists of
 * strings (selectors, keys to remove).
 */
import { KongCtlError } from '../model/errors';
import { positionOf, type DeckDocument } from './document';
import { nodeAt } from './select';

/** A list of strings, or nothing (undefined: the default applies). */
export function stringList(v: unknown, where: string, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new KongCtlError('E_USAGE', `${where}: ${what} must be a list of strings`);
  return v as string[];
}

/**
 * A patch or plugin file may say `_format_version: "1.0"`. decK reads it as `major.minor` and
 * goes on whatever the numbers (a `"3.0"` copied from a decK file's header works), so only a
 * version that is no `major.minor` is refused. An unquoted `1.0`, as go-apiops' own example
 * patch file writes it, is taken too (decK wants a string there).
 */
export function checkMetaVersion(d: DeckDocument, data: Record<string, unknown>): void {
  const v = data._format_version;
  if (v === undefined) return;
  const node = nodeAt(d.doc, ['_format_version'], false);
  if (!(typeof v === 'string' || typeof v === 'number') || !/^\d+(\.\d+)?$/.test(String(v))) {
    throw new KongCtlError('E_USAGE', `${positionOf(d, node as never)}: _format_version of ${d.name} must be a version such as "1.0", not ${JSON.stringify(v)}`);
  }
}
