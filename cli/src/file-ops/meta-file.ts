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

/** A patch or plugin file may say `_format_version: "1.0"`: only major version 1 is known. */
export function checkMetaVersion(d: DeckDocument, data: Record<string, unknown>): void {
  const v = data._format_version;
  if (v === undefined) return;
  const node = nodeAt(d.doc, ['_format_version'], false);
  if (!(typeof v === 'string' || typeof v === 'number') || !/^1(\.\d+)?$/.test(String(v))) {
    throw new KongCtlError('E_USAGE', `${positionOf(d, node as never)}: _format_version of ${d.name} must be "1.0" (decK's patch and plugin file format), not ${JSON.stringify(v)}`);
  }
}
