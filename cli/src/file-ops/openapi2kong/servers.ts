/**
 * A `servers` block as a Kong service, and an upstream with one target per server when there
 * is more than one server (or upstream defaults ask for one). URLs are read as Go's
 * url.ParseRequestURI reads them (host and port as written, the path decoded), since decK's
 * service fields and target names come from there.
 */
import { deepCopy, isObject } from './go-json';
import type { Obj } from './extensions';
import { uuidV5 } from './names';
import { specError, type Location, type Spec } from './spec';

export interface Server {
  value: Obj;
  location: Location;
}

interface Target {
  scheme: string;
  /** host[:port], as written. */
  host: string;
  path: string;
  /** What follows '?', without it ('' when none). */
  query: string;
}

/** Go's url.URL Port() and Hostname(): a trailing ":digits" is the port, brackets go. */
function splitHostPort(hostPort: string): { hostname: string; port: string } {
  const colon = hostPort.lastIndexOf(':');
  let hostname = hostPort;
  let port = '';
  if (colon !== -1 && /^:\d*$/.test(hostPort.slice(colon))) {
    hostname = hostPort.slice(0, colon);
    port = hostPort.slice(colon + 1);
  }
  if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
  return { hostname, port };
}

const port = (host: string) => splitHostPort(host).port;
const hostname = (host: string) => splitHostPort(host).hostname;

function decodePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** The server's URL with its variables at their defaults. */
function renderUrl(server: Server): string {
  let url = typeof server.value.url === 'string' ? server.value.url : '';
  const vars = server.value.variables;
  if (isObject(vars)) {
    for (const [name, v] of Object.entries(vars)) {
      const def = isObject(v) && v.default !== undefined && v.default !== null ? String(v.default) : '';
      url = url.split(`{${name}}`).join(def);
    }
  }
  return url;
}

function parseServer(spec: Spec, server: Server): Target {
  const url = renderUrl(server);
  const fail = () => specError(spec, [...server.location, 'url'], `failed to parse uri '${url}': invalid URI for request`);
  let scheme = '';
  let host = '';
  let rawPath: string;
  const q = url.indexOf('?');
  const query = q === -1 ? '' : url.slice(q + 1);
  if (url.startsWith('/')) {
    rawPath = url.replace(/\?.*$/s, '');
  } else {
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(\/\/([^/?]*))?([^?]*)/s.exec(url);
    if (!m) throw fail();
    scheme = m[1].toLowerCase();
    host = m[3] ?? '';
    rawPath = m[4];
    // "scheme:opaque" is no request URI: Go refuses it as well.
    if (m[2] === undefined && !rawPath.startsWith('/')) throw fail();
    host = host.replace(/^.*@/s, '');
  }
  const path = decodePath(rawPath);
  if (path === undefined) throw fail();
  return { scheme, host, path: path === '' ? '/' : path, query };
}

function parseServers(spec: Spec, servers: Server[]): Target[] {
  if (servers.length === 0) return [{ scheme: '', host: '', path: '/', query: '' }];
  return servers.map((s) => parseServer(spec, s));
}

function setServerDefaults(targets: Target[], defaultScheme: string): void {
  for (const t of targets) {
    if (t.host === '') t.host = 'localhost';
    if (t.scheme === '') {
      const p = port(t.host);
      t.scheme = p === '80' ? 'http' : p === '443' ? 'https' : defaultScheme;
    }
    if (port(t.host) === '') {
      if (t.scheme === 'http') t.host += ':80';
      if (t.scheme === 'https') t.host += ':443';
    }
  }
}

/**
 * The servers' URLs as decK compares them for --reuse-services: variables at their defaults,
 * then host, scheme and port filled in as for the service (https by default), so that
 * `https://api.example.com` and `https://api.example.com:443/` are one backend. In order: the
 * first server gives the service its protocol, path and port.
 */
export function normalizedServerUrls(spec: Spec, servers: Server[]): string[] {
  const targets = parseServers(spec, servers);
  setServerDefaults(targets, 'https');
  return targets.map((t) => `${t.scheme}://${t.host}${t.path}${t.query !== '' ? `?${t.query}` : ''}`);
}

export interface ServiceSpec {
  baseName: string;
  servers: Server[];
  serviceDefaults?: Obj;
  upstreamDefaults?: Obj;
  tags: string[];
  namespace: string;
  skipId: boolean;
  /** Where the service was asked for, for errors in its defaults. */
  location: Location;
}

function createUpstream(spec: Spec, s: ServiceSpec): Obj {
  const upstream: Obj = s.upstreamDefaults ? deepCopy(s.upstreamDefaults) : {};
  const name = `${s.baseName}.upstream`;
  if (!s.skipId) upstream.id = uuidV5(s.namespace, name);
  upstream.name = name;
  upstream.tags = s.tags;
  if (upstream.targets !== undefined && upstream.targets !== null) {
    if (!Array.isArray(upstream.targets)) throw specError(spec, [...s.location, 'x-kong-upstream-defaults', 'targets'], "expected 'targets' to be an array");
    upstream.targets = upstream.targets.map((t, i) => {
      if (!isObject(t)) throw specError(spec, [...s.location, 'x-kong-upstream-defaults', 'targets', i], "expected entries in 'targets' to be objects");
      return { ...t, tags: s.tags };
    });
    return upstream;
  }
  const targets = parseServers(spec, s.servers);
  setServerDefaults(targets, 'https');
  upstream.targets = targets.map((t) => ({ target: t.host, tags: s.tags }));
  return upstream;
}

/** The service (with empty plugins and routes) and, when needed, its upstream. */
export function createService(spec: Spec, s: ServiceSpec): { service: Obj; upstream?: Obj } {
  const service: Obj = s.serviceDefaults ? deepCopy(s.serviceDefaults) : {};
  if (!s.skipId) service.id = uuidV5(s.namespace, `${s.baseName}.service`);
  service.name = s.baseName;
  service.tags = s.tags;
  service.plugins = [];
  service.routes = [];

  const targets = parseServers(spec, s.servers);
  let scheme = 'https';
  if (service.protocol !== undefined && service.protocol !== null) {
    if (typeof service.protocol !== 'string') throw specError(spec, [...s.location, 'x-kong-service-defaults', 'protocol'], "expected 'protocol' to be a string");
    scheme = service.protocol;
  }
  setServerDefaults(targets, scheme);
  if (service.protocol === undefined || service.protocol === null) {
    scheme = targets[0].scheme;
    service.protocol = scheme;
  }
  if (service.path === undefined || service.path === null) service.path = targets[0].path;
  if (service.port === undefined || service.port === null) {
    const p = port(targets[0].host);
    if (p !== '') {
      const n = Number(p);
      if (n > 65535) throw specError(spec, [...s.location, 'servers'], `strconv.ParseUint: parsing "${p}": value out of range`);
      service.port = n;
    } else {
      service.port = scheme !== 'http' ? 443 : 80;
    }
  }

  let upstream: Obj | undefined;
  if (service.host === undefined || service.host === null) {
    if (targets.length === 1 && !s.upstreamDefaults) {
      service.host = hostname(targets[0].host);
    } else {
      upstream = createUpstream(spec, s);
      service.host = upstream.name;
    }
  }
  return { service, upstream };
}
