/**
 * decK's `--reuse-services` (go-apiops' ReuseServices): a path or operation that would get a
 * service of its own takes an earlier one instead when it would be the same service, i.e. the
 * same servers (after normalization, in order), service defaults and upstream defaults. Paths
 * and operations keep separate caches: a path's service carries the document's and the path's
 * plugins, an operation's carries none (they all go to its routes), so one cannot stand in for
 * the other. A path with plugins of its own neither takes nor offers a service, lest its
 * plugins apply to another path's routes.
 */
import { goJson } from './go-json';
import type { Defaults, Obj } from './extensions';
import { normalizedServerUrls, type Server } from './servers';
import type { Spec } from './spec';

export type ServiceCache = Map<string, Obj>;

/** What makes two services the same; defaults compare as data, whatever their key order. */
export function serviceKey(spec: Spec, servers: Server[], defaults: Defaults): string {
  return JSON.stringify([
    normalizedServerUrls(spec, servers),
    defaults.service === undefined ? null : goJson(defaults.service),
    defaults.upstream === undefined ? null : goJson(defaults.upstream),
  ]);
}

export function hasOwnPlugins(pathItem: Obj): boolean {
  return Object.keys(pathItem).some((k) => k.startsWith('x-kong-plugin-'));
}
