/**
 * decK's `file patch` (go-apiops patch/): on every mapping the selectors pick, set `values` and
 * delete the `remove` keys; with `values` given as a list, append it to every list picked instead.
 * From the command line, `--selector` with `--value key:json` (`key:` alone deletes); from patch
 * files, `{ _format_version: "1.0", patches: [{ selectors, values, remove }] }`, in order.
 *
 * decK skips a patch entry it cannot read; here it is an error at its line, and so is a patch
 * in a format decK only describes (merge-patch, json-patch).
 */
import { isMap, isSeq, type YAMLMap } from 'yaml';
import { KongCtlError } from '../model/errors';
import { isPlainObject } from '../desired/kong-schema-check';
import { dataOf, positionOf, type DeckDocument } from './document';
import { checkMetaVersion, stringList } from './meta-file';
import { compileSelectors, formatLocation, matchLocations, nodeAt, type Location } from './select';

export interface Patch {
  origin: string;
  selectors: string[];
  /** Keys to set on every mapping picked. */
  values: Record<string, unknown>;
  /** Items to append to every list picked (values given as a list). */
  append?: unknown[];
  remove: string[];
}

export interface PatchResult {
  /** Mappings or lists changed. */
  changed: number;
  unmatched: string[];
}

/** `--value key:json` flags: `key:` alone removes the key. Strings must be quoted JSON, as in decK. */
export function parseValueFlags(flags: readonly string[]): Pick<Patch, 'values' | 'remove'> {
  const values: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const flag of flags) {
    const colon = flag.indexOf(':');
    if (colon <= 0) throw new KongCtlError('E_USAGE', `--value '${flag}' must be key:json-value (key: alone removes the key)`);
    const key = flag.slice(0, colon);
    const text = flag.slice(colon + 1).trim();
    if (text === '') {
      remove.push(key);
      continue;
    }
    try {
      values[key] = JSON.parse(text);
    } catch {
      throw new KongCtlError('E_USAGE', `--value '${flag}': ${text} is not JSON (a string is quoted: ${key}:${JSON.stringify(text)})`);
    }
  }
  const both = remove.find((k) => k in values);
  if (both) throw new KongCtlError('E_USAGE', `--value sets and removes '${both}' at once`);
  return { values, remove };
}

function applyToMap(d: DeckDocument, map: YAMLMap, location: Location, patch: Patch): boolean {
  let changed = false;
  for (const [key, value] of Object.entries(patch.values)) {
    map.set(d.doc.createNode(key), d.doc.createNode(value));
    changed = true;
  }
  for (const key of patch.remove) {
    if (map.has(key)) {
      map.delete(key);
      changed = true;
    }
    if (nodeAt(d.doc, [...location, key], false) !== undefined) {
      throw new KongCtlError(
        'E_USAGE',
        `${patch.origin}: cannot remove '${key}' from ${formatLocation(location)} in ${d.name}: a YAML merge key (<<) brings it in; remove it there`,
      );
    }
  }
  return changed;
}

export function applyPatch(d: DeckDocument, patch: Patch): PatchResult {
  const given = patch.selectors.length > 0;
  const matches = matchLocations(d, compileSelectors(given ? patch.selectors : ['$'], `${patch.origin} selector`));
  let changed = 0;
  for (const m of matches) {
    const target = nodeAt(d.doc, m.location, false);
    if (patch.append) {
      if (!isSeq(target)) continue;
      const list = nodeAt(d.doc, m.location, true) as typeof target;
      for (const item of patch.append) list.add(d.doc.createNode(item));
      changed++;
    } else if (isMap(target)) {
      if (applyToMap(d, nodeAt(d.doc, m.location, true) as YAMLMap, m.location, patch)) changed++;
    }
  }
  const matched = new Set(matches.map((m) => m.selector));
  return { changed, unmatched: given ? patch.selectors.filter((s) => !matched.has(s)) : [] };
}

const PATCH_KEYS = ['selectors', 'values', 'remove'];

export function parsePatchFile(d: DeckDocument): Patch[] {
  const data = dataOf(d);
  const at = (path: Location) => positionOf(d, nodeAt(d.doc, path, false) as never);
  checkMetaVersion(d, data);
  const list = data.patches;
  if (!Array.isArray(list)) throw new KongCtlError('E_USAGE', `${at([])}: a patch file needs a 'patches' list`);
  for (const key of Object.keys(data)) {
    if (key !== 'patches' && key !== '_format_version') throw new KongCtlError('E_USAGE', `${at([key])}: unknown key '${key}' in a patch file (patches, _format_version)`);
  }
  return list.map((entry, i): Patch => {
    const where = at(['patches', i]);
    if (!isPlainObject(entry)) throw new KongCtlError('E_USAGE', `${where}: patches[${i}] must be a mapping (selectors, values, remove)`);
    if ('format' in entry && entry.format !== 'deck') {
      throw new KongCtlError('E_USAGE', `${at(['patches', i, 'format'])}: patches[${i}] has format ${JSON.stringify(entry.format)}: only decK's own patches (selectors, values, remove) are applied, as by decK`);
    }
    for (const key of Object.keys(entry)) {
      if (key !== 'format' && !PATCH_KEYS.includes(key)) throw new KongCtlError('E_USAGE', `${at(['patches', i, key])}: unknown key '${key}' (selectors, values, remove)`);
    }
    if (entry.values === undefined && entry.remove === undefined) throw new KongCtlError('E_USAGE', `${where}: patches[${i}] has neither values nor remove: it would change nothing`);
    const selectors = stringList(entry.selectors, at(['patches', i, 'selectors']), `patches[${i}].selectors`);
    const remove = stringList(entry.remove, at(['patches', i, 'remove']), `patches[${i}].remove`);
    const origin = `${d.name}: patches[${i}]`;
    if (Array.isArray(entry.values)) {
      if (remove.length) throw new KongCtlError('E_USAGE', `${where}: patches[${i}] appends values to lists, which have no keys to remove`);
      return { origin, selectors, values: {}, append: entry.values, remove };
    }
    if (entry.values !== undefined && !isPlainObject(entry.values)) {
      throw new KongCtlError('E_USAGE', `${at(['patches', i, 'values'])}: patches[${i}].values must be a mapping (keys to set) or a list (items to append)`);
    }
    const values = (entry.values ?? {}) as Record<string, unknown>;
    const both = remove.find((k) => k in values);
    if (both) throw new KongCtlError('E_USAGE', `${where}: patches[${i}] sets and removes '${both}' at once`);
    return { origin, selectors, values, remove };
  });
}
