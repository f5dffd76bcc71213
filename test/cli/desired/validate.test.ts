import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { brief, bundledConfigSchemas, sample } from './helpers';

async function problems(name: string, withBundledSchemas = false): Promise<string[]> {
  const r = await loadDesired({ files: [sample('bad', name)], env: {} });
  return validateDesired(r, withBundledSchemas ? { pluginSchemas: bundledConfigSchemas() } : {}).map(brief);
}

describe('validateDesired: every problem, with file:line:column and entity path', () => {
  it('malformed YAML: the parser error where it is detected', async () => {
    expect(await problems('malformed.yaml')).toEqual([
      'bad/malformed.yaml:8:3: invalid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('wrong types, ranges, enums, patterns and unknown fields (with a hint for near misses)', async () => {
    expect(await problems('wrong-types.yaml')).toEqual([
      'bad/wrong-types.yaml:5:11 services[0]: port: expected an integer',
      'bad/wrong-types.yaml:6:14 services[0]: retries: value should be between 0 and 32767',
      'bad/wrong-types.yaml:7:15 services[0]: protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
      'bad/wrong-types.yaml:8:5 services[0]: hostname: unknown field',
      'bad/wrong-types.yaml:11:16 services[0].routes[0]: paths: expected an array',
      'bad/wrong-types.yaml:13:13 services[0].routes[0]: methods[0]: invalid value: get',
      "bad/wrong-types.yaml:14:9 services[0].routes[0]: strip_paht: unknown field (did you mean 'strip_path'?)",
      'bad/wrong-types.yaml:17:12 upstreams[0]: slots: value should be between 10 and 65536',
      'bad/wrong-types.yaml:20:18 upstreams[0]: healthchecks.active.timeout: value should be between 0 and 65535',
      'bad/wrong-types.yaml:22:21 upstreams[0]: healthchecks.active.healthy.interval: expected a number',
      'bad/wrong-types.yaml:24:15 consumers[0]: username: expected a string',
      'bad/wrong-types.yaml:27:9 consumers[0].keyauth_credentials[0]: expires: unknown field',
      "bad/wrong-types.yaml:28:1: servics: unknown field (did you mean 'services'?)",
    ]);
  });

  it("decK keys for entities kong-ctl does not manage say so, and are not left to the node's schemas", async () => {
    const r = await loadDesired({ files: [sample('bad', 'unmanaged.yaml')], env: {} });
    const ds = validateDesired(r);
    const says = (what: string) => `kong-ctl does not manage ${what}: remove this key from the file (kong-ctl neither reads nor writes them)`;
    expect(ds.map(brief)).toEqual([
      `bad/unmanaged.yaml:2:1: consumer_groups: ${says('consumer groups (a Kong Enterprise entity)')}`,
      `bad/unmanaged.yaml:4:1: partials: ${says('partials (Kong 3.10 and later)')}`,
      `bad/unmanaged.yaml:8:5 consumers[0]: groups: ${says('consumer group membership (Kong Enterprise)')}`,
      `bad/unmanaged.yaml:10:5 consumers[0]: mtls_auth_credentials: ${says('mTLS credentials (a Kong Enterprise plugin)')}`,
      `bad/unmanaged.yaml:15:5 services[0]: filter_chains: ${says('WebAssembly filter chains')}`,
      'bad/unmanaged.yaml:19:13 vaults[0]: prefix: expected none of: env',
      "bad/unmanaged.yaml:20:11 vaults[1]: name: unknown vault 'aws': Kong OSS bundles only 'env' (Kong Enterprise adds others)",
    ]);
    // Only the unknown vault may be fine on another Kong (an Enterprise one).
    expect(ds.filter((d) => d.baseline).map((d) => d.message)).toEqual([
      "name: unknown vault 'aws': Kong OSS bundles only 'env' (Kong Enterprise adds others)",
    ]);
  });

  it('dangling references: services, routes, consumers and certificates by name or id', async () => {
    const noSuch = (kind: string) => `no ${kind} with this name or id in the file(s)`;
    expect(await problems('references.yaml', true)).toEqual([
      `bad/references.yaml:6:25 services[0]: client_certificate: unknown certificate '9b2c8f0e-3c1d-4e5f-8a7b-6c5d4e3f2a1b': ${noSuch('certificate')}`,
      `bad/references.yaml:13:14 routes[0]: service: unknown service 'inventory': ${noSuch('service')}`,
      `bad/references.yaml:18:7 routes[1]: service: unknown service '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f': ${noSuch('service')}`,
      `bad/references.yaml:23:14 plugins[0]: service: unknown service 'ordres' (did you mean 'orders'?): ${noSuch('service')}`,
      `bad/references.yaml:25:12 plugins[1]: route: unknown route 'orders-lst' (did you mean 'orders-list'?): ${noSuch('route')}`,
      `bad/references.yaml:27:15 plugins[2]: consumer: unknown consumer 'carol': ${noSuch('consumer')}`,
    ]);
  });

  it('duplicate names and keys, duplicate plugin scope, entities without identity', async () => {
    const f = sample('bad', 'duplicates.yaml');
    expect(await problems('duplicates.yaml', true)).toEqual([
      `bad/duplicates.yaml:9:11 services[1]: name: duplicate service orders (first at ${f}:3:5 services[0])`,
      'bad/duplicates.yaml:12:9 services[1].routes[0]: a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong',
      `bad/duplicates.yaml:15:11 plugins[0]: name: plugin rate-limiting (service orders) is configured twice (first at ${f}:6:9 services[0].plugins[0]): Kong allows one rate-limiting plugin per {service, route, consumer}`,
      `bad/duplicates.yaml:24:15 consumers[1]: username: duplicate consumer alice (first at ${f}:20:5 consumers[0])`,
      `bad/duplicates.yaml:26:16 consumers[2]: custom_id: duplicate custom_id 'c-1': consumer alice has it too (first at ${f}:20:5 consumers[0])`,
      `bad/duplicates.yaml:28:14 consumers[2].keyauth_credentials[0]: key: duplicate key-auth credential of bob (first at ${f}:23:9 consumers[0].keyauth_credentials[0])`,
      'bad/duplicates.yaml:29:9 consumers[2].keyauth_credentials[1]: a key-auth credential needs a key or an id: Kong would generate a new key on every apply',
    ]);
  });

  it('route paths: Kong 3.x rules, with the missing-~ hint as a warning', async () => {
    expect(await problems('route-paths.yaml')).toEqual([
      'bad/route-paths.yaml:5:9 routes[0]: paths[0]: must not have empty segments',
      'bad/route-paths.yaml:6:9 routes[0]: paths[1]: should start with: / (fixed path) or ~/ (regex path)',
      "bad/route-paths.yaml:7:9 routes[0]: paths[2]: non-normalized path, consider use '/a/b' instead",
      "bad/route-paths.yaml:8:9 routes[0]: paths[3]: non-normalized path, consider use '/b' instead",
      "bad/route-paths.yaml:9:9 routes[0]: paths[4]: non-normalized path, consider use '/cafe' instead",
      "bad/route-paths.yaml:10:9 routes[0]: paths[5]: invalid url-encoded value: '%zz'",
      "bad/route-paths.yaml:11:9 routes[0]: paths[6]: invalid regex: '/(unclosed' (Unterminated group)",
      "warning bad/route-paths.yaml:12:9 routes[0]: paths[7]: path '/users/\\d+' looks like a regex but has no '~' prefix: Kong 3.x matches it as a plain prefix; write '~/users/\\d+' for a regex",
    ]);
  });

  it('more than 5 select tags, and tags Kong refuses', async () => {
    expect(await problems('select-tags.yaml')).toEqual([
      'bad/select-tags.yaml:3:3: _info.select_tags: at most 5 select tags are allowed (Kong cannot filter on more), found 6',
      "bad/select-tags.yaml:9:7: _info.select_tags[5]: invalid tag 'six,seven': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
      "bad/select-tags.yaml:14:9 services[0]: tags[0]: invalid tag 'orders/v1': expected printable ascii (except `,` and `/`) or valid utf-8 sequences",
    ]);
  });

  it('_format_version: missing, another version, or not a string', async () => {
    expect(await problems('format-missing.yaml')).toEqual([
      `bad/format-missing.yaml:1:1: missing _format_version: kong-ctl reads decK's format for Kong 3.x, which starts with _format_version: "3.0" (decK reads a file without it as a Kong 2.x one: \`kong-ctl convert -f FILE -o NEW\` converts it)`,
    ]);
    expect(await problems('format-1.1.yaml')).toEqual([
      'bad/format-1.1.yaml:1:18: _format_version "1.1" is not supported: kong-ctl reads decK\'s format for Kong 3.x, _format_version: "3.0" (`kong-ctl convert -f FILE -o NEW` converts a Kong 2.x file)',
    ]);
    expect(await problems('format-unquoted.yaml')).toEqual([
      'bad/format-unquoted.yaml:1:18: _format_version must be the string "3.0", not the number 3: quote it',
    ]);
  });

  it('plugins: unknown names, and configs checked against the plugin schema', async () => {
    expect(await problems('plugins.yaml', true)).toEqual([
      // The two messages Kong 3.4.2 itself answered for this config (fixture 095).
      'bad/plugins.yaml:8:19 services[0].plugins[0]: config.minute: value must be greater than 0',
      'bad/plugins.yaml:9:19 services[0].plugins[0]: config.policy: expected one of: local, cluster, redis',
      'bad/plugins.yaml:10:11 services[0].plugins[0]: config.per_minute: unknown field',
      'bad/plugins.yaml:15:17 services[0].plugins[1]: config.add.headers[0]: invalid value: no-colon-here',
      "bad/plugins.yaml:17:11 plugins[0]: name: unknown plugin 'rate-limitng' (did you mean 'rate-limiting'?): neither bundled with Kong (up to 3.9) nor one of this project's plugins",
      'bad/plugins.yaml:20:16 plugins[1]: config.origins: expected an array',
      'bad/plugins.yaml:21:16 plugins[1]: config.max_age: expected a number',
    ]);
    // Offline, against Kong 3.4.2's own schemas of its bundled plugins: the same errors, except
    // what a newer Kong may accept (a field, a choice it added), which is a warning.
    const newer = "in Kong 3.4's rate-limiting plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)";
    expect(await problems('plugins.yaml')).toEqual([
      'bad/plugins.yaml:8:19 services[0].plugins[0]: config.minute: value must be greater than 0',
      `warning bad/plugins.yaml:9:19 services[0].plugins[0]: config.policy: expected one of: local, cluster, redis ${newer}`,
      `warning bad/plugins.yaml:10:11 services[0].plugins[0]: config.per_minute: unknown field ${newer}`,
      'bad/plugins.yaml:15:17 services[0].plugins[1]: config.add.headers[0]: invalid value: no-colon-here',
      "bad/plugins.yaml:17:11 plugins[0]: name: unknown plugin 'rate-limitng' (did you mean 'rate-limiting'?): neither bundled with Kong (up to 3.9) nor one of this project's plugins",
      'bad/plugins.yaml:20:16 plugins[1]: config.origins: expected an array',
      'bad/plugins.yaml:21:16 plugins[1]: config.max_age: expected a number',
    ]);
  });

  it("offline, a bundled plugin's refused scope is an error, a check across fields a warning (a newer Kong may differ)", async () => {
    const text = `_format_version: "3.0"
consumers:
- username: alice
  plugins:
  - name: cors
services:
- name: s
  host: example.com
  plugins:
  - name: rate-limiting
    config: {policy: local}
`;
    const r = await loadDesired({ files: ['-'], readStdin: async () => text, env: {} });
    expect(validateDesired(r).map(brief)).toEqual([
      "<stdin>:5:5 consumers[0].plugins[0]: consumer: plugin 'cors' cannot be applied to a consumer: Kong's schema for it refuses that scope",
      "warning <stdin>:10:5 services[0].plugins[0]: at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year' in Kong 3.4's rate-limiting plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
    ]);
  });

  it("Kong's entity checks, required fields, names, nesting and url", async () => {
    expect(await problems('entity-rules.yaml')).toEqual([
      "bad/entity-rules.yaml:3:11 services[0]: name: invalid value 'tcp echo': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      'bad/entity-rules.yaml:5:11 services[0]: path: value must be null when protocol is tcp',
      'bad/entity-rules.yaml:6:25 services[0]: client_certificate: value must be null when protocol is tcp',
      'bad/entity-rules.yaml:9:9 services[0].routes[0]: service: not allowed here: this route is nested under service tcp echo, which is its service',
      "bad/entity-rules.yaml:13:13 services[0].routes[0]: destinations[0]: at least one of these fields must be non-empty: 'ip', 'port'",
      "bad/entity-rules.yaml:15:10 services[1]: url: invalid url 'not a url': expected scheme://host[:port][/path]",
      'bad/entity-rules.yaml:16:5 services[2]: host: required field missing',
      'bad/entity-rules.yaml:18:5 upstreams[0]: hash_on_header: required field missing when hash_on is header',
      "bad/entity-rules.yaml:21:5 consumers[0]: at least one of these fields must be non-empty: 'custom_id', 'username'",
      'bad/entity-rules.yaml:24:9 consumers[0].jwt_secrets[0]: rsa_public_key: required field missing when algorithm is RS256',
      "bad/entity-rules.yaml:27:5 certificates[0]: all or none of these fields must be set: 'cert_alt', 'key_alt'",
      'bad/entity-rules.yaml:28:11 certificates[0]: cert: invalid certificate: OpenSSL cannot read it as a PEM certificate',
      'bad/entity-rules.yaml:29:10 certificates[0]: key: invalid key: OpenSSL cannot read it as a PEM key',
      'bad/entity-rules.yaml:30:15 certificates[0]: cert_alt: invalid certificate: OpenSSL cannot read it as a PEM certificate',
    ]);
  });

  it('a nested entity may name the entity it is nested under again, as decK takes it; another one is refused', async () => {
    // decK's testdata/diff/004-no-diff-plugin/protocol-initial-order-plugins.yaml nests a plugin
    // under a service and writes `service:` with that service's name.
    const text = `_format_version: "3.0"
services:
- name: orders
  id: 2c6bd7f3-9a58-4d84-8a4a-5b3f4c1b7e01
  host: orders.internal
  plugins:
  - name: cors
    service: orders
  - name: key-auth
    service: {id: 2c6bd7f3-9a58-4d84-8a4a-5b3f4c1b7e01}
  - name: prometheus
    service: billing
  routes:
  - name: orders-api
    paths: [/orders]
    service: {name: orders}
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
    consumer: alice
`;
    const r = await loadDesired({ files: ['-'], readStdin: async () => text, env: {} });
    expect(validateDesired(r).map(brief)).toEqual([
      '<stdin>:12:5 services[0].plugins[2]: service: not allowed here: this plugin is nested under service orders, which is its service',
    ]);
  });

  it('classifies each problem with a stable error code', async () => {
    const codes = async (files: string[], env: NodeJS.ProcessEnv = {}) =>
      validateDesired(await loadDesired({ files, env })).map((d) => d.code);
    expect(await codes([sample('bad', 'malformed.yaml')])).toEqual(['E_FILE_PARSE']);
    expect(await codes([sample('bad', 'format-1.1.yaml')])).toEqual(['E_FORMAT_VERSION']);
    expect(await codes([sample('bad', 'format-missing.yaml')])).toEqual(['E_FORMAT_VERSION']);
    expect(await codes([sample('env-unset.yaml')])).toEqual(['E_ENV_UNSET', 'E_FILE_PARSE', 'E_FILE_PARSE']);
    expect(await codes([sample('bad', 'select-tags.yaml')])).toEqual(['E_SELECT_TAGS', 'E_SELECT_TAGS', 'E_VALIDATION']);
    expect(await codes([sample('conflict')])).toEqual(['E_SELECT_TAGS', 'E_FORMAT_VERSION']);
    expect(await codes([sample('nope.yaml')])).toEqual(['E_FILE_READ']);
    expect(await codes([])).toEqual(['E_USAGE']);
    const everything = await codes([sample('bad', 'everything.yaml')]);
    expect(everything[0]).toBe('E_SELECT_TAGS');
    expect(new Set(everything.slice(1))).toEqual(new Set(['E_VALIDATION']));
  });

  it('lists every problem of a file in one run', async () => {
    const f = sample('bad', 'everything.yaml');
    expect(await problems('everything.yaml', true)).toEqual([
      'bad/everything.yaml:4:3: _info.select_tags: at most 5 select tags are allowed (Kong cannot filter on more), found 6',
      'bad/everything.yaml:8:11 services[0]: port: expected an integer',
      'bad/everything.yaml:11:17 services[0].routes[0]: paths[0]: must not have empty segments',
      'bad/everything.yaml:12:9 services[0].routes[1]: a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong',
      'bad/everything.yaml:15:26 services[0].plugins[0]: config.minute: value must be greater than 0',
      `bad/everything.yaml:16:11 services[1]: name: duplicate service orders (first at ${f}:6:5 services[0])`,
      `bad/everything.yaml:19:11 plugins[0]: name: plugin rate-limiting (service orders) is configured twice (first at ${f}:14:9 services[0].plugins[0]): Kong allows one rate-limiting plugin per {service, route, consumer}`,
      "bad/everything.yaml:22:11 plugins[1]: name: unknown plugin 'no-such-plugin': neither bundled with Kong (up to 3.9) nor one of this project's plugins",
      "bad/everything.yaml:24:12 plugins[2]: route: unknown route 'missing-route': no route with this name or id in the file(s); one managed by other files can be named through _info.default_lookup_tags.routes",
      `bad/everything.yaml:29:33 consumers[1].keyauth_credentials[0]: key: duplicate key-auth credential of bob (first at ${f}:27:27 consumers[0].keyauth_credentials[0])`,
      'bad/everything.yaml:30:5 consumers[1]: colour: unknown field',
    ]);
  });

  it('reports the problems of several files in one run, in file order', async () => {
    const names = ['malformed', 'route-paths', 'entity-rules', 'format-1.1'];
    const r = await loadDesired({ files: names.map((n) => sample('bad', `${n}.yaml`)), env: {} });
    const separately: string[] = [];
    for (const n of names) separately.push(...(await problems(`${n}.yaml`)));
    expect(validateDesired(r).map(brief)).toEqual(separately);
    expect(separately.length).toBe(1 + 8 + 14 + 1);
  });
});
