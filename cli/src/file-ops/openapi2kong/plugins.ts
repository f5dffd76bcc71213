/**
 * Plugins from `x-kong-plugin-<name>` extensions. A plugin set on the document applies to the
 * document's service, on a path to that path's routes, on an operation to its route; an entity
 * that gets its own service (own servers or defaults) takes copies of the plugins above it,
 * each with its own id. Lists are sorted by plugin name, one plugin per name, the lower level
 * winning.
 */
import { deepCopy } from './go-json';
import { xKongObject, type Components, type Extended, type Obj } from './extensions';
import { uuidV5 } from './names';
import type { Spec } from './spec';

const PREFIX = 'x-kong-plugin-';

export interface PluginContext {
  spec: Spec;
  components: Components;
  namespace: string;
  tags: string[];
  skipId: boolean;
}

export function pluginId(namespace: string, baseName: string, pluginName: string): string {
  return uuidV5(namespace, `${baseName}.plugin.${pluginName}`);
}

/** The plugins `at` sets, on top of copies of `inherited`, for the entity named `baseName`. */
export function pluginsList(ctx: PluginContext, at: Extended | undefined, inherited: Obj[] | undefined, baseName: string): Obj[] {
  const plugins = new Map<string, Obj>();
  for (const p of inherited ?? []) {
    const copy = deepCopy(p);
    if (!ctx.skipId) copy.id = pluginId(ctx.namespace, baseName, copy.name as string);
    copy.tags = ctx.tags;
    plugins.set(copy.name as string, copy);
  }
  for (const key of Object.keys(at?.value ?? {})) {
    if (!key.startsWith(PREFIX) || !at) continue;
    const name = key.slice(PREFIX.length);
    const config = xKongObject(ctx.spec, at, key, ctx.components)!;
    config.name = name;
    if (!ctx.skipId) config.id = pluginId(ctx.namespace, baseName, name);
    config.tags = ctx.tags;
    // An entity's plugin belongs to that entity: its own service/route foreign keys are dropped (a consumer stays).
    delete config.service;
    delete config.route;
    plugins.set(name, config);
  }
  return [...plugins.keys()].sort().map((n) => plugins.get(n)!);
}

/**
 * The request-validator config is not a plain plugin: it is taken out of the list, handed down
 * to the operations, and generated per operation from its parameters and body.
 */
export function takeValidator(list: Obj[], current: Obj | undefined): { validator: Obj | undefined; list: Obj[] } {
  const i = list.findIndex((p) => p.name === 'request-validator');
  if (i === -1) return { validator: current, list };
  return { validator: deepCopy(list[i]), list: [...list.slice(0, i), ...list.slice(i + 1)] };
}

/** `plugin` put in the name-sorted list, replacing one of the same name. */
export function insertPlugin(list: Obj[], plugin: Obj | undefined): Obj[] {
  if (!plugin) return list;
  const out = list.filter((p) => p.name !== plugin.name);
  const at = out.findIndex((p) => (p.name as string) > (plugin.name as string));
  out.splice(at === -1 ? out.length : at, 0, plugin);
  return out;
}

/**
 * A plugin scoped to a consumer as well has two foreign keys, which decK cannot nest under one
 * entity: it moves to the top-level plugins, naming its service or route.
 */
export function moveConsumerPlugins(topLevel: Obj[], list: Obj[], key: 'service' | 'route', owner: string): Obj[] {
  const kept: Obj[] = [];
  for (const p of list) {
    if (p.consumer === undefined || p.consumer === null) kept.push(p);
    else topLevel.push({ ...p, [key]: owner });
  }
  return kept;
}

/** decK's order for the top-level plugins: by name, then service, route and consumer. */
export function sortTopLevel(plugins: Obj[]): Obj[] {
  const key = (p: Obj) => [p.name, p.service, p.route, p.consumer].map((v) => (typeof v === 'string' ? v : '')).join('\u0000') + '\u0000';
  return plugins.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
