/**
 * Kong 3.4.2 entity schemas, as `GET /schemas/{entity}` returned them
 * (test/fixtures/kong-admin/3.4.2-postgres/003…016, descriptions dropped); vaults and oauth2
 * credentials, keys and key sets, which the recording lacks, as transcribed from Kong 3.4's Lua in
 * test/fixtures/kong-schemas-from-source/3.4. The offline
 * validator builds its JSON Schema and presence checks from these, so field names, types
 * and bounds are Kong's own; test/cli/desired/kong-entity-schemas.test.ts keeps them equal
 * to the recordings. Online, live schemas from the target Kong replace nothing here: this
 * is the offline baseline only.
 */
import type { Kind } from '../model/entity';
import type { EntitySchema } from '../model/schema';
import { withLaterFields } from './kong-later-fields';

export const KONG_ENTITY_SCHEMAS: Record<Kind, EntitySchema> = {
  // Not recorded: transcribed from Kong 3.4's Lua (test/fixtures/kong-schemas-from-source/3.4/GET_schemas-vaults.json)
  vault: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"prefix":{"type":"string","required":true,"unique":true,"unique_across_ws":true,"match":"^[a-z][a-z%d-]-[a-z%d]+$","not_one_of":["env"]}},
      {"name":{"type":"string","required":true}},
      {"description":{"type":"string"}},
      {"config":{"type":"record","abstract":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // Not recorded: transcribed from Kong 3.4's Lua (test/fixtures/kong-schemas-from-source/3.4/GET_schemas-key_sets.json)
  key_set: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"name":{"type":"string","required":false,"unique":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
    ],
    entity_checks: [],
  },
  // Not recorded: transcribed from Kong 3.4's Lua (test/fixtures/kong-schemas-from-source/3.4/GET_schemas-keys.json)
  key: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"set":{"type":"foreign","required":false,"reference":"key_sets","on_delete":"cascade"}},
      {"name":{"type":"string","required":false,"unique":true}},
      {"kid":{"type":"string","required":true,"unique":false}},
      {"jwk":{"type":"string","referenceable":true,"encrypted":true}},
      {"pem":{"type":"record","required":false,"fields":[{"private_key":{"type":"string","required":false,"referenceable":true,"encrypted":true}},{"public_key":{"type":"string","referenceable":true,"required":false}}],"entity_checks":[{"at_least_one_of":["private_key","public_key"]}]}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
    ],
    entity_checks: [{"mutually_exclusive":["jwk","pem"]},{"at_least_one_of":["jwk","pem"]},{"custom_entity_check":{"field_sources":["jwk","pem","kid"]}}],
  },
  // 003_GET_schemas-services.json
  service: {
    fields: [
      {"id":{"type":"string","len_min":1,"uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"name":{"type":"string","unique":true}},
      {"retries":{"default":5,"type":"integer","between":[0,32767]}},
      {"protocol":{"type":"string","required":true,"one_of":["grpc","grpcs","http","https","tcp","tls","tls_passthrough","udp"],"default":"http"}},
      {"host":{"type":"string","required":true}},
      {"port":{"type":"integer","between":[0,65535],"required":true,"default":80}},
      {"path":{"match_none":[{"pattern":"//","err":"must not have empty segments"}],"type":"string","starts_with":"/"}},
      {"connect_timeout":{"default":60000,"between":[1,2147483646],"type":"integer"}},
      {"write_timeout":{"default":60000,"between":[1,2147483646],"type":"integer"}},
      {"read_timeout":{"default":60000,"between":[1,2147483646],"type":"integer"}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"client_certificate":{"type":"foreign","reference":"certificates"}},
      {"tls_verify":{"type":"boolean"}},
      {"tls_verify_depth":{"default":null,"type":"integer","between":[0,64]}},
      {"ca_certificates":{"elements":{"type":"string","uuid":true},"type":"array"}},
      {"enabled":{"type":"boolean","default":true,"required":true}},
    ],
    entity_checks: [{"conditional":{"if_match":{"one_of":["tcp","tls","udp","grpc","grpcs"]},"then_field":"path","if_field":"protocol","then_match":{"eq":null}}},{"conditional":{"if_match":{"not_one_of":["https","tls"]},"then_field":"client_certificate","if_field":"protocol","then_match":{"eq":null}}},{"conditional":{"if_match":{"not_one_of":["https","tls"]},"then_field":"tls_verify","if_field":"protocol","then_match":{"eq":null}}},{"conditional":{"if_match":{"not_one_of":["https","tls"]},"then_field":"tls_verify_depth","if_field":"protocol","then_match":{"eq":null}}},{"conditional":{"if_match":{"not_one_of":["https","tls"]},"then_field":"ca_certificates","if_field":"protocol","then_match":{"eq":null}}}],
  },
  // 004_GET_schemas-routes.json
  route: {
    fields: [
      {"id":{"type":"string","len_min":1,"uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"name":{"type":"string","unique":true}},
      {"protocols":{"mutually_exclusive_subsets":[["http","https"],["tcp","tls","udp"],["tls_passthrough"],["grpc","grpcs"]],"type":"set","len_min":1,"required":true,"elements":{"one_of":["grpc","grpcs","http","https","tcp","tls","tls_passthrough","udp"],"type":"string"},"default":["http","https"]}},
      {"methods":{"elements":{"type":"string","match":"^%u+$"},"type":"set"}},
      {"hosts":{"elements":{"type":"string","match_any":{"patterns":["^%*%.","%.%*$","^[^*]*$"],"err":"invalid wildcard: must be placed at leftmost or rightmost label"},"match_all":[{"pattern":"^[^*]*%*?[^*]*$","err":"invalid wildcard: must have at most one wildcard"}]},"type":"array"}},
      {"paths":{"elements":{"match_none":[{"pattern":"//","err":"must not have empty segments"}],"type":"string","match_any":{"patterns":["^/","^~/"],"err":"should start with: / (fixed path) or ~/ (regex path)"}},"type":"array"}},
      {"headers":{"values":{"elements":{"type":"string"},"type":"array"},"type":"map","keys":{"type":"string","match_none":[{"pattern":"^[Hh][Oo][Ss][Tt]$","err":"cannot contain 'host' header, which must be specified in the 'hosts' attribute"}]}}},
      {"https_redirect_status_code":{"type":"integer","one_of":[426,301,302,307,308],"default":426,"required":true}},
      {"regex_priority":{"default":0,"type":"integer"}},
      {"strip_path":{"type":"boolean","default":true,"required":true}},
      {"path_handling":{"one_of":["v0","v1"],"type":"string","default":"v0"}},
      {"preserve_host":{"type":"boolean","default":false,"required":true}},
      {"request_buffering":{"type":"boolean","default":true,"required":true}},
      {"response_buffering":{"type":"boolean","default":true,"required":true}},
      {"snis":{"elements":{"type":"string"},"type":"set"}},
      {"sources":{"elements":{"entity_checks":[{"at_least_one_of":["ip","port"]}],"type":"record","fields":[{"ip":{"type":"string"}},{"port":{"type":"integer","between":[0,65535]}}]},"type":"set"}},
      {"destinations":{"elements":{"entity_checks":[{"at_least_one_of":["ip","port"]}],"type":"record","fields":[{"ip":{"type":"string"}},{"port":{"type":"integer","between":[0,65535]}}]},"type":"set"}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"service":{"type":"foreign","reference":"services"}},
    ],
    entity_checks: [{"conditional":{"if_match":{"elements":{"type":"string","not_one_of":["grpcs","https","tls","tls_passthrough"]}},"then_field":"snis","if_field":"protocols","then_match":{"len_eq":0},"then_err":"'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"}},{"custom_entity_check":{"field_sources":["path_handling"]}},{"custom_entity_check":{"run_with_missing_fields":true,"field_sources":["id","paths"]}}],
  },
  // 005_GET_schemas-consumers.json
  consumer: {
    fields: [
      {"id":{"type":"string","len_min":1,"uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"username":{"type":"string","unique":true}},
      {"custom_id":{"type":"string","unique":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [{"at_least_one_of":["custom_id","username"]}],
  },
  // 006_GET_schemas-plugins.json
  plugin: {
    fields: [
      {"id":{"type":"string","len_min":1,"uuid":true,"auto":true}},
      {"name":{"type":"string","required":true}},
      {"instance_name":{"type":"string","unique":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"route":{"type":"foreign","default":null,"on_delete":"cascade","reference":"routes"}},
      {"service":{"type":"foreign","default":null,"on_delete":"cascade","reference":"services"}},
      {"consumer":{"type":"foreign","default":null,"on_delete":"cascade","reference":"consumers"}},
      {"config":{"type":"record","abstract":true}},
      {"protocols":{"type":"set","required":true,"elements":{"one_of":["grpc","grpcs","http","https","tcp","tls","tls_passthrough","udp"],"type":"string"},"default":["grpc","grpcs","http","https"]}},
      {"enabled":{"type":"boolean","default":true,"required":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // 007_GET_schemas-upstreams.json
  upstream: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"name":{"type":"string","unique":true,"required":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"algorithm":{"one_of":["consistent-hashing","least-connections","round-robin","latency"],"type":"string","default":"round-robin"}},
      {"hash_on":{"one_of":["none","consumer","ip","header","cookie","path","query_arg","uri_capture"],"default":"none","type":"string"}},
      {"hash_fallback":{"one_of":["none","consumer","ip","header","cookie","path","query_arg","uri_capture"],"default":"none","type":"string"}},
      {"hash_on_header":{"type":"string"}},
      {"hash_fallback_header":{"type":"string"}},
      {"hash_on_cookie":{"type":"string"}},
      {"hash_on_cookie_path":{"type":"string","default":"/","starts_with":"/","match_none":[{"pattern":"//","err":"must not have empty segments"}]}},
      {"hash_on_query_arg":{"len_min":1,"type":"string"}},
      {"hash_fallback_query_arg":{"len_min":1,"type":"string"}},
      {"hash_on_uri_capture":{"len_min":1,"type":"string"}},
      {"hash_fallback_uri_capture":{"len_min":1,"type":"string"}},
      {"slots":{"default":10000,"type":"integer","between":[10,65536]}},
      {"healthchecks":{"type":"record","fields":[{"passive":{"default":{"unhealthy":{"http_statuses":[429,500,503],"tcp_failures":0,"timeouts":0,"http_failures":0},"type":"http","healthy":{"http_statuses":[200,201,202,203,204,205,206,207,208,226,300,301,302,303,304,305,306,307,308],"successes":0}},"type":"record","fields":[{"unhealthy":{"default":{"http_statuses":[429,500,503],"tcp_failures":0,"timeouts":0,"http_failures":0},"type":"record","fields":[{"http_statuses":{"elements":{"between":[100,999],"type":"integer"},"default":[429,500,503],"type":"array"}},{"tcp_failures":{"default":0,"between":[0,255],"type":"integer"}},{"timeouts":{"default":0,"between":[0,255],"type":"integer"}},{"http_failures":{"default":0,"between":[0,255],"type":"integer"}}],"required":true}},{"type":{"one_of":["tcp","http","https","grpc","grpcs"],"default":"http","type":"string"}},{"healthy":{"default":{"http_statuses":[200,201,202,203,204,205,206,207,208,226,300,301,302,303,304,305,306,307,308],"successes":0},"type":"record","fields":[{"http_statuses":{"elements":{"between":[100,999],"type":"integer"},"default":[200,201,202,203,204,205,206,207,208,226,300,301,302,303,304,305,306,307,308],"type":"array"}},{"successes":{"default":0,"between":[0,255],"type":"integer"}}],"required":true}}],"required":true}},{"active":{"default":{"concurrency":10,"type":"http","healthy":{"http_statuses":[200,302],"interval":0,"successes":0},"unhealthy":{"interval":0,"http_statuses":[429,404,500,501,502,503,504,505],"tcp_failures":0,"timeouts":0,"http_failures":0},"http_path":"/","timeout":1,"https_verify_certificate":true},"type":"record","fields":[{"type":{"one_of":["tcp","http","https","grpc","grpcs"],"default":"http","type":"string"}},{"http_path":{"type":"string","default":"/","starts_with":"/","match_none":[{"pattern":"//","err":"must not have empty segments"}]}},{"https_sni":{"type":"string","required":false}},{"https_verify_certificate":{"default":true,"type":"boolean","required":true}},{"headers":{"values":{"elements":{"type":"string"},"type":"array"},"type":"map","required":false,"keys":{"type":"string"}}},{"concurrency":{"default":10,"between":[1,2147483648],"type":"integer"}},{"healthy":{"default":{"http_statuses":[200,302],"interval":0,"successes":0},"type":"record","fields":[{"http_statuses":{"elements":{"between":[100,999],"type":"integer"},"default":[200,302],"type":"array"}},{"interval":{"default":0,"between":[0,65535],"type":"number"}},{"successes":{"default":0,"between":[0,255],"type":"integer"}}],"required":true}},{"unhealthy":{"default":{"interval":0,"http_statuses":[429,404,500,501,502,503,504,505],"tcp_failures":0,"timeouts":0,"http_failures":0},"type":"record","fields":[{"interval":{"default":0,"between":[0,65535],"type":"number"}},{"http_statuses":{"elements":{"between":[100,999],"type":"integer"},"default":[429,404,500,501,502,503,504,505],"type":"array"}},{"tcp_failures":{"default":0,"between":[0,255],"type":"integer"}},{"timeouts":{"default":0,"between":[0,255],"type":"integer"}},{"http_failures":{"default":0,"between":[0,255],"type":"integer"}}],"required":true}},{"timeout":{"default":1,"between":[0,65535],"type":"number"}}],"required":true}},{"threshold":{"default":0,"between":[0,100],"type":"number"}}],"default":{"passive":{"unhealthy":{"http_statuses":[429,500,503],"tcp_failures":0,"timeouts":0,"http_failures":0},"type":"http","healthy":{"http_statuses":[200,201,202,203,204,205,206,207,208,226,300,301,302,303,304,305,306,307,308],"successes":0}},"active":{"concurrency":10,"type":"http","healthy":{"http_statuses":[200,302],"interval":0,"successes":0},"unhealthy":{"interval":0,"http_statuses":[429,404,500,501,502,503,504,505],"tcp_failures":0,"timeouts":0,"http_failures":0},"http_path":"/","timeout":1,"https_verify_certificate":true}},"required":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"host_header":{"type":"string"}},
      {"client_certificate":{"type":"foreign","reference":"certificates"}},
      {"use_srv_name":{"default":false,"type":"boolean"}},
    ],
    entity_checks: [{"conditional":{"if_match":{"match":"^header$"},"then_field":"hash_on_header","if_field":"hash_on","then_match":{"required":true}}},{"conditional":{"if_match":{"match":"^header$"},"then_field":"hash_fallback_header","if_field":"hash_fallback","then_match":{"required":true}}},{"conditional":{"if_match":{"match":"^cookie$"},"then_field":"hash_on_cookie","if_field":"hash_on","then_match":{"required":true}}},{"conditional":{"if_match":{"match":"^cookie$"},"then_field":"hash_on_cookie","if_field":"hash_fallback","then_match":{"required":true}}},{"conditional":{"if_match":{"match":"^none$"},"then_field":"hash_fallback","if_field":"hash_on","then_match":{"one_of":["none"]}}},{"conditional":{"if_match":{"match":"^cookie$"},"then_field":"hash_fallback","if_field":"hash_on","then_match":{"one_of":["none"]}}},{"conditional":{"if_match":{"match":"^consumer$"},"then_field":"hash_fallback","if_field":"hash_on","then_match":{"one_of":["none","ip","header","cookie","path","query_arg","uri_capture"]}}},{"conditional":{"if_match":{"match":"^ip$"},"then_field":"hash_fallback","if_field":"hash_on","then_match":{"one_of":["none","consumer","header","cookie","path","query_arg","uri_capture"]}}},{"conditional":{"if_match":{"match":"^path$"},"then_field":"hash_fallback","if_field":"hash_on","then_match":{"one_of":["none","consumer","header","cookie","query_arg","ip","uri_capture"]}}},{"distinct":["hash_on_header","hash_fallback_header"]},{"conditional":{"if_match":{"match":"^query_arg$"},"then_field":"hash_on_query_arg","if_field":"hash_on","then_match":{"required":true}}},{"conditional":{"if_match":{"match":"^query_arg$"},"then_field":"hash_fallback_query_arg","if_field":"hash_fallback","then_match":{"required":true}}},{"distinct":["hash_on_query_arg","hash_fallback_query_arg"]},{"conditional":{"if_match":{"match":"^uri_capture$"},"then_field":"hash_on_uri_capture","if_field":"hash_on","then_match":{"required":true}}},{"conditional":{"if_match":{"match":"^uri_capture$"},"then_field":"hash_fallback_uri_capture","if_field":"hash_fallback","then_match":{"required":true}}},{"distinct":["hash_on_uri_capture","hash_fallback_uri_capture"]}],
  },
  // 008_GET_schemas-targets.json
  target: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"number","timestamp":true}},
      {"updated_at":{"auto":true,"type":"number","timestamp":true}},
      {"upstream":{"type":"foreign","required":true,"on_delete":"cascade","reference":"upstreams"}},
      {"target":{"type":"string","required":true}},
      {"weight":{"default":100,"type":"integer","between":[0,65535]}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // 009_GET_schemas-certificates.json
  certificate: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"cert":{"referenceable":true,"type":"string","required":true}},
      {"key":{"type":"string","required":true,"referenceable":true,"encrypted":true}},
      {"cert_alt":{"referenceable":true,"type":"string","required":false}},
      {"key_alt":{"type":"string","required":false,"referenceable":true,"encrypted":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [{"mutually_required":["cert_alt","key_alt"]},{"custom_entity_check":{"field_sources":["cert","key"]}},{"custom_entity_check":{"field_sources":["cert_alt","key_alt"]}},{"custom_entity_check":{"field_sources":["cert","cert_alt"]}}],
  },
  // 010_GET_schemas-snis.json
  sni: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"name":{"type":"string","unique":true,"unique_across_ws":true,"required":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"certificate":{"type":"foreign","required":true,"reference":"certificates"}},
    ],
    entity_checks: [],
  },
  // 011_GET_schemas-ca_certificates.json
  ca_certificate: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"updated_at":{"auto":true,"type":"integer","timestamp":true}},
      {"cert":{"type":"string","required":true}},
      {"cert_digest":{"unique":true,"type":"string"}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [{"custom_entity_check":{"field_sources":["cert"]}}],
  },
  // 012_GET_schemas-keyauth_credentials.json
  keyauth_credential: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"consumer":{"type":"foreign","required":true,"on_delete":"cascade","reference":"consumers"}},
      {"key":{"auto":true,"type":"string","unique":true,"required":false}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // 013_GET_schemas-jwt_secrets.json
  jwt_secret: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"consumer":{"type":"foreign","required":true,"on_delete":"cascade","reference":"consumers"}},
      {"key":{"auto":true,"type":"string","unique":true,"required":false}},
      {"secret":{"type":"string","auto":true}},
      {"rsa_public_key":{"type":"string"}},
      {"algorithm":{"one_of":["HS256","HS384","HS512","RS256","RS384","RS512","ES256","ES384"],"default":"HS256","type":"string"}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [{"conditional":{"if_match":{"match_any":{"patterns":["^RS256$","^RS384$","^RS512$"]}},"then_field":"rsa_public_key","if_field":"algorithm","then_match":{"required":true}}}],
  },
  // 014_GET_schemas-basicauth_credentials.json
  basicauth_credential: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"consumer":{"type":"foreign","required":true,"on_delete":"cascade","reference":"consumers"}},
      {"username":{"type":"string","unique":true,"required":true}},
      {"password":{"encrypted":true,"type":"string","required":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // 015_GET_schemas-hmacauth_credentials.json
  hmacauth_credential: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"consumer":{"type":"foreign","required":true,"on_delete":"cascade","reference":"consumers"}},
      {"username":{"type":"string","unique":true,"required":true}},
      {"secret":{"type":"string","auto":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // 016_GET_schemas-acls.json
  acl: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"consumer":{"type":"foreign","required":true,"on_delete":"cascade","reference":"consumers"}},
      {"group":{"type":"string","required":true}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
    ],
    entity_checks: [],
  },
  // Not recorded: transcribed from Kong 3.4's Lua (test/fixtures/kong-schemas-from-source/3.4/GET_schemas-oauth2_credentials.json)
  oauth2_credential: {
    fields: [
      {"id":{"type":"string","uuid":true,"auto":true}},
      {"created_at":{"auto":true,"type":"integer","timestamp":true}},
      {"consumer":{"type":"foreign","required":true,"on_delete":"cascade","reference":"consumers"}},
      {"name":{"type":"string","required":true}},
      {"client_id":{"type":"string","required":false,"unique":true,"auto":true}},
      {"client_secret":{"type":"string","required":false,"auto":true,"encrypted":true}},
      {"hash_secret":{"type":"boolean","required":true,"default":false}},
      {"redirect_uris":{"type":"array","required":false,"elements":{"type":"string"}}},
      {"tags":{"elements":{"type":"string","required":true},"type":"set"}},
      {"client_type":{"type":"string","required":true,"default":"confidential","one_of":["confidential","public"]}},
    ],
    entity_checks: [],
  },
};

/**
 * The vaults every OSS Kong 3.x bundles, as `GET /schemas/vaults/{name}` answers: only `env`
 * (not recorded: test/fixtures/kong-schemas-from-source/3.4/GET_schemas-vaults-env.json).
 * Offline, an `env` vault's config is checked against it; any other vault name is a baseline
 * problem left to the node (Kong Enterprise brings aws, gcp, hcv, azure, konnect).
 */
export const KONG_BUNDLED_VAULTS: Record<string, EntitySchema> = {
  env: {
    fields: [{"config":{"type":"record","required":true,"fields":[{"prefix":{"type":"string","match":"^[%a_-][%a%d_-]*$"}}]}}],
    entity_checks: [],
  },
};

/**
 * Fields Kong's DAO adds outside the schema's field list (schemas declared with `ttl = true`):
 * `GET /schemas/keyauth_credentials` does not list `ttl`, yet Kong accepts it on create and
 * returns it (`"ttl": null`, fixtures 074 and 079). The DAO takes seconds up to 100000000.
 */
export const KONG_DAO_FIELDS: Partial<Record<Kind, EntitySchema['fields']>> = {
  keyauth_credential: [{ ttl: { type: 'integer', between: [0, 100000000] } }],
};

/**
 * The entity schemas one validation run judges a file against. Offline that is the baseline
 * above (with the fields later Kong versions added, kong-later-fields.ts); once kong-ctl talks
 * to a node, the node's own `GET /schemas/{entity}` answers replace it, so that a file is
 * judged by the Kong it is for, whatever its version.
 */
export interface EntitySchemaSource {
  /** The node's version when the schemas are a live node's; undefined offline. */
  readonly liveVersion?: string;
  /** Undefined when a live node has no such entity (its plugin, e.g. jwt for jwt_secrets, is not enabled). */
  schemaOf(kind: Kind): EntitySchema | undefined;
}

const offlineSchemas = new Map<Kind, EntitySchema>(
  (Object.keys(KONG_ENTITY_SCHEMAS) as Kind[]).map((kind) => [kind, withLaterFields(kind, KONG_ENTITY_SCHEMAS[kind])]),
);

export const OFFLINE_SCHEMAS: EntitySchemaSource = { schemaOf: (kind) => offlineSchemas.get(kind) };

export function liveSchemas(version: string, entities: Partial<Record<string, EntitySchema>>): EntitySchemaSource {
  return { liveVersion: version, schemaOf: (kind) => entities[kind] };
}

const fieldsCache = new WeakMap<EntitySchema, EntitySchema['fields']>();

/** The fields a desired entity of `kind` may have: the schema's own plus the DAO's. */
export function entityFields(kind: Kind, source: EntitySchemaSource = OFFLINE_SCHEMAS): EntitySchema['fields'] {
  const schema = source.schemaOf(kind) ?? offlineSchemas.get(kind)!;
  let out = fieldsCache.get(schema);
  if (!out) fieldsCache.set(schema, (out = [...schema.fields, ...(KONG_DAO_FIELDS[kind] ?? [])]));
  return out;
}
