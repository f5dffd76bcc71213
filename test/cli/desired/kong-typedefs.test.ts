/**
 * Kong's typedefs whose check is Lua (kong-typedefs.ts): the fields they cover, kept equal to what
 * Kong 3.4.2's `/schemas` describes, and the checks with Kong's own verdicts and messages.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { located, yamlValidator } from './validate-yaml';
import { ENTITY_TYPEDEF_FIELDS, PLUGIN_TYPEDEF_FIELDS, typedefProblem, type Typedef } from '../../../cli/src/desired/kong-typedefs';
import { KONG, pluginSchemas } from './helpers';

/** kong/db/schema/typedefs.lua descriptions (Kong 3.4), which `/schemas` shows where the typedef's validator runs. */
const DESCRIPTIONS: Record<string, Typedef | 'url' | 'certificate' | 'key' | 'router_path'> = {
  'A string representing a host name, such as example.com.': 'host',
  'A string representing a host name with an optional port number, such as example.com or example.com:8080.': 'host_with_optional_port',
  'A string representing an SNI (server name indication) value for TLS.': 'sni',
  'A string representing a wildcard host name, such as *.example.com.': 'wildcard_host',
  'A string representing an IP address or CIDR block, such as 192.168.1.1 or 192.168.0.0/16.': 'ip_or_cidr',
  'A string representing a URL path, such as /path/to/resource. Must start with a forward slash (/) and must not contain empty segments (i.e., two consecutive forward slashes).': 'path',
  'A string representing an HTTP header name.': 'header_name',
  'A unique string representing a UTF-8 encoded name.': 'utf8_name',
  'A string representing a URL, such as https://example.com/path/to/resource?q=search.': 'url',
  'A string representing a certificate.': 'certificate',
  'A string representing a key.': 'key',
};

/** Checked elsewhere in validate.ts, route-paths.ts and kong-url.ts. */
const ELSEWHERE = new Set(['service host', 'service name', 'route name', 'url', 'certificate', 'key']);

function described(fields: any[], at: string[]): [string[], string][] {
  return fields.flatMap((f) => {
    const [name, s] = Object.entries(f)[0] as [string, any];
    const here = [...at, name];
    const own: [string[], string][] = DESCRIPTIONS[s.description] ? [[here, DESCRIPTIONS[s.description]!]] : [];
    const inner = (x: any, seg: string): [string[], string][] => {
      if (!x) return [];
      if (DESCRIPTIONS[x.description]) return [[[...here, seg], DESCRIPTIONS[x.description]!]];
      return x.type === 'record' ? described(x.fields ?? [], [...here, seg]) : [];
    };
    const nested = s.type === 'record' ? described(s.fields ?? [], here) : [...inner(s.elements, '[]'), ...inner(s.keys, '<key>')];
    return [...own, ...nested];
  });
}

const KINDS: Record<string, string> = { services: 'service', routes: 'route', plugins: 'plugin', upstreams: 'upstream', snis: 'sni', certificates: 'certificate', ca_certificates: 'ca_certificate' };

