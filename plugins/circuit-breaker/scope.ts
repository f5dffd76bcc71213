/**
 * Which breaker a request belongs to. `access` takes the id from the instance config when the
 * plugin is attached to what its scope names (no PDK call), else asks Kong's router (one call: the
 * breaker is then right wherever the plugin is attached — globally, on a service or on a route);
 * `log` reads the same ids from `kong.log.serialize()`, the one call it makes anyway.
 */
import type { Kong } from '../shared/pdk';
import type { Scope } from './schema';

export interface ScopeKey {
  scope: Scope;
  serviceId?: string;
  routeId?: string;
  /** `service_host`: the Host the client asked for (nginx `$host`: lower case, no port). */
  host?: string;
  /** The service's or route's name, when Kong gave it (for logs and the state endpoint). */
  name?: string;
}

/** The key of a breaker inside its config's family. */
export function keyString(key: ScopeKey): string {
  switch (key.scope) {
    case 'service':
      return `service:${key.serviceId}`;
    case 'route':
      return `route:${key.routeId}`;
    case 'service_host':
      return `service_host:${key.serviceId}|${key.host}`;
  }
}

/** How a breaker is named in Kong's log. */
export function describeScope(key: ScopeKey): string {
  const named = key.name ? ` (${key.name})` : '';
  switch (key.scope) {
    case 'service':
      return `service ${key.serviceId}${named}`;
    case 'route':
      return `route ${key.routeId}${named}`;
    case 'service_host':
      return `service ${key.serviceId}${named} host ${key.host}`;
  }
}

function entity(value: unknown): { id?: string; name?: string } {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  return {
    id: typeof v.id === 'string' && v.id !== '' ? v.id : undefined,
    name: typeof v.name === 'string' && v.name !== '' ? v.name : undefined,
  };
}

/** A scope id Kong put in the instance config (`service_id`/`route_id` when the plugin is attached there). */
function attachedId(instanceConfig: Record<string, unknown>, field: 'service_id' | 'route_id'): string | undefined {
  const id = instanceConfig[field];
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * The request's breaker key in `access`. When the plugin is attached to the entity its scope
 * names, Kong already put that id in the instance config (a plugin on a service runs only for that
 * service's requests), so no PDK call is needed: scope `service` on a service, `route` on a route.
 * Otherwise: `service` — router.getService; `route` — router.getRoute; `service_host` —
 * request.getHost, plus router.getService unless the plugin is on the service. The name is then
 * learnt in `log`, from serialize. Undefined when the request has no service/route (nothing to
 * protect).
 */
export async function keyFromRequest(kong: Kong, scope: Scope, instanceConfig: Record<string, unknown>): Promise<ScopeKey | undefined> {
  if (scope === 'route') {
    const attached = attachedId(instanceConfig, 'route_id');
    if (attached) return { scope, routeId: attached };
    const route = entity(await kong.router.getRoute());
    return route.id ? { scope, routeId: route.id, name: route.name } : undefined;
  }
  const attached = attachedId(instanceConfig, 'service_id');
  const service = attached ? { id: attached, name: undefined } : entity(await kong.router.getService());
  if (!service.id) return undefined;
  if (scope === 'service') return { scope, serviceId: service.id, name: service.name };
  const host = await kong.request.getHost();
  return typeof host === 'string' && host !== '' ? { scope, serviceId: service.id, name: service.name, host: host.toLowerCase() } : undefined;
}

/** `host` of `request.url` (`scheme://host:port/uri`, built by Kong's serializer from `$host`). */
export function hostOfLoggedUrl(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const start = url.indexOf('://');
  if (start < 0) return undefined;
  const rest = url.slice(start + 3);
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const colon = authority.lastIndexOf(':');
  const host = colon > 0 && !authority.endsWith(']') ? authority.slice(0, colon) : authority;
  return host === '' ? undefined : host.toLowerCase();
}

/** The request's breaker key in `log`, from the serializer's table. */
export function keyFromSerialized(scope: Scope, data: Record<string, unknown>): ScopeKey | undefined {
  if (scope === 'route') {
    const route = entity(data.route);
    return route.id ? { scope, routeId: route.id, name: route.name } : undefined;
  }
  const service = entity(data.service);
  if (!service.id) return undefined;
  if (scope === 'service') return { scope, serviceId: service.id, name: service.name };
  const host = hostOfLoggedUrl((data.request as Record<string, unknown> | undefined)?.url);
  return host ? { scope, serviceId: service.id, name: service.name, host } : undefined;
}
