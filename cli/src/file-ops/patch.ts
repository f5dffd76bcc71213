/**
 * decK's `file patch` (go-apiops patch/): on every mapping the selectors pick, set `values` and
 * delete the `remove` keys; with `values` given as a list, append it to every list picked instead.
 * From the command line, `--selector` with `--value key:json` (`key:` alone deletes) or
 * `--value '[json, …]'` (items to append); from patch files,
 * `{ _format_version: "1.0", patches: [{ selectors, values, remove }] }`, in order.
 *
 * decK skips a patch entry it cannot read; here it is an error at its line, and so is a patch
 * in a format decK only describes (merge-patch, json-patch).
 */
import { isMap, isSeq, type YAMLMap } from 'yaml';
import { KongCtlError } from '../model/errors';
import { setOwn } from '../model/own';
import { isPlainObject } from '../desired/kong-schema-check';
import { dataOf, positionOf, type DeckDocument } from './document';
import { checkMetaVersion, stringList } from './meta-file';
import { compileSelectors, formatLocation, matchLocations, nodeAt, selectorOrigin, type Location } from './select';

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

/**
 * `--value` flags, as decK reads them: `key:json` sets a key (strings are quoted JSON), `key:`
 * alone removes it, and a flag that is a JSON array (`["OPTIONS"]`) appends its items to every
 * list picked. decK applies only the appends when both kinds are given, silently dropping the
 * keys; here mixing them is refused, as in a patch file.
 */
export function parseValueFlags(flags: readonly string[]): Pick<Patch, 'values' | 'remove' | 'append'> {
  const values: Record<string, unknown> = {};
  const remove: string[] = [];
  const append: unknown[] = [];
  for (const flag of flags) {
    const trimmed = flag.trim();
    if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
      append.push(...parseArrayFlag(flag));
      continue;
    }
    const colon = flag.indexOf(':');
    if (colon <= 0) throw new KongCtlError('E_USAGE', `--value '${flag}' must be key:json-value (key: alone removes the key) or a JSON array of items to append`);
    const key = flag.slice(0, colon);
    const text = flag.slice(colon + 1).trim();
    if (text === '') {
      remove.push(key);
      continue;
    }
    try {
      // setOwn: the key is the user's, `__proto__` included (a header's name, a map's key).
      setOwn(values, key, JSON.parse(text));
    } catch {
      throw new KongCtlError('E_USAGE', `--value '${flag}': ${text} is not JSON (a string is quoted: ${key}:${JSON.stringify(text)})`);
    }
  }
  // Own keys: `in` would find `constructor` in any object, and refuse removing it.
  const both = remove.find((k) => Object.hasOwn(values, k));
  if (both) throw new KongCtlError('E_USAGE', `--value sets and removes '${both}' at once`);
  if (append.length && (remove.length || Object.keys(values).length)) {
    throw new KongCtlError('E_USAGE', '--value: a JSON array appends to lists, key:value sets keys on mappings: give one kind per command (decK would drop the keys)');
  }
  return append.length ? { values, remove, append } : { values, remove };
}

function parseArrayFlag(flag: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(flag);
  } catch (err) {
    throw new KongCtlError('E_USAGE', `--value '${flag}' is not a JSON array (items to append): ${(err as Error).message}`);
  }
  return parsed as unknown[];
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
  const selectors = compileSelectors(given ? patch.selectors : ['$'], selectorOrigin(patch.origin));
  // Nothing to set, remove or append (`values: {}` or `[]`): decK skips the patch, matches and all.
  if (!patch.append?.length && Object.keys(patch.values).length === 0 && patch.remove.length === 0) return { changed: 0, unmatched: [] };
  const matches = matchLocations(d, selectors);
  let changed = 0;
  for (const m of matches) {
    const target = nodeAt(d.doc, m.location, false);
    if (patch.append?.length) {
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
    // An empty list appends nothing: decK then applies the entry's `remove`, as for a mapping.
    if (Array.isArray(entry.values) && entry.values.length > 0) {
      if (remove.length) throw new KongCtlError('E_USAGE', `${where}: patches[${i}] appends values to lists, which have no keys to remove`);
      return { origin, selectors, values: {}, append: entry.values, remove };
    }
    if (entry.values !== undefined && !Array.isArray(entry.values) && !isPlainObject(entry.values)) {
      throw new KongCtlError('E_USAGE', `${at(['patches', i, 'values'])}: patches[${i}].values must be a mapping (keys to set) or a list (items to append)`);
    }
    const values = (Array.isArray(entry.values) ? {} : (entry.values ?? {})) as Record<string, unknown>;
    const both = remove.find((k) => Object.hasOwn(values, k));
    if (both) throw new KongCtlError('E_USAGE', `${where}: patches[${i}] sets and removes '${both}' at once`);
    return { origin, selectors, values, remove };
  });
}
