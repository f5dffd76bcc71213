/**
 * decK's `file namespace` (go-apiops namespace/): routes put under a path prefix
 * (`--path-prefix /billing`: `/invoices` becomes `/billing/invoices`, `~/items/\d+$` becomes
 * `~/billing/items/\d+$`) and/or given hosts (`--host`, `--clear-hosts`), so that two teams'
 * APIs with the same paths can share one gateway.
 *
 * The service must still see the paths it saw before. A route with `strip_path: true` (Kong's
 * default) strips all it matched, prefix included. A route with `strip_path: false` gets a
 * pre-function whose access code takes the prefix out of the upstream path. Where kong-ctl parts
 * from decK, and why:
 *  - the pre-function goes on the route, never on its service: a service-level one would also act
 *    on the service's routes that other files hold. For the same reason a service `path` that ends
 *    in the prefix is left as it is (decK, when all the service's routes in the file need
 *    stripping, drops the prefix from it instead): the service sees the same paths either way;
 *  - the strip code is kong-ctl's own text (stripPrefixLua), not decK's: the same upstream paths
 *    for go-apiops' cases (test/cli/file-ops/namespace-apiops.test.ts), compiled once by Kong;
 *  - Kong runs one pre-function per request, the most specific: a route's pre-function already
 *    there gets the prefix code first in its access list (decK adds a second one to the route,
 *    which Kong refuses), and one its service or the whole gateway has is copied into the route's
 *    (decK's new one would silently switch it off for that route);
 *  - the prefix is escaped in regex paths (`/v1.2` must not match `/v1x2`);
 *  - routes a namespace cannot apply to are refused: stream routes, gRPC routes for a path prefix
 *    (gRPC clients cannot add one, and nginx's grpc_pass sends the path as received), routes
 *    matching by `expression`, template paths. With no selector they are skipped with a warning.
 */
import { isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';
import { KongCtlError } from '../model/errors';
import { isPlainObject } from '../desired/kong-schema-check';
import { checkRoutePath } from '../desired/route-paths';
import { routeHostProblem } from '../kinds/kong-ip';
import { dataOf, positionOf, type DeckDocument } from './document';
import { entityKindAt, entitySelectors } from './entities';
import { compileSelectors, editableField, formatLocation, matchLocations, nodeAt, type Location } from './select';

export interface NamespaceOptions {
  /** The path prefix, checked by checkPathPrefix. */
  pathPrefix?: string;
  hosts: string[];
  clearHosts: boolean;
  selectors: string[];
  allowEmptySelectors: boolean;
}

export interface NamespaceResult {
  /** Routes given the path prefix. */
  prefixed: number;
  /** Of those, routes that strip it with a pre-function (strip_path: false). */
  stripped: number;
  /** Routes whose hosts changed. */
  hosted: number;
  warnings: string[];
}

const PRE_FUNCTION = 'pre-function';
const SCOPES = ['service', 'route', 'consumer', 'consumer_group'] as const;
const HTTP = new Set(['http', 'https']);
const STREAM = new Set(['tcp', 'tls', 'udp', 'tls_passthrough']);
const TEMPLATE = /__kong_ctl_template_\d+__/;

/** decK's rules (a leading `/`, something after it, no `//`), and a plain, normalized Kong path. */
export function checkPathPrefix(prefix: string): string {
  const why = (reason: string) => new KongCtlError('E_USAGE', `invalid --path-prefix '${prefix}': ${reason}`);
  if (!prefix.startsWith('/') || prefix === '/' || prefix.startsWith('//')) throw why("it must start with '/' and name at least one segment, e.g. /billing");
  if (!/^(\/[A-Za-z0-9._~!$&'*+,;=:@-]+)+\/?$/.test(prefix)) {
    throw why("segments may hold letters, digits and - . _ ~ ! $ & ' * + , ; = : @ only (no empty segment, no percent-encoding)");
  }
  const problem = checkRoutePath(prefix);
  if (problem?.severity === 'error') throw why(problem.message);
  return prefix;
}

const escapeRegex = (s: string) => s.replace(/[.$()*+?^[\]{}|\\]/g, '\\$&');

/** A route path with the prefix in front: `/list` → `/kong/list`, `/` → `/kong`, `~/list$` → `~/kong/list$`. */
export function prefixPath(path: string, prefix: string): string {
  const regex = path.startsWith('~');
  const rest = path.slice(regex ? 2 : 1);
  const slash = prefix.endsWith('/') || rest === '' || (regex && rest === '$') ? '' : '/';
  return regex ? `~${escapeRegex(prefix)}${slash}${rest}` : `${prefix}${slash}${rest}`;
}

/**
 * The pre-function access code that takes the prefix out of the upstream path (the request path
 * after the service's own path, when strip_path is false): its first occurrence followed by `/`,
 * else a trailing one. It returns a function, so Kong compiles it once (the serverless plugins'
 * 0.2.0 form), and it uses only `ngx.var` and string methods, which Kong's sandbox allows.
 */
export function stripPrefixLua(prefix: string): string {
  const ns = prefix.replace(/\/+$/, '');
  return [
    `-- kong-ctl file namespace: the service sees paths without the ${ns} prefix`,
    `local ns = ${JSON.stringify(ns)}`,
    'return function()',
    '  local uri = ngx.var.upstream_uri',
    "  local s, e = uri:find(ns .. '/', 1, true)",
    '  if s then',
    '    uri = uri:sub(1, s) .. uri:sub(e + 1)',
    '  elseif uri:sub(-#ns) == ns then',
    '    uri = uri:sub(1, -#ns - 1)',
    "    if uri == '' then uri = '/' end",
    '  else',
    '    return',
    '  end',
    '  ngx.var.upstream_uri = uri',
    'end',
  ].join('\n');
}

type Data = Record<string, unknown>;

function dataAt(data: unknown, location: Location): unknown {
  let v = data;
  for (const seg of location) v = (v as Record<string | number, unknown> | undefined)?.[seg];
  return v;
}

/** Whether a foreign-key value (`name`, `id`, `{ name }`, `{ id }`) names the entity. */
function names(ref: unknown, entity: Data): boolean {
  const target = isPlainObject(ref) ? (ref.id ?? ref.name) : ref;
  return typeof target === 'string' && (target === entity.id || target === entity.name);
}

interface Route {
  location: Location;
  data: Data;
  /** `file:line:column route NAME (services[0].routes[1])`, for messages. */
  where: string;
}

function describeRoute(d: DeckDocument, location: Location, data: Data): string {
  const name = typeof data.name === 'string' ? ` '${data.name}'` : '';
  return `${positionOf(d, nodeAt(d.doc, location, false) as never)}: route${name} (${formatLocation(location)})`;
}

/** Why the namespace cannot apply to a route, or undefined. */
function refusal(r: Route, opts: NamespaceOptions): string | undefined {
  const route = r.data;
  if (route.expression !== undefined) return 'it matches by `expression` (the expressions router): put the namespace in its expression';
  const protocols = route.protocols ?? ['http', 'https'];
  if (!Array.isArray(protocols) || protocols.some((p) => typeof p !== 'string')) return 'its protocols are not a list of names';
  if (opts.pathPrefix !== undefined) {
    const other = protocols.find((p) => !HTTP.has(p));
    if (other) return `it serves ${other}: a path prefix applies to http and https routes only (gRPC clients cannot add one, stream routes have no paths)`;
    if (route.strip_path !== undefined && typeof route.strip_path !== 'boolean') return 'its strip_path is not true or false';
    const paths = route.paths;
    if (paths !== undefined && paths !== null && !Array.isArray(paths)) return 'its paths are not a list';
    for (const p of (paths as unknown[] | undefined) ?? []) {
      if (typeof p !== 'string') return `its path ${JSON.stringify(p)} is not a string`;
      if (TEMPLATE.test(p)) return `its path '${p}' is a template: what it renders to cannot be prefixed here`;
      if (!p.startsWith('/') && !p.startsWith('~/')) return `its path '${p}' starts with neither / nor ~/, as Kong requires`;
    }
  }
  if (opts.hosts.length || opts.clearHosts) {
    const stream = protocols.find((p) => STREAM.has(p));
    if (stream) return `it serves ${stream}: stream routes match by snis, not hosts`;
    if (route.hosts !== undefined && route.hosts !== null && !Array.isArray(route.hosts)) return 'its hosts are not a list';
  }
  return undefined;
}

function selectRoutes(d: DeckDocument, data: Data, opts: NamespaceOptions, warnings: string[]): Route[] {
  const given = opts.selectors.length > 0;
  const matches = matchLocations(d, compileSelectors(given ? opts.selectors : entitySelectors())).filter(
    (m) => given || entityKindAt(m.location) === 'route',
  );
  for (const m of matches) {
    if (entityKindAt(m.location) !== 'route') {
      throw new KongCtlError('E_USAGE', `--selector '${m.selector}' selects ${formatLocation(m.location)} in ${d.name}, which is not a route: a namespace applies to routes`);
    }
  }
  if (given) {
    const matched = new Set(matches.map((m) => m.selector));
    for (const s of opts.selectors) if (!matched.has(s)) warnings.push(`--selector '${s}' selects nothing in ${d.name}`);
  }
  const routes: Route[] = [];
  for (const m of matches) {
    const route = dataAt(data, m.location) as Data;
    const r: Route = { location: m.location, data: route, where: describeRoute(d, m.location, route) };
    const why = refusal(r, opts);
    if (why === undefined) routes.push(r);
    else if (given) throw new KongCtlError('E_USAGE', `${r.where} cannot be namespaced: ${why}`);
    else warnings.push(`${r.where} left as it is: ${why}`);
  }
  if (routes.length === 0) {
    const none = `no route of ${d.name} ${given ? 'matched the selectors' : 'can be namespaced'}`;
    if (!opts.allowEmptySelectors) throw new KongCtlError('E_USAGE', `${none} (--allow-empty-selectors writes the file unchanged)`);
    warnings.push(`${none}: the file is written unchanged`);
  }
  return routes;
}

/** The paths of a route with the prefix; a route without paths gets the prefix as its one path. */
function prefixRoute(d: DeckDocument, r: Route, prefix: string): void {
  const route = nodeAt(d.doc, r.location, true) as YAMLMap;
  const paths = editableField(d.doc, route, 'paths');
  if (!isSeq(paths) || paths.items.length === 0) {
    route.set(d.doc.createNode('paths'), d.doc.createNode([prefix]));
    return;
  }
  paths.items.forEach((item, i) => {
    const path = (r.data.paths as string[])[i];
    const next = prefixPath(path, prefix);
    const problem = checkRoutePath(next);
    if (problem?.severity === 'error') throw new KongCtlError('E_USAGE', `${r.where}: its path '${path}' under ${prefix} is '${next}', which Kong refuses: ${problem.message}`);
    if (isScalar(item)) item.value = next;
    else paths.items[i] = d.doc.createNode(next);
  });
}

interface PluginAt {
  location: Location;
  data: Data;
}

function findPlugin(data: Data, owner: Location, matches: (p: Data) => boolean): PluginAt | undefined {
  const list = dataAt(data, [...owner, 'plugins']);
  if (!Array.isArray(list)) return undefined;
  const i = list.findIndex((p) => isPlainObject(p) && p.name === PRE_FUNCTION && matches(p));
  return i < 0 ? undefined : { location: [...owner, 'plugins', i], data: list[i] as Data };
}

const unscoped = (p: Data, except: readonly string[] = []) => SCOPES.every((s) => except.includes(s) || p[s] === undefined || p[s] === null);

/** The service a route belongs to in this file: its parent, else the top-level one it names. */
function serviceOf(data: Data, r: Route): { location: Location; data: Data } | undefined {
  if (r.location[0] === 'services') return { location: r.location.slice(0, 2), data: dataAt(data, r.location.slice(0, 2)) as Data };
  const services = data.services;
  if (!Array.isArray(services) || r.data.service === undefined) return undefined;
  const i = services.findIndex((s) => isPlainObject(s) && names(r.data.service, s));
  return i < 0 ? undefined : { location: ['services', i], data: services[i] as Data };
}

/** The route's own pre-function: nested in it, or a top-level one naming it. */
function ownPreFunction(data: Data, r: Route): PluginAt | undefined {
  return (
    findPlugin(data, r.location, (p) => unscoped(p)) ??
    findPlugin(data, [], (p) => names(p.route, r.data) && unscoped(p, ['route', 'service']))
  );
}

/** The pre-function Kong runs for the route when it has none of its own: its service's, else a global one. */
function inheritedPreFunction(data: Data, r: Route): { plugin: PluginAt; from: string } | undefined {
  const enabled = (p: Data) => p.enabled !== false;
  const service = serviceOf(data, r);
  if (service) {
    const plugin =
      findPlugin(data, service.location, (p) => enabled(p) && unscoped(p)) ??
      findPlugin(data, [], (p) => enabled(p) && names(p.service, service.data) && unscoped(p, ['service']));
    if (plugin) return { plugin, from: `its service's (${formatLocation(plugin.location)})` };
  }
  const global = findPlugin(data, [], (p) => enabled(p) && unscoped(p));
  return global ? { plugin: global, from: `the global one (${formatLocation(global.location)})` } : undefined;
}

/** Puts the strip code first in a pre-function's access list. */
function prependAccess(d: DeckDocument, plugin: PluginAt, code: string, where: string): void {
  const node = nodeAt(d.doc, plugin.location, true) as YAMLMap;
  let config = editableField(d.doc, node, 'config');
  if (config === undefined || config === null || (isScalar(config) && config.value === null)) {
    config = d.doc.createNode({});
    node.set(d.doc.createNode('config'), config);
  }
  if (!isMap(config)) throw new KongCtlError('E_USAGE', `${where}: its pre-function (${formatLocation(plugin.location)}) has a config that is not a mapping`);
  const access = editableField(d.doc, config, 'access');
  if (isSeq(access)) {
    // A multi-line string reads well only in a block list: a flow one would fold it into quotes.
    (access as YAMLSeq).flow = false;
    (access as YAMLSeq).items.unshift(d.doc.createNode(code));
  }
  else if (access === undefined || (isScalar(access) && access.value === null)) config.set(d.doc.createNode('access'), d.doc.createNode([code]));
  else throw new KongCtlError('E_USAGE', `${where}: its pre-function (${formatLocation(plugin.location)}) has a config.access that is not a list`);
}

function addStripper(d: DeckDocument, data: Data, r: Route, prefix: string, warnings: string[]): void {
  const code = stripPrefixLua(prefix);
  const own = ownPreFunction(data, r);
  if (own) {
    if (own.data.enabled === false) {
      throw new KongCtlError('E_USAGE', `${r.where}: strip_path is false, so the prefix must be stripped by a pre-function, but the route's own (${formatLocation(own.location)}) is disabled: enable or remove it first`);
    }
    prependAccess(d, own, code, r.where);
    return;
  }
  const inherited = inheritedPreFunction(data, r);
  const plugin: Data = { name: PRE_FUNCTION, config: { access: [code] } };
  if (inherited) {
    const { id: _id, instance_name: _instance, name: _name, ...rest } = structuredClone(inherited.plugin.data);
    for (const s of SCOPES) delete rest[s];
    const config = isPlainObject(rest.config) ? rest.config : {};
    const access = Array.isArray(config.access) ? config.access : [];
    Object.assign(plugin, rest, { config: { ...config, access: [code, ...access] } });
    warnings.push(`${r.where}: its new pre-function starts from a copy of ${inherited.from}, which Kong would no longer run for this route`);
  }
  const route = nodeAt(d.doc, r.location, true) as YAMLMap;
  const list = editableField(d.doc, route, 'plugins');
  if (isSeq(list)) list.add(d.doc.createNode(plugin));
  else route.set(d.doc.createNode('plugins'), d.doc.createNode([plugin]));
}

function setHosts(d: DeckDocument, r: Route, hosts: readonly string[], clear: boolean): boolean {
  const before = Array.isArray(r.data.hosts) ? (r.data.hosts as unknown[]) : [];
  const kept = clear ? [] : before;
  const added = [...new Set(hosts)].filter((h) => !kept.includes(h));
  if (added.length === 0 && kept.length === before.length) return false;
  const route = nodeAt(d.doc, r.location, true) as YAMLMap;
  if (!clear && added.length) {
    const own = editableField(d.doc, route, 'hosts');
    if (isSeq(own)) {
      for (const h of added) own.add(d.doc.createNode(h));
      return true;
    }
  }
  const next = [...kept, ...added];
  if (next.length) route.set(d.doc.createNode('hosts'), d.doc.createNode(next));
  else {
    route.delete('hosts');
    // Hosts a merge key still brings in can only be cleared by an own empty list.
    if (nodeAt(d.doc, [...r.location, 'hosts'], false) !== undefined) route.set(d.doc.createNode('hosts'), d.doc.createNode([]));
  }
  return true;
}

export function applyNamespace(d: DeckDocument, opts: NamespaceOptions): NamespaceResult {
  for (const h of opts.hosts) {
    const problem = routeHostProblem(h);
    if (problem) throw new KongCtlError('E_USAGE', `invalid --host '${h}': ${problem}`);
  }
  const result: NamespaceResult = { prefixed: 0, stripped: 0, hosted: 0, warnings: [] };
  const data = dataOf(d);
  const routes = selectRoutes(d, data, opts, result.warnings);
  for (const r of routes) {
    if (opts.pathPrefix !== undefined) {
      prefixRoute(d, r, opts.pathPrefix);
      result.prefixed++;
      if (r.data.strip_path === false) {
        addStripper(d, data, r, opts.pathPrefix, result.warnings);
        result.stripped++;
      }
    }
    if ((opts.hosts.length || opts.clearHosts) && setHosts(d, r, opts.hosts, opts.clearHosts)) result.hosted++;
  }
  return result;
}