describe("Kong's Lua-checked typedefs (kong-typedefs.ts)", () => {
  it('cover exactly the entity fields Kong 3.4.2 describes with them, less those checked elsewhere', () => {
    const recorded: Record<string, [string[], string][]> = {};
    for (const f of readdirSync(KONG)) {
      const m = /^\d+_GET_schemas-([a-z_]+)\.json$/.exec(f);
      if (!m || !KINDS[m[1]]) continue;
      const kind = KINDS[m[1]]!;
      const found = described(JSON.parse(readFileSync(path.join(KONG, f), 'utf8')).response.body.fields, []).filter(
        ([p, t]) => !ELSEWHERE.has(t) && !ELSEWHERE.has(`${kind} ${p.join('.')}`) && t !== 'router_path',
      );
      if (found.length) recorded[kind] = found;
    }
    // routes' paths are router_path (route-paths.ts), not described as typedefs.path.
    expect(ENTITY_TYPEDEF_FIELDS).toEqual(recorded);
  });

  it("cover exactly the bundled plugins' fields Kong 3.4.2 describes with them (URLs are kong-url.ts's)", () => {
    const recorded: Record<string, [string[], string][]> = {};
    for (const [name, schema] of Object.entries(pluginSchemas())) {
      const found = described(schema.fields, []).filter(([, t]) => !ELSEWHERE.has(t));
      if (found.length) recorded[name] = found;
    }
    expect(PLUGIN_TYPEDEF_FIELDS).toEqual(recorded);
  });

  it.each<[Typedef, string, string | undefined]>([
    ['header_name', 'X-Api-Key', undefined],
    ['header_name', 'x_api_key', undefined],
    ['header_name', 'X Api Key', "bad header name 'X Api Key', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
    ['header_name', 'apikey:', "bad header name 'apikey:', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
    ['ip_or_cidr', '10.0.0.1', undefined],
    ['ip_or_cidr', '10.0.0.0/8', undefined],
    ['ip_or_cidr', '0.0.0.0/0', undefined],
    ['ip_or_cidr', '::1', undefined],
    ['ip_or_cidr', '2001:db8::/32', undefined],
    ['ip_or_cidr', '10.0.0.0/33', "invalid ip or cidr range: '10.0.0.0/33'"],
    ['ip_or_cidr', '10.0.0.0/08', "invalid ip or cidr range: '10.0.0.0/08'"],
    ['ip_or_cidr', '10.0.0.*', "invalid ip or cidr range: '10.0.0.*'"],
    ['ip_or_cidr', '256.1.1.1', "invalid ip or cidr range: '256.1.1.1'"],
    ['ip_or_cidr', 'localhost', "invalid ip or cidr range: 'localhost'"],
    ['ip_or_cidr', '2001:db8::/129', "invalid ip or cidr range: '2001:db8::/129'"],
    ['path', '/api/v1', undefined],
    ['path', "/a:b@c!$&'()*+,;=~", undefined],
    ['path', '/a%20b', undefined],
    ['path', '/a b', "invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)"],
    ['path', '/search?q=1', "invalid path: '/search?q=1' (characters outside of the reserved list of RFC 3986 found)"],
    ['path', '/100%', "invalid url-encoded value: '%'"],
    ['path', '/a%zzb', "invalid url-encoded value: '%zz'"],
    ['path', 'api', undefined], // starts_with's, which the schemas show
    ['sni', 'example.com', undefined],
    ['sni', '*.example.com', 'invalid value: *.example.com'],
    ['sni', '10.0.0.1', 'must not be an IP'],
    ['sni', 'example.com:443', 'must not have a port'],
    ['wildcard_host', '*.example.com', undefined],
    ['wildcard_host', 'example.*', undefined],
    ['wildcard_host', 'www.*.com', 'wildcard must be leftmost or rightmost character'],
    ['wildcard_host', '*.example.*', 'only one wildcard must be specified'],
    ['wildcard_host', '*.exa mple.com', 'invalid value: wildcard.exa mple.com'],
    ['wildcard_host', '127.0.0.1', 'must not be an IP'],
    ['wildcard_host', 'example.com:8443', 'must not have a port'],
    ['host', 'redis.internal', undefined],
    ['host', 'redis:6379', 'must not have a port'],
    ['host', 'http://redis', 'invalid value: http://redis'],
    ['host_with_optional_port', 'api.example.com:8080', undefined],
    ['host_with_optional_port', 'api example.com', 'invalid hostname: api example.com'],
    ['host_with_optional_port', 'example.com:70000', 'invalid port number'],
    ['utf8_name', 'rate-limit-1', undefined],
    ['utf8_name', 'rate limit', "invalid value 'rate limit': the only accepted ascii characters are alphanumerics or ., -, _, and ~"],
  ])('%s %j: %s, as Kong answers', (typedef, value, problem) => {
    expect(typedefProblem(typedef, value)).toBe(problem);
  });
});

const diagnostics = yamlValidator('kong-ctl-typedefs-');
const validate = async (yaml: string) => (await diagnostics(yaml)).map(located);

describe('kong-ctl validate: the typedefs Kong checks in Lua, at their line', () => {
  it("services' path, routes' header names, SNIs and sources, upstreams' header and path fields, SNI names", async () => {
    expect(
      await validate(`services:
- name: s
  host: example.com
  path: /a b
  routes:
  - name: r
    protocols: [https]
    headers:
      x api: [v]
    snis: ["*.example.com"]
  - name: t
    protocols: [tcp]
    sources:
    - ip: 10.0.0.0/33
upstreams:
- name: u
  hash_on: header
  hash_on_header: X Tenant
  healthchecks:
    active:
      http_path: /health check
certificates:
- cert: ""
  key: ""
  snis:
  - name: www.*.example.com
`),
    ).toEqual(
      expect.arrayContaining([
        "5:9 services[0]: path: invalid path: '/a b' (characters outside of the reserved list of RFC 3986 found)",
        "10:7 services[0].routes[0]: headers.x api: bad header name 'x api', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
        '11:12 services[0].routes[0]: snis[0]: invalid value: *.example.com',
        "15:11 services[0].routes[1]: sources[0].ip: invalid ip or cidr range: '10.0.0.0/33'",
        "19:19 upstreams[0]: hash_on_header: bad header name 'X Tenant', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
        "22:18 upstreams[0]: healthchecks.active.http_path: invalid path: '/health check' (characters outside of the reserved list of RFC 3986 found)",
        '27:11 certificates[0].snis[0]: name: wildcard must be leftmost or rightmost character',
      ]),
    );
  });

  it("bundled plugins' IP lists, header names and hosts", async () => {
    expect(
      await validate(`plugins:
- name: ip-restriction
  config:
    allow: [10.0.0.1, 10.0.0.0/8, "192.168.1.*"]
- name: key-auth
  config:
    key_names: [apikey, "x api key"]
- name: rate-limiting
  config:
    minute: 5
    policy: redis
    redis_host: redis:6379
`),
    ).toEqual([
      "5:35 plugins[0]: config.allow[2]: invalid ip or cidr range: '192.168.1.*'",
      "8:25 plugins[1]: config.key_names[1]: bad header name 'x api key', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
      '13:17 plugins[2]: config.redis_host: must not have a port',
    ]);
  });

  it('leaves good values alone', async () => {
    expect(
      await validate(`services:
- name: s
  url: https://example.com/api/v1
  routes:
  - name: r
    protocols: [https]
    headers:
      X-Version: ["2"]
    snis: [api.example.com]
plugins:
- name: ip-restriction
  instance_name: office-only
  config:
    deny: [10.0.0.0/8, "2001:db8::/32"]
`),
    ).toEqual([]);
  });
});
