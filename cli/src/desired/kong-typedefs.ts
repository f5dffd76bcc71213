/**
 * Kong's typedefs whose check is a Lua `custom_validator` (kong/db/schema/typedefs.lua, on
 * kong/tools/ip.lua and `validate_header_name`): `GET /schemas` shows only their description,
 * so neither kong-ctl's recorded 3.4.2 schemas nor a node's carry the check, and a bad value
 * would fail only at Kong (`POST /config`, or an Admin API write in the middle of an apply).
 * The fields below are those Kong 3.4.2 describes with these typedefs (a test keeps the tables
 * equal to the recordings), less those checked elsewhere: services' `host` and names
 * (validate.ts), routes' `paths` (route-paths.ts), URLs (kong-url.ts), PEMs (validate.ts).
 * Messages are Kong's own.
 */
import { isIP } from 'node:net';
import type { Kind } from '../model/entity';
import { hostProblem, normalizeIp } from '../kinds/kong-ip';
import { RFC3986_PATH } from './route-paths';

export type Typedef = 'host' | 'host_with_optional_port' | 'sni' | 'wildcard_host' | 'ip_or_cidr' | 'path' | 'header_name' | 'utf8_name';

/** A field path inside an entity: names, `[]` for each element of an array, `<key>` for each key of a map. */
export type TypedefField = [string[], Typedef];

export const ENTITY_TYPEDEF_FIELDS: Partial<Record<Kind, TypedefField[]>> = {
  service: [[['path'], 'path']],
  route: [
    [['headers', '<key>'], 'header_name'],
    [['snis', '[]'], 'sni'],
    [['sources', '[]', 'ip'], 'ip_or_cidr'],
    [['destinations', '[]', 'ip'], 'ip_or_cidr'],
  ],
  plugin: [[['instance_name'], 'utf8_name']],
  upstream: [
    [['hash_on_header'], 'header_name'],
    [['hash_fallback_header'], 'header_name'],
    [['hash_on_cookie_path'], 'path'],
    [['healthchecks', 'active', 'http_path'], 'path'],
    [['healthchecks', 'active', 'https_sni'], 'sni'],
    [['healthchecks', 'active', 'headers', '<key>'], 'header_name'],
    [['host_header'], 'host_with_optional_port'],
  ],
  sni: [[['name'], 'wildcard_host']],
};

/** The same for the bundled plugins (URL fields are kong-url.ts's). */
export const PLUGIN_TYPEDEF_FIELDS: Record<string, TypedefField[]> = {
  acme: [
    [['config', 'storage_config', 'redis', 'host'], 'host'],
    [['config', 'storage_config', 'consul', 'host'], 'host'],
    [['config', 'storage_config', 'vault', 'host'], 'host'],
  ],
  'aws-lambda': [
    [['config', 'aws_region'], 'host'],
    [['config', 'host'], 'host'],
  ],
  datadog: [[['config', 'host'], 'host']],
  'http-log': [[['config', 'headers', '<key>'], 'header_name']],
  'ip-restriction': [
    [['config', 'allow', '[]'], 'ip_or_cidr'],
    [['config', 'deny', '[]'], 'ip_or_cidr'],
  ],
  'key-auth': [[['config', 'key_names', '[]'], 'header_name']],
  'ldap-auth': [[['config', 'ldap_host'], 'host']],
  loggly: [[['config', 'host'], 'host']],
  opentelemetry: [[['config', 'headers', '<key>'], 'header_name']],
  'rate-limiting': [
    [['config', 'header_name'], 'header_name'],
    [['config', 'path'], 'path'],
    [['config', 'redis_host'], 'host'],
    [['config', 'redis_server_name'], 'sni'],
  ],
  'request-termination': [[['config', 'trigger'], 'header_name']],
  'udp-log': [[['config', 'host'], 'host']],
};

