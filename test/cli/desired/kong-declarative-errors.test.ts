/**
 * Kong's spec/01-unit/01-db/01-schema/11-declarative_config/05-error-flattening_spec.lua, ported
 * as differential tests of `kong-ctl validate` (kong-declarative.ts). Kong's test feeds each
 * input config, with the errors Kong's validation found in it (`err_t`), to the function that
 * flattens them for `POST /config?flatten_errors=1`: those errors are Kong's verdict on the
 * file, and the case here. The inputs, Lua tables in Kong's spec, are the YAML files of
 * test/fixtures/kong-declarative/bad/ (README there: version, transcription).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { checkCase, type KongCase } from './kong-declarative';

const input = (name: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'kong-declarative', 'bad', name), 'utf8');

/** Offline, a bundled plugin's config is checked against Kong 3.4's schema, and what a newer Kong may accept is a warning (README, validate). */
const NEWER_KONG =
  "documented: offline, what a newer Kong may accept in a bundled plugin's config (a field it added, one no longer required) is a warning; --online, diff and apply judge it by the node's own schema";

const PROTOCOLS = 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp';
/**
 * kong-ctl's extra problems in these files, each at an entity Kong refuses anyway: a service or
 * route without a name (or id) is refused (docs/from-deck.md, "Kong's own declarative format");
 * a reference (`client_certificate`) holds a name or an id, so a certificate's own fields there
 * are unknown fields where Kong checks them as a certificate's; and a vault's `prefix` that
 * Kong refuses too (vaults.lua: not one of the bundled vaults' names), which Kong reports only
 * once the vault's name is one it has (an unknown subschema stops its check of the entity).
 */
