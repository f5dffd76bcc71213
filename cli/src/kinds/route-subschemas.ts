/**
 * Kong's route subschemas (kong/db/schema/entities/routes_subschemas.lua): with the traditional
 * and traditional_compatible routers, a route is also checked against the subschema of the first
 * of its protocols that has one, and takes that subschema's defaults. `GET /schemas/routes` does
 * not show them, so they are written down here, as Kong's Lua has them:
 *  - http/https: no `sources`/`destinations`; one of methods, hosts, headers, paths (snis too
 *    when https) must be set;
 *  - tcp/tls/udp/tls_passthrough: no methods, hosts, paths, headers; tcp/tls/udp need one of
 *    sources, destinations, snis, tls_passthrough needs snis;
 *  - grpc/grpcs: `strip_path` defaults to false and may not be true; no methods, sources,
 *    destinations; one of hosts, headers, paths (snis too when grpcs) must be set.
 * The expressions router (`router_flavor = expressions`) has none of this; a route written with
 * an `expression` is one for that router.
 */
import { getOwn } from '../model/own';

export interface RouteSubschemaProblem {
  /** The field at fault, when one is (a forbidden field); else the route as a whole. */
  field?: string;
  message: string;
}

const HTTP_FAMILY = "'http' or 'https'";
const STREAM_FAMILY = "'tcp', 'tls', 'tls_passthrough' or 'udp'";
const GRPC_FAMILY = "'grpc' or 'grpcs'";

type Family = 'http' | 'stream' | 'grpc';

const FAMILY_OF: Record<string, Family> = {
  http: 'http',
  https: 'http',
  tcp: 'stream',
  tls: 'stream',
  udp: 'stream',
  tls_passthrough: 'stream',
  grpc: 'grpc',
  grpcs: 'grpc',
};

const FORBIDDEN: Record<Family, { fields: string[]; protocols: string }> = {
  http: { fields: ['sources', 'destinations'], protocols: HTTP_FAMILY },
  stream: { fields: ['methods', 'hosts', 'paths', 'headers'], protocols: STREAM_FAMILY },
  grpc: { fields: ['methods', 'sources', 'destinations'], protocols: GRPC_FAMILY },
};

/** Kong's route protocols default, when the file leaves them out. */
const DEFAULT_PROTOCOLS = ['http', 'https'];

/** Kong's `is_nonempty`: set, and not an empty list, record or string. */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function protocolsOf(route: Record<string, unknown>): string[] {
  const p = route.protocols;
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string') : DEFAULT_PROTOCOLS;
}

/** The subschema Kong picks: that of the first protocol that has one. */
function familyOf(route: Record<string, unknown>): Family | undefined {
  // getOwn: a protocol written `constructor` (invalid, reported elsewhere) has no family, not Object.
  for (const p of protocolsOf(route)) if (getOwn(FAMILY_OF, p)) return FAMILY_OF[p];
  return undefined;
}

/** Whether the subschemas apply to this route (not one for the expressions router). */
export function usesRouteSubschemas(route: Record<string, unknown>, routerFlavor?: string): boolean {
  return routerFlavor !== 'expressions' && !isSet(route.expression);
}

const quoted = (fields: string[]) => fields.map((f) => `'${f}'`).join(', ');

function atLeastOne(route: Record<string, unknown>, fields: string[], message: string): RouteSubschemaProblem[] {
  return fields.some((f) => isSet(route[f])) ? [] : [{ message }];
}

/** What Kong's route subschema for these protocols refuses in this route (fields as the file writes them). */
export function routeSubschemaProblems(route: Record<string, unknown>, routerFlavor?: string): RouteSubschemaProblem[] {
  if (!usesRouteSubschemas(route, routerFlavor)) return [];
  const family = familyOf(route);
  if (!family) return [];
  const out: RouteSubschemaProblem[] = [];
  if (family === 'grpc' && route.strip_path === true) out.push({ field: 'strip_path', message: `cannot set 'strip_path' when 'protocols' is ${GRPC_FAMILY}` });
  const forbidden = FORBIDDEN[family];
  for (const f of forbidden.fields) {
    if (route[f] !== undefined && route[f] !== null) out.push({ field: f, message: `cannot set '${f}' when 'protocols' is ${forbidden.protocols}` });
  }
  const protocols = protocolsOf(route);
  if (family === 'http') {
    if (protocols.includes('https')) {
      const fields = ['methods', 'hosts', 'headers', 'paths', 'snis'];
      out.push(...atLeastOne(route, fields, `must set one of ${quoted(fields)} when 'protocols' is 'https'`));
    } else if (protocols.includes('http')) {
      const fields = ['methods', 'hosts', 'headers', 'paths'];
      out.push(...atLeastOne(route, fields, `must set one of ${quoted(fields)} when 'protocols' is 'http'`));
    }
  } else if (family === 'stream') {
    if (protocols.every((p) => ['tcp', 'tls', 'udp'].includes(p))) {
      const fields = ['sources', 'destinations', 'snis'];
      out.push(...atLeastOne(route, fields, `must set one of ${quoted(fields)} when 'protocols' is 'tcp', 'tls' or 'udp'`));
    }
    if (protocols.every((p) => p === 'tls_passthrough')) out.push(...atLeastOne(route, ['snis'], "must set snis when 'protocols' is 'tls_passthrough'"));
  } else if (protocols.includes('grpcs')) {
    const fields = ['hosts', 'headers', 'paths', 'snis'];
    out.push(...atLeastOne(route, fields, `must set one of ${quoted(fields)} when 'protocols' is 'grpcs'`));
  } else if (protocols.includes('grpc')) {
    const fields = ['hosts', 'headers', 'paths'];
    out.push(...atLeastOne(route, fields, `must set one of ${quoted(fields)} when 'protocols' is 'grpc'`));
  }
  return out;
}

/**
 * The subschema's own defaults for what the file leaves out: a gRPC route's `strip_path` is
 * false (the routes schema Kong serves says true; Kong stores false, and refuses true).
 */
export function withRouteSubschemaDefaults(route: Record<string, unknown>, routerFlavor?: string): Record<string, unknown> {
  if (!usesRouteSubschemas(route, routerFlavor) || familyOf(route) !== 'grpc' || route.strip_path !== undefined) return route;
  return { ...route, strip_path: false };
}