/** kong/tools/utils.lua `validate_header_name` (also request/response-transformer's header lists). */
export function headerNameProblem(name: string): string | undefined {
  return /^[a-zA-Z0-9\-_]+$/.test(name) ? undefined : `bad header name '${name}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

/** resty.ipmatcher's `parse_ipv4`/`parse_ipv6` (inet_pton): no zone id, no leading zeros. */
function isInetAddress(s: string): 0 | 4 | 6 {
  return s.includes('%') ? 0 : (isIP(s) as 0 | 4 | 6);
}

/** kong/tools/ip.lua `is_valid_ip_or_cidr`: an address, or one with a prefix ("0".."32", "0".."128") after a '/' from the third character on. */
export function isValidIpOrCidr(s: string): boolean {
  if (isInetAddress(s)) return true;
  const slash = s.indexOf('/', 2);
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const prefix = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(prefix)) return false;
  const type = isInetAddress(ip);
  return (type === 4 && Number(prefix) <= 32) || (type === 6 && Number(prefix) <= 128);
}

/** typedefs `validate_path`, after the declarative `starts_with` and `match_none` (which the schemas show). */
function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/') || path.includes('//')) return undefined;
  if (!RFC3986_PATH.test(path)) return `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found)`;
  const raw = path.replace(/%[0-9A-Fa-f]{2}/g, '___');
  const at = raw.indexOf('%');
  return at >= 0 ? `invalid url-encoded value: '${raw.slice(at, at + 3)}'` : undefined;
}

/** typedefs `validate_sni`: a name, neither an address nor with a port. */
function sniProblem(host: string): string | undefined {
  const r = normalizeIp(host);
  if ('error' in r) return r.error === 'invalid port number' ? 'must not have a port' : `invalid value: ${host}`;
  if (r.type !== 'name') return 'must not be an IP';
  return r.port !== undefined ? 'must not have a port' : undefined;
}

/** typedefs `validate_wildcard_host` (SNIs' names): one '*', first or last, then as validate_sni on the name with the '*' replaced. */
function wildcardHostProblem(host: string): string | undefined {
  const idx = host.indexOf('*');
  if (idx < 0) return sniProblem(host);
  if (idx !== 0 && idx !== host.length - 1) return 'wildcard must be leftmost or rightmost character';
  if (host.split('*').length > 2) return 'only one wildcard must be specified';
  // Kong's message names the name it checked, the '*' replaced.
  return sniProblem(host.replace('*', 'wildcard'));
}

/** typedefs.utf8_name (services', routes' names are validate.ts's). */
function utf8NameProblem(name: string): string | undefined {
  return /^[A-Za-z0-9.\-_~\u0080-\uffff]+$/.test(name)
    ? undefined
    : `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`;
}

/** Kong's message for a value its typedef's validator refuses, or undefined. Empty strings are the length checks'. */
export function typedefProblem(typedef: Typedef, value: string): string | undefined {
  if (value === '') return undefined;
  switch (typedef) {
    case 'host':
      return hostProblem(value);
    case 'host_with_optional_port': {
      const r = normalizeIp(value);
      return 'error' in r ? r.error : undefined;
    }
    case 'sni':
      return sniProblem(value);
    case 'wildcard_host':
      return wildcardHostProblem(value);
    case 'ip_or_cidr':
      return isValidIpOrCidr(value) ? undefined : `invalid ip or cidr range: '${value}'`;
    case 'path':
      return pathProblem(value);
    case 'header_name':
      return headerNameProblem(value);
    case 'utf8_name':
      return utf8NameProblem(value);
  }
}

export interface TypedefValue {
  /** Where the value is, inside the entity. */
  path: (string | number)[];
  value: string;
  /** The value is a map's key. */
  key: boolean;
}

/** Every string value at a field path (`[]` each element, `<key>` each key). */
export function valuesAt(fields: Record<string, unknown>, path: string[]): TypedefValue[] {
  const out: TypedefValue[] = [];
  const walk = (v: unknown, rest: string[], at: (string | number)[]): void => {
    if (rest.length === 0) {
      if (typeof v === 'string') out.push({ path: at, value: v, key: false });
      return;
    }
    const [seg, ...more] = rest;
    if (seg === '[]') {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, more, [...at, i]));
    } else if (seg === '<key>') {
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const k of Object.keys(v)) out.push({ path: [...at, k], value: k, key: true });
    } else if (v && typeof v === 'object' && !Array.isArray(v)) walk((v as Record<string, unknown>)[seg], more, [...at, seg]);
  };
  walk(fields, path, []);
  return out;
}