const CASES: KongCase[] = [
  {
    kong: 'flattens dbless errors into a single array: certificates, consumers, plugins, services, upstreams, vaults',
    yaml: input('05-01-everything.yaml'),
    kongErrors: [
      ['certificates[2].cert', 'invalid certificate: x509.new: error:688010A:asn1 encoding routines:asn1_item_embed_d2i:nested asn1 error:asn1/tasn_dec.c:349:'],
      ['consumers[2].not_allowed', 'unknown field'],
      ['consumers[4].basicauth_credentials[2].extra_field', 'unknown field'],
      ['plugins[1].config.http_endpoint', 'missing host in url'],
      ['services[1].protocol', PROTOCOLS],
      ['services[1].routes[2].@entity', "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"],
      ['services[2].@entity', "failed conditional validation given value of field 'protocol'"],
      ['services[2].path', 'value must be null'],
      ['services[3].routes[1].plugins[1].config.http_endpoint', 'required field missing'],
      ['services[3].routes[1].plugins[1].config.not_endpoint', 'unknown field'],
      ['services[4].plugins[1].name', "plugin 'i-dont-exist' not enabled; add it to the 'plugins' configuration property"],
      ['services[4].plugins[2].config.deeply', 'unknown field'],
      ['services[4].plugins[2].config.host', 'required field missing'],
      ['services[5].client_certificate.cert', 'length must be at least 1'],
      ['services[5].client_certificate.key', 'length must be at least 1'],
      ['services[6].id', 'expected a string'],
      ['services[7].tags[3]', 'expected a string'],
      ['services[7].tags[4]', 'expected a string'],
      ['services[8].name', 'length must be at least 1'],
      ['services[9].name', 'expected a string'],
      ['upstreams[2].healthchecks.active.concurrency', 'value should be between 1 and 2147483648'],
      ['upstreams[2].host_header', 'expected a string'],
      ['upstreams[3].targets[2].target', "Invalid target ('hostname:1.0'); not a valid hostname or ip address"],
      ['vaults[2].name', "vault 'vault-not-installed' is not installed"],
    ],
    kongCtl: [
      '29:9 certificates[1]: cert: invalid certificate: OpenSSL cannot read it as a PEM certificate',
      '57:3 consumers[1]: not_allowed: unknown field',
      '70:5 consumers[3].basicauth_credentials[1]: extra_field: unknown field',
      '81:20 plugins[0]: config.http_endpoint: missing host in url',
      '89:13 services[0]: protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
      "102:5 services[0].routes[1]: must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
      '112:9 services[1]: path: value must be null when protocol is tcp',
      "warning 137:9 services[2].routes[0].plugins[0]: config.not_endpoint: unknown field (did you mean 'http_endpoint'?) in Kong 3.4's http-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      "warning 137:9 services[2].routes[0].plugins[0]: config.http_endpoint: required field missing in Kong 3.4's http-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      "155:11 services[3].plugins[0]: name: unknown plugin 'i-dont-exist': neither bundled with Kong (up to 3.9) nor one of this project's plugins",
      "warning 160:7 services[3].plugins[1]: config.deeply: unknown field in Kong 3.4's tcp-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      "warning 160:7 services[3].plugins[1]: config.host: required field missing in Kong 3.4's tcp-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      '172:5 services[4]: client_certificate.cert: unknown field',
      '173:5 services[4]: client_certificate.key: unknown field',
      '174:5 services[4]: client_certificate.tags: unknown field',
      '181:7 services[5]: id: expected a string',
      '191:5 services[6]: tags[2]: expected a string',
      '194:5 services[6]: tags[3]: expected a string',
      '196:9 services[7]: name: length must be at least 1',
      '201:3 services[8]: a service needs a name or an id: without one kong-ctl cannot match it with the service in Kong',
      '201:9 services[8]: name: expected a string',
      '214:20 upstreams[1]: healthchecks.active.concurrency: value should be between 1 and 2147483648',
      '226:16 upstreams[1]: host_header: expected a string',
      "241:13 upstreams[2].targets[1]: target: Invalid target ('hostname:1.0'); not a valid hostname or ip address",
      "251:9 vaults[1]: name: unknown vault 'vault-not-installed': Kong OSS bundles only 'env' (Kong Enterprise adds others)",
      '252:11 vaults[1]: prefix: expected none of: env',
    ],
    warns: {
      'services[3].routes[1].plugins[1].config.http_endpoint': NEWER_KONG,
      'services[3].routes[1].plugins[1].config.not_endpoint': NEWER_KONG,
      'services[4].plugins[2].config.deeply': NEWER_KONG,
      'services[4].plugins[2].config.host': NEWER_KONG,
    },
  },
  {
    kong: 'flattens dbless errors into a single array: an upstream',
    yaml: input('05-02-upstream.yaml'),
    kongErrors: [
      ['upstreams[1].healthchecks.active.concurrency', 'value should be between 1 and 2147483648'],
      ['upstreams[1].host_header', 'expected a string'],
    ],
    kongCtl: [
      '7:20 upstreams[0]: healthchecks.active.concurrency: value should be between 1 and 2147483648',
      '19:16 upstreams[0]: host_header: expected a string',
    ],
  },
  {
    kong: "flattens dbless errors into a single array: a service's client certificate, plugins and routes",
    yaml: input('05-03-service-children.yaml'),
    kongErrors: [
      ['services[1].client_certificate.cert', 'length must be at least 1'],
      ['services[1].client_certificate.key', 'length must be at least 1'],
      ['services[1].plugins[1].name', "plugin 'i-do-not-exist' not enabled; add it to the 'plugins' configuration property"],
      ['services[1].routes[1].plugins[1].config.a', 'unknown field'],
      ['services[1].routes[1].plugins[1].config.http_endpoint', 'required field missing'],
      ['services[1].routes[2].protocols', 'unknown type: nope'],
    ],
    kongCtl: [
      '5:5 services[0]: client_certificate.cert: unknown field',
      '6:5 services[0]: client_certificate.key: unknown field',
      '7:5 services[0]: client_certificate.tags: unknown field',
      "13:11 services[0].plugins[0]: name: unknown plugin 'i-do-not-exist': neither bundled with Kong (up to 3.9) nor one of this project's plugins",
      '17:5 services[0].routes[0]: a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong',
      "warning 23:9 services[0].routes[0].plugins[0]: config.a: unknown field in Kong 3.4's http-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      "warning 23:9 services[0].routes[0].plugins[0]: config.http_endpoint: required field missing in Kong 3.4's http-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      '33:5 services[0].routes[1]: a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong',
      '38:7 services[0].routes[1]: protocols[0]: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
    ],
    warns: { 'services[1].routes[1].plugins[1].config.a': NEWER_KONG, 'services[1].routes[1].plugins[1].config.http_endpoint': NEWER_KONG },
  },
  {
    kong: 'flattens dbless errors into a single array: basic-auth usernames taken twice',
    yaml: input('05-04-basicauth-usernames.yaml'),
    kongErrors: [
      ['consumers[1].basicauth_credentials[4]', "uniqueness violation: 'basicauth_credentials' entity with username set to 'user-11' already declared"],
      ['consumers[3].basicauth_credentials[1]', "uniqueness violation: 'basicauth_credentials' entity with username set to 'user-01' already declared"],
      ['consumers[3].basicauth_credentials[3]', "uniqueness violation: 'basicauth_credentials' entity with username set to 'user-02' already declared"],
      ['consumers[3].basicauth_credentials[4]', "uniqueness violation: 'basicauth_credentials' entity with username set to 'user-33' already declared"],
    ],
    kongCtl: [
      '24:15 consumers[0].basicauth_credentials[3]: username: duplicate basic-auth credential user-11 (consumer consumer-01) (first at kong.yaml:10:5 consumers[0].basicauth_credentials[1])',
      '44:15 consumers[2].basicauth_credentials[0]: username: duplicate basic-auth credential user-01 (consumer consumer-03) (first at kong.yaml:5:5 consumers[0].basicauth_credentials[0])',
      '54:15 consumers[2].basicauth_credentials[2]: username: duplicate basic-auth credential user-02 (consumer consumer-03) (first at kong.yaml:15:5 consumers[0].basicauth_credentials[2])',
      '59:15 consumers[2].basicauth_credentials[3]: username: duplicate basic-auth credential user-33 (consumer consumer-03) (first at kong.yaml:45:5 consumers[2].basicauth_credentials[1])',
    ],
  },
  {
    kong: "flattens dbless errors into a single array: a service's protocol",
    yaml: input('05-05-service-protocol.yaml'),
    kongErrors: [['services[1].protocol', PROTOCOLS]],
    kongCtl: [
      '8:13 services[0]: protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
    ],
  },
  {
    kong: "flattens dbless errors into a single array: a route's unknown field",
    yaml: input('05-06-route-unknown-field.yaml'),
    kongErrors: [
      ['services[1].protocol', PROTOCOLS],
      ['services[1].routes[1].@entity', "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
      ['services[1].routes[1].super_duper_invalid', 'unknown field'],
    ],
    kongCtl: [
      '8:13 services[0]: protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
      '10:5 services[0].routes[0]: super_duper_invalid: unknown field',
      '10:5 services[0].routes[0]: a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong',
      "10:5 services[0].routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
    ],
  },
  {
    kong: "flattens dbless errors into a single array: a service's id, name and tags of other types",
    yaml: input('05-07-service-types.yaml'),
    kongErrors: [
      ['services[1].id', 'expected a string'],
      ['services[1].name', 'expected a string'],
      ['services[1].tags[2]', 'expected a string'],
    ],
    kongCtl: [
      '4:3 services[0]: a service needs a name or an id: without one kong-ctl cannot match it with the service in Kong',
      '4:7 services[0]: id: expected a string',
      '5:9 services[0]: name: expected a string',
      '8:5 services[0]: tags[1]: expected a string',
    ],
  },
  {
    kong: 'flattens dbless errors into a single array: an unknown top-level field',
    yaml: input('05-08-top-level-unknown-field.yaml'),
    kongErrors: [
      ['abnormal_extra_field', 'unknown field'],
      ['services[1].protocol', PROTOCOLS],
      ['services[1].routes[2].@entity', "must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'"],
      ['services[2].@entity', "failed conditional validation given value of field 'protocol'"],
      ['services[2].path', 'value must be null'],
      ['services[3].routes[1].plugins[1].config.http_endpoint', 'required field missing'],
      ['services[3].routes[1].plugins[1].config.not_endpoint', 'unknown field'],
    ],
    kongCtl: [
      '3:1: abnormal_extra_field: unknown field',
      '8:13 services[0]: protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
      "21:5 services[0].routes[1]: must set one of 'sources', 'destinations', 'snis' when 'protocols' is 'tcp', 'tls' or 'udp'",
      '31:9 services[1]: path: value must be null when protocol is tcp',
      "warning 56:9 services[2].routes[0].plugins[0]: config.not_endpoint: unknown field (did you mean 'http_endpoint'?) in Kong 3.4's http-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
      "warning 56:9 services[2].routes[0].plugins[0]: config.http_endpoint: required field missing in Kong 3.4's http-log plugin; a newer Kong may accept it (`kong-ctl validate --online` asks yours)",
    ],
    warns: {
      'services[3].routes[1].plugins[1].config.http_endpoint': NEWER_KONG,
      'services[3].routes[1].plugins[1].config.not_endpoint': NEWER_KONG,
    },
  },
  {
    kong: 'flattens dbless errors into a single array: a plugin naming its consumer by a username that looks like an id',
    yaml: input('05-09-consumer-reference.yaml'),
    kongErrors: [['plugins[1].consumer.id', 'missing primary key']],
    differs: {
      'plugins[1].consumer.id':
        "the consumer is named by its username, which kong-ctl resolves, as Kong 3.4's loader does (declarative_config.lua looks a reference up by " +
        "endpoint key, then by id); what kong-ctl refuses is the second rate-limiting plugin on the same consumer, which Kong 3.4 refuses too " +
        "(both get the same id from their cache key: a uniqueness violation). This err_t came from a Kong Ingress Controller report",
    },
    kongCtl: [
      '64:9 plugins[1]: name: plugin rate-limiting (consumer 774f8446-6427-43f9-9962-ce7ab8097fe4) is configured twice (first at kong.yaml:31:3 plugins[0]): Kong allows one rate-limiting plugin per {service, route, consumer}',
    ],
  },
  {
    kong: 'flattens dbless errors into a single array: a consumer username taken twice',
    yaml: input('05-10-consumer-usernames.yaml'),
    kongErrors: [['consumers[2]', "uniqueness violation: 'consumers' entity with username set to 'test-consumer-1' already declared"]],
    kongCtl: [
      '11:13 consumers[1]: username: duplicate consumer test-consumer-1 (first at kong.yaml:4:3 consumers[0])',
    ],
  },
  {
    kong: 'flattens dbless errors into a single array: a target id taken twice',
    yaml: input('05-11-target-ids.yaml'),
    kongErrors: [
      ['upstreams[2].targets[2]', "uniqueness violation: 'targets' entity with primary key set to '48322e4a-b3b0-591b-8ed6-fd95a6d75019' already declared"],
    ],
    kongCtl: [
      '65:13 upstreams[1].targets[1]: target: duplicate target 10.244.0.12:80 (upstream httproute.default.httproute-testing.1) (first at kong.yaml:57:5 upstreams[1].targets[0])',
    ],
  },
];

describe("Kong's 05-error-flattening_spec.lua: the configs whose errors Kong flattens", () => {
  for (const c of CASES) it(c.kong, () => checkCase(c));
});
