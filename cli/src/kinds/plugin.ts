import type { KindDef } from './kind';
import { shortKey } from './kind';

/**
 * Kong's plugin cache_key is {name, route, service, consumer}: at most one plugin of a name
 * per scope. The identity follows it, so a plugin is matched by where it applies.
 */
export function pluginScope(refs: Record<string, string | null>): string {
  const parts: string[] = [];
  if (refs.service) parts.push(`service=${shortKey(refs.service)}`);
  if (refs.route) parts.push(`route=${shortKey(refs.route)}`);
  if (refs.consumer) parts.push(`consumer=${shortKey(refs.consumer)}`);
  return parts.length ? parts.join(',') : 'global';
}

export const plugin: KindDef = {
  kind: 'plugin',
  schema: 'plugins',
  listPath: '/plugins',
  foreignKeys: { service: 'service', route: 'route', consumer: 'consumer' },
  replaceOn: ['name'],
  identity: (e) => `plugin:${String(e.fields.name)}@${pluginScope(e.refs)}`,
  label: (e) => {
    const scope = pluginScope(e.refs);
    return `plugin ${String(e.fields.name)} (${scope === 'global' ? 'global' : scope.replace(/=/g, ' ').replace(/,/g, ', ')})`;
  },
  createPath: () => '/plugins',
  entityPath: (id) => `/plugins/${id}`,
};
