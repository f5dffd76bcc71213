/**
 * The expected states of decK's sync tests (tests/integration/sync_test.go), written as the
 * Admin API's JSON rather than go-kong structs: the same entities, under the same names as decK's
 * variables, for the Kong versions 3.4 falls in (decK's `svc1_207`, `route1_20x`,
 * `upstream_pre311`…). Only what decK sets is here; see deck-sync-state.ts for how they compare.
 */
type Obj = Record<string, unknown>;

export const SVC1_ID = '58076db2-28b6-423b-ba39-a797193017f7';
export const ROUTE1_ID = '87b6a97e-f3f7-4c47-857a-7464cb9e202b';

const ALL_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];

/** `svc1_207` ("latest"). */
export const svc1_207: Obj[] = [
  {
    id: SVC1_ID,
    name: 'svc1',
    connect_timeout: 60000,
    host: 'mockbin.org',
    port: 80,
    protocol: 'http',
    read_timeout: 60000,
    retries: 5,
    write_timeout: 60000,
    enabled: true,
  },
];

/** `route1_20x` ("latest"). */
export const route1_20x: Obj[] = [
  {
    id: ROUTE1_ID,
    name: 'r1',
    paths: ['/r1'],
    path_handling: 'v0',
    preserve_host: false,
    protocols: ['http', 'https'],
    regex_priority: 0,
    strip_path: true,
    https_redirect_status_code: 301,
    request_buffering: true,
    response_buffering: true,
    service: { id: SVC1_ID },
  },
];

/** `plugin` ("latest", Kong < 3.6: no `realm`). */
export const basicAuthPlugin: Obj[] = [
  {
    name: 'basic-auth',
    protocols: ALL_PROTOCOLS,
    enabled: true,
    config: { anonymous: SVC1_ID, hide_credentials: false },
  },
];

const prometheus3x = (scope: Obj): Obj => ({
  name: 'prometheus',
  protocols: ALL_PROTOCOLS,
  enabled: true,
  config: {
    bandwidth_metrics: false,
    latency_metrics: false,
    per_consumer: false,
    status_code_metrics: false,
    upstream_health_metrics: false,
  },
  ...scope,
});

/** `plugin_on_entities3x` (Kong 3.0 to 3.7). */
export const plugin_on_entities3x: Obj[] = [
  prometheus3x({ service: { id: SVC1_ID } }),
  prometheus3x({ route: { id: ROUTE1_ID } }),
  prometheus3x({ consumer: { id: 'd2965b9b-0608-4458-a9f8-0b93d88d03b8' } }),
];

/** `consumer`. */
export const consumer: Obj[] = [{ username: 'yolo', id: 'd2965b9b-0608-4458-a9f8-0b93d88d03b8' }];

/** `upstream_pre311` (Kong 3.1 to 3.10: `use_srv_name`, no sticky sessions). */
export const upstream_pre311: Obj[] = [
  {
    name: 'upstream1',
    algorithm: 'round-robin',
    slots: 10000,
    healthchecks: {
      threshold: 0,
      active: {
        concurrency: 10,
        healthy: { http_statuses: [200, 302], interval: 0, successes: 0 },
        http_path: '/',
        type: 'http',
        timeout: 1,
        https_verify_certificate: true,
        unhealthy: {
          http_failures: 0,
          tcp_failures: 0,
          timeouts: 0,
          interval: 0,
          http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
        },
      },
      passive: {
        healthy: {
          http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
          successes: 0,
        },
        type: 'http',
        unhealthy: { http_failures: 0, tcp_failures: 0, timeouts: 0, http_statuses: [429, 500, 503] },
      },
    },
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_cookie_path: '/',
    use_srv_name: false,
  },
];

/** `target`; decK's upstream id there is not a UUID, and ignored with every upstream id. */
export const target: Obj[] = [{ target: '198.51.100.11:80', upstream: { id: 'a6f89ffc-1e53-4b01-9d3d-7a142bcd' }, weight: 100 }];

/** `targetZeroWeight`. */
export const targetZeroWeight: Obj[] = [{ ...target[0], weight: 0 }];

/** `request-termination` with `status_code: 200`, as Test_Sync_PluginInstanceName expects it. */
export const requestTermination = (extra: Obj = {}): Obj => ({
  name: 'request-termination',
  protocols: ALL_PROTOCOLS,
  enabled: true,
  config: { status_code: 200, echo: false, content_type: null, body: null, message: null, trigger: null },
  ...extra,
});

/**
 * `rateLimitingPlugin`, which decK asserts on Kong 2.7 only, as Kong 3.4 fills it: 3.0 made
 * `policy` default to `local` (was `cluster`), and 3.4 has `redis_username`, `error_code`,
 * `error_message` and `sync_rate` besides decK's fields (kong/plugins/rate-limiting/schema.lua).
 */
export const rateLimitingPlugin34: Obj[] = [
  {
    name: 'rate-limiting',
    config: {
      day: null,
      fault_tolerant: true,
      header_name: null,
      hide_client_headers: false,
      hour: null,
      limit_by: 'consumer',
      minute: 123,
      month: null,
      path: null,
      policy: 'local',
      redis_database: 0,
      redis_host: null,
      redis_password: null,
      redis_port: 6379,
      redis_server_name: null,
      redis_ssl: false,
      redis_ssl_verify: false,
      redis_timeout: 2000,
      second: null,
      year: null,
      redis_username: null,
      error_code: 429,
      error_message: 'API rate limit exceeded',
      sync_rate: -1,
    },
    enabled: true,
    protocols: ALL_PROTOCOLS,
  },
];

/** `ignoreFieldsIrrelevantForIDsTests`: the ids-and-names cases compare ids and names only. */
export const ignoreFieldsIrrelevantForIDsTests = {
  plugins: ['config', 'protocols', 'enabled'],
  services: ['connect_timeout', 'enabled', 'host', 'port', 'protocol', 'read_timeout', 'write_timeout', 'retries'],
  routes: [
    'paths',
    'path_handling',
    'preserve_host',
    'protocols',
    'regex_priority',
    'strip_path',
    'https_redirect_status_code',
    'sources',
    'destinations',
    'request_buffering',
    'response_buffering',
  ],
} as const;
