/**
 * `kong-ctl file openapi2kong`: an OpenAPI 3 spec as a decK file, as decK's
 * `deck file openapi2kong` (Kong's go-apiops) makes it. The document's `servers` make a service
 * (with an upstream for several servers); a path or operation with its own servers or
 * service/upstream defaults gets a service of its own; every operation is a route on the
 * service in effect for it. Names and ids are derived from the spec, so that converting the same
 * spec again yields the same entities.
 */
import { randomUUID } from 'node:crypto';
import { isObject, goSort, sortKeysDeep } from './go-json';
import { defaultsOf, kongName, kongTags, operationTags, xKongComponents, type Defaults, type Extended, type Obj } from './extensions';
import { concatChar, NAMESPACE_DNS, slugify, uuidV5 } from './names';
import { insertPlugin, moveConsumerPlugins, pluginsList, sortTopLevel, takeValidator, type PluginContext } from './plugins';
import { hasOwnPlugins, serviceKey, type ServiceCache } from './reuse';
import { headerRoutes, routePath, routingHeaders } from './routes';
import { oidcPlugin, samePlugin } from './security';
import { createService, type Server } from './servers';
import { resolve, specError, type Location, type Spec } from './spec';
import { generateValidator, parametersOf } from './validator';

export interface O2kOptions {
  /** Tags for every entity; undefined: the document's x-kong-tags. */
  tags?: string[];
  /** --uuid-base: the document's base name, instead of x-kong-name or info.title. */
  docName?: string;
  /** The UUIDv5 namespace of the ids (default: the DNS namespace). */
  namespace?: string;
  inso?: boolean;
  skipId?: boolean;
  /** --generate-security: openid-connect plugins from the security requirements. */
  oidc?: boolean;
  ignoreSecurityErrors?: boolean;
  /** --skip-route-by-header: one route per operation, whatever its header parameters. */
  skipRouteByHeader?: boolean;
  /** --reuse-services: paths (and operations) that would get identical services share one. */
  reuseServices?: boolean;
}

