/**
 * decK's `file add-plugins` (go-apiops plugins/plugins.go): plugins added to the services,
 * routes and consumers the selectors pick, or to the file's top-level `plugins` by default.
 *
 * An owner that already has a plugin of that name keeps it unless `overwrite`; in the top-level
 * list a plugin is the same one only with the same scope too (service, route, consumer,
 * consumer_group). A plugin naming a scope can only go at the top: nested, its scope is its
 * parent. As with tags, a selector that picks something that cannot hold plugins is refused.
 */
import { isMap, isSeq, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { KongCtlError } from '../model/errors';
import { isPlainObject } from '../desired/kong-schema-check';
import { dataOf, positionOf, type DeckDocument } from './document';
import { isPluginOwner } from './entities';
import { compileSelectors, editableField, formatLocation, matchLocations, nodeAt, selectorOrigin, type Location } from './select';
import { checkMetaVersion, stringList } from './meta-file';

const SCOPE_FIELDS = ['service', 'route', 'consumer', 'consumer_group'] as const;

export interface PluginPatch {
  /** Where it was given, for messages: `--config`, or `plugins.yaml: add-plugins[0]`. */
  origin: string;
  selectors: string[];
  plugins: Array<Record<string, unknown>>;
  overwrite: boolean;
}

export interface AddPluginsResult {
  added: number;
  replaced: number;
  /** Already there, kept because overwrite was not asked for. */
  kept: number;
  unmatched: string[];
}

/** The scope a plugin names, as one key: `service:route:consumer:consumer_group:` values. */
function scopeKey(data: Record<string, unknown>): string {
  return SCOPE_FIELDS.map((f) => {
    const v = data?.[f];
    return typeof v === 'string' ? v : isPlainObject(v) ? String(v.name ?? v.id ?? '') : '';
  }).join(':');
}

const NO_SCOPE = scopeKey({});

function nameOf(plugin: unknown): unknown {
  return isMap(plugin) ? (plugin.get('name') as unknown) : undefined;
}

/** A plugin given to add: a mapping with a name. */
export function checkPlugin(plugin: unknown, where: string): Record<string, unknown> {
  if (!isPlainObject(plugin)) throw new KongCtlError('E_USAGE', `${where}: a plugin must be a mapping (name, config…)`);
  if (typeof plugin.name !== 'string' || plugin.name === '') throw new KongCtlError('E_USAGE', `${where}: a plugin needs a name`);
  return plugin;
}

function owners(d: DeckDocument, patch: PluginPatch): { locations: Location[]; unmatched: string[] } {
  const given = patch.selectors.length > 0;
  const matches = matchLocations(d, compileSelectors(given ? patch.selectors : ['$'], selectorOrigin(patch.origin)));
  for (const m of matches) {
    if (!isPluginOwner(m.location)) {
      throw new KongCtlError(
        'E_USAGE',
        `${selectorOrigin(patch.origin)} '${m.selector}' selects ${formatLocation(m.location)} in ${d.name}, which cannot hold plugins (the top of the file, services, routes, consumers and consumer groups can)`,
      );
    }
  }
  const matched = new Set(matches.map((m) => m.selector));
  return { locations: matches.map((m) => m.location), unmatched: given ? patch.selectors.filter((s) => !matched.has(s)) : [] };
}

function pluginsList(doc: Document, owner: YAMLMap): YAMLSeq {
  const list = editableField(doc, owner, 'plugins');
  if (isSeq(list)) return list;
  const created = doc.createNode([]) as YAMLSeq;
  owner.set(doc.createNode('plugins'), created);
  return created;
}

export function addPlugins(d: DeckDocument, patch: PluginPatch): AddPluginsResult {
  const { locations, unmatched } = owners(d, patch);
  const onlyTop = locations.length === 1 && locations[0].length === 0;
  patch.plugins.forEach((p, i) => {
    if (!onlyTop && scopeKey(p) !== NO_SCOPE) {
      throw new KongCtlError(
        'E_USAGE',
        `${patch.origin}: plugin ${i} (${String(p.name)}) names a service, route, consumer or consumer_group, which only a plugin in the top-level plugins list can: nested, its parent is its scope`,
      );
    }
  });
  const result: AddPluginsResult = { added: 0, replaced: 0, kept: 0, unmatched };
  for (const location of locations) {
    const owner = nodeAt(d.doc, location, true) as YAMLMap;
    const top = location.length === 0;
    for (const plugin of patch.plugins) {
      const list = pluginsList(d.doc, owner);
      const same = list.items.findIndex(
        (existing) =>
          isMap(existing) && nameOf(existing) === plugin.name && (!top || scopeKey(existing.toJS(d.doc) as Record<string, unknown>) === scopeKey(plugin)),
      );
      if (same < 0) {
        list.add(d.doc.createNode(plugin));
        result.added++;
      } else if (patch.overwrite) {
        list.items[same] = d.doc.createNode(plugin);
        result.replaced++;
      } else result.kept++;
    }
  }
  return result;
}

/**
 * decK's plugin file: `{ _format_version: "1.0", add-plugins: [{ selectors, overwrite, plugins }] }`,
 * applied in order. Every problem is an error at its line.
 */
export function parsePluginFile(d: DeckDocument): PluginPatch[] {
  const data = dataOf(d);
  const at = (path: Location) => positionOf(d, nodeAt(d.doc, path, false) as never);
  checkMetaVersion(d, data);
  const list = data['add-plugins'];
  if (!Array.isArray(list)) throw new KongCtlError('E_USAGE', `${at([])}: a plugin file needs an 'add-plugins' list`);
  for (const key of Object.keys(data)) {
    if (key !== 'add-plugins' && key !== '_format_version') throw new KongCtlError('E_USAGE', `${at([key])}: unknown key '${key}' in a plugin file (add-plugins, _format_version)`);
  }
  return list.map((entry, i) => {
    const where = at(['add-plugins', i]);
    if (!isPlainObject(entry)) throw new KongCtlError('E_USAGE', `${where}: add-plugins[${i}] must be a mapping (selectors, overwrite, plugins)`);
    for (const key of Object.keys(entry)) {
      if (!['selectors', 'overwrite', 'plugins'].includes(key)) throw new KongCtlError('E_USAGE', `${at(['add-plugins', i, key])}: unknown key '${key}' (selectors, overwrite, plugins)`);
    }
    const selectors = stringList(entry.selectors, at(['add-plugins', i, 'selectors']), `add-plugins[${i}].selectors`);
    if (entry.overwrite !== undefined && typeof entry.overwrite !== 'boolean') {
      throw new KongCtlError('E_USAGE', `${at(['add-plugins', i, 'overwrite'])}: add-plugins[${i}].overwrite must be true or false`);
    }
    if (!Array.isArray(entry.plugins)) throw new KongCtlError('E_USAGE', `${where}: add-plugins[${i}] needs a 'plugins' list`);
    const plugins = entry.plugins.map((p, j) => checkPlugin(p, `${at(['add-plugins', i, 'plugins', j])}: add-plugins[${i}].plugins[${j}]`));
    return { origin: `${d.name}: add-plugins[${i}]`, selectors, plugins, overwrite: entry.overwrite === true };
  });
}