/** The HTTP methods an OpenAPI path item holds operations for, in decK's (sorted) order. */
const METHODS = goSort(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function serversOf(spec: Spec, at: Extended): Server[] {
  const list = at.value.servers;
  if (list === undefined || list === null) return [];
  const location = [...at.location, 'servers'];
  if (!Array.isArray(list)) throw specError(spec, location, "expected 'servers' to be an array");
  return list.map((s, i) => {
    if (!isObject(s) || typeof s.url !== 'string') throw specError(spec, [...location, i], "expected a server to be an object with a 'url'");
    return { value: s, location: [...location, i] };
  });
}

function regexPriority(spec: Spec, route: Obj, computed: number, location: Location): number {
  if (!('regex_priority' in route)) return computed;
  const given = route.regex_priority;
  if (typeof given !== 'number' || !Number.isInteger(given)) {
    throw specError(spec, [...location, 'x-kong-route-defaults', 'regex_priority'], "failed to parse 'regex_priority' from route defaults: expected an integer");
  }
  // The default stands for the plain paths: a templated path must rank below them.
  return computed === 100 ? given - 1 : given;
}

/** A path's or an operation's defaults over its parent's, its servers, and whether it gets a service (and an upstream) of its own, as go-apiops decides. */
interface Level {
  defaults: Defaults;
  servers: Server[];
  newService: boolean;
  newUpstream: boolean;
}

function levelOf(spec: Spec, at: Extended, components: ReturnType<typeof xKongComponents>, parent: { defaults: Defaults; servers: Server[] }): Level {
  const own = defaultsOf(spec, at, components);
  const defaults: Defaults = {
    service: own.service ?? parent.defaults.service,
    upstream: own.upstream ?? parent.defaults.upstream,
    route: own.route ?? parent.defaults.route,
  };
  const servers = serversOf(spec, at);
  // servers of its own, or upstream defaults of its own, make an upstream (and so a service) of its own
  const newUpstream = servers.length > 0 || own.upstream !== undefined;
  return { defaults, servers: servers.length > 0 ? servers : parent.servers, newService: newUpstream || own.service !== undefined, newUpstream };
}

export function convert(spec: Spec, opts: O2kOptions = {}): Obj {
  const namespace = opts.namespace ?? NAMESPACE_DNS;
  const inso = Boolean(opts.inso);
  const skipId = Boolean(opts.skipId);
  const reuse = Boolean(opts.reuseServices);
  const join = concatChar(inso);
  const services: Obj[] = [];
  const upstreams: Obj[] = [];
  const topLevelPlugins: Obj[] = [];
  const pathServices: ServiceCache = new Map();
  const operationServices: ServiceCache = new Map();

  const root: Extended = { value: spec.data, location: [] };
  const tags = kongTags(spec, opts.tags);
  const components = xKongComponents(spec);
  const ctx: PluginContext = { spec, components, namespace, tags, skipId };

  let docName = opts.docName ?? '';
  if (docName === '') docName = kongName(spec, root);
  if (docName === '') {
    const info = spec.data.info;
    docName = isObject(info) && typeof info.title === 'string' && info.title !== '' ? info.title : randomUUID();
  }
  const docBaseName = slugify(inso, docName);

  const docServers = serversOf(spec, root);
  const docDefaults = defaultsOf(spec, root, components);
  const doc = createService(spec, {
    baseName: docBaseName,
    servers: docServers,
    serviceDefaults: docDefaults.service,
    upstreamDefaults: docDefaults.upstream,
    tags,
    namespace,
    skipId,
    location: [],
  });
  const docService = doc.service;
  services.push(docService);
  // Without document-level servers the document's service is only kept when no other service exists.
  const removeDocService = docServers.length === 0;
  if (doc.upstream) upstreams.push(doc.upstream);

  /**
   * A service of its own for a path or an operation, pushed with its upstream. Only service
   * defaults changed (same servers): it keeps using its parent's upstream, through its host.
   */
  const ownService = (level: Level, baseName: string, location: Location, parent: Obj): Obj => {
    const created = createService(spec, {
      baseName,
      servers: level.servers,
      serviceDefaults: level.defaults.service,
      upstreamDefaults: level.defaults.upstream,
      tags,
      namespace,
      skipId,
      location,
    });
    services.push(created.service);
    if (created.upstream) {
      if (level.newUpstream) upstreams.push(created.upstream);
      else created.service.host = parent.host;
    }
    return created.service;
  };

  let docPlugins = pluginsList(ctx, root, undefined, docBaseName);
  let docOidc: Obj | undefined;
  if (opts.oidc) {
    docOidc = oidcPlugin(spec, spec.data.security, ['security'], components, undefined, { ignoreErrors: Boolean(opts.ignoreSecurityErrors) });
    if (docOidc) docPlugins = insertPlugin(docPlugins, structuredClone(docOidc));
  }
  const docTaken = takeValidator(docPlugins, undefined);
  const docValidator = docTaken.validator;
  docPlugins = moveConsumerPlugins(topLevelPlugins, docTaken.list, 'service', docService.name as string);
  docService.plugins = docPlugins;

  const paths = spec.data.paths;
  if (paths === undefined || paths === null) {
    throw specError(spec, [], 'must have `.paths` in the root of the document. See examples https://github.com/Kong/go-apiops/tree/main/docs');
  }
  // decK's OpenAPI reader takes an empty sequence (`paths: []`) for no paths (go-apiops 20).
  const pathItems: Obj = Array.isArray(paths) && paths.length === 0 ? {} : (paths as Obj);
  if (!isObject(pathItems)) throw specError(spec, ['paths'], "expected 'paths' to be an object");

  for (const pathKey of goSort(Object.keys(pathItems))) {
    const resolvedPath = resolve(spec, pathItems[pathKey], ['paths', pathKey]);
    if (!isObject(resolvedPath.value)) continue;
    const pathItem: Extended = { value: resolvedPath.value, location: resolvedPath.location };

    let pathBaseName = kongName(spec, pathItem);
    if (pathBaseName === '') {
      pathBaseName = slugify(inso, pathKey);
      // "/a" and "/a/" would get the same name: the one with the trailing slash gets a "~".
      if (!inso && pathKey.endsWith('/')) pathBaseName += '~';
    } else {
      pathBaseName = slugify(inso, pathBaseName);
    }
    pathBaseName = pathBaseName !== '' ? docBaseName + join + pathBaseName : docBaseName;

    const pathLevel = levelOf(spec, pathItem, components, { defaults: docDefaults, servers: docServers });
    const pathDefaults = pathLevel.defaults;
    const pathServers = pathLevel.servers;
    const pathKeyForReuse = reuse && pathLevel.newService && !hasOwnPlugins(pathItem.value) ? serviceKey(spec, pathServers, pathDefaults) : undefined;
    const reusedPathService = pathKeyForReuse !== undefined ? pathServices.get(pathKeyForReuse) : undefined;
    const newPathService = pathLevel.newService && !reusedPathService;

    let pathService: Obj;
    let pathPlugins: Obj[];
    let pathValidator: Obj | undefined;
    if (reusedPathService) {
      // It has no plugins of its own: the shared service already carries the document's.
      pathService = reusedPathService;
      pathPlugins = [];
      pathValidator = docValidator;
    } else if (newPathService) {
      pathService = ownService(pathLevel, pathBaseName, pathItem.location, docService);
      if (pathKeyForReuse !== undefined) pathServices.set(pathKeyForReuse, pathService);
      // A service of its own: the document's plugins are copied onto it.
      const taken = takeValidator(pluginsList(ctx, pathItem, docPlugins, pathBaseName), docValidator);
      pathValidator = taken.validator;
      pathPlugins = moveConsumerPlugins(topLevelPlugins, taken.list, 'service', pathService.name as string);
      pathService.plugins = pathPlugins;
    } else {
      pathService = docService;
      const taken = takeValidator(pluginsList(ctx, pathItem, undefined, pathBaseName), docValidator);
      pathValidator = taken.validator;
      pathPlugins = taken.list;
    }

    const pathParams = parametersOf(spec, pathItem);

    for (const method of METHODS) {
      if (!(method in pathItem.value)) continue;
      const rawOp = pathItem.value[method];
      if (rawOp === null || rawOp === undefined) continue;
      if (!isObject(rawOp)) throw specError(spec, [...pathItem.location, method], `expected operation '${method}' to be an object`);
      const operation: Extended = { value: rawOp, location: [...pathItem.location, method] };
      const methodKey = method.toUpperCase();

      let operationBaseName = kongName(spec, operation);
      const operationId = typeof operation.value.operationId === 'string' ? operation.value.operationId : '';
      if (operationBaseName !== '') {
        operationBaseName = (inso ? docBaseName : pathBaseName) + join + slugify(inso, operationBaseName);
      } else if (operationId !== '') {
        operationBaseName = docBaseName + join + slugify(inso, operationId);
      } else {
        operationBaseName = pathBaseName + join + slugify(inso, inso ? method : methodKey);
      }

      const opLevel = levelOf(spec, operation, components, { defaults: pathDefaults, servers: pathServers });
      const opDefaults = opLevel.defaults;
      const opKeyForReuse = reuse && opLevel.newService ? serviceKey(spec, opLevel.servers, opDefaults) : undefined;
      let opService = opKeyForReuse !== undefined ? operationServices.get(opKeyForReuse) : undefined;
      // A service for this operation alone, or shared with operations like it: either way it carries no plugins.
      const newOpService = opLevel.newService;
      if (!opService && newOpService) {
        opService = ownService(opLevel, operationBaseName, operation.location, pathService);
        if (opKeyForReuse !== undefined) operationServices.set(opKeyForReuse, opService);
      }
      opService ??= pathService;

      let opPlugins: Obj[];
      if (!newOpService && !newPathService && !reusedPathService) {
        opPlugins = pluginsList(ctx, operation, pathPlugins, operationBaseName);
      } else if (newOpService) {
        // A service of its own: the document's and path's plugins are copied onto it.
        opPlugins = pluginsList(ctx, root, undefined, operationBaseName);
        opPlugins = pluginsList(ctx, pathItem, opPlugins, operationBaseName);
        opPlugins = pluginsList(ctx, operation, opPlugins, operationBaseName);
      } else {
        opPlugins = pluginsList(ctx, operation, undefined, operationBaseName);
      }

      if (opts.oidc) {
        const opOidc = oidcPlugin(spec, operation.value.security, [...operation.location, 'security'], components, docOidc, {
          ignoreErrors: Boolean(opts.ignoreSecurityErrors),
        });
        if (!samePlugin(opOidc, docOidc)) opPlugins = insertPlugin(opPlugins, structuredClone(opOidc));
      }

      const opTaken = takeValidator(opPlugins, pathValidator);
      const validator = generateValidator(opTaken.validator, {
        spec,
        operation,
        pathItem,
        namespace,
        baseName: operationBaseName,
        skipId,
        inso,
      });
      opPlugins = insertPlugin(opTaken.list, validator);

      const route: Obj = opDefaults.route ? structuredClone(opDefaults.route) : {};
      // A route belongs to the service it is nested in.
      delete route.service;
      route.plugins = moveConsumerPlugins(topLevelPlugins, opPlugins, 'route', operationBaseName);

      const opParams = parametersOf(spec, operation);
      const rp = routePath(spec, pathKey, ['paths', pathKey], opParams, pathParams, inso);
      route.paths = [rp.path];
      if (!skipId) route.id = uuidV5(namespace, `${operationBaseName}.route`);
      route.name = operationBaseName;
      route.methods = [methodKey];
      route.tags = [...tags, ...operationTags(spec, operation)];
      route.regex_priority = regexPriority(spec, route, rp.priority, operation.location);
      // A regex path cannot be stripped meaningfully: decK leaves the whole path to the service.
      if (!('strip_path' in route)) route.strip_path = false;

      const routes = opService.routes as Obj[];
      const headers = opts.skipRouteByHeader ? [] : routingHeaders(spec, opParams, pathParams);
      if (headers.length) routes.push(...headerRoutes(route, headers, operationBaseName, namespace, skipId));
      else routes.push(route);
    }
  }

  const result: Obj = {
    _format_version: '3.0',
    services: services.length > 1 && removeDocService ? services.slice(1) : services,
    upstreams,
  };
  if (topLevelPlugins.length) result.plugins = sortTopLevel(topLevelPlugins);
  return sortKeysDeep(result);
}
