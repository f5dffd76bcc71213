/**
 * One service `orders` with route `orders-api` carrying jwt-claims, with or without kong-ctl's
 * fail-closed guard: as a decK file and as Kong 3.4.2 returns it from the Admin API. Shared by the
 * tests of the guard in plans (desired/guard.test.ts) and of the order Kong receives its writes in
 * (apply/fail-closed-order.test.ts), which must describe the very same gateway.
 */
import type { RawKongState } from '../../../cli/src/current/fetch';

export const ORDERS_IDS = {
  service: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f',
  route: 'a709b6a1-f146-4c8b-afe6-d55f3f996641',
  jwt: '1b0b5a0e-3f0e-4c57-9d0e-2a4f3e1c7a12',
  guard: '0b0b5a0e-3f0e-4c57-9d0e-2a4f3e1c7a11',
};

const ISSUERS = [{ issuer: 'https://idp.example.com/', jwks_uri: 'https://idp.example.com/.well-known/jwks.json', audiences: ['orders-api'] }];

/** The decK file's lines, `_info.fail_closed_guard: true` when `guardOn`. */
export function ordersJwtFile(guardOn: boolean): string[] {
  return [
    '_format_version: "3.0"',
    ...(guardOn ? ['_info:', '  fail_closed_guard: true'] : []),
    'services:',
    '  - name: orders',
    '    host: orders.internal',
    '    routes:',
    '      - name: orders-api',
    '        paths: [/orders]',
    '        plugins:',
    '          - name: jwt-claims',
    '            config:',
    '              issuers:',
    '                - issuer: https://idp.example.com/',
    '                  jwks_uri: https://idp.example.com/.well-known/jwks.json',
    '                  audiences: [orders-api]',
  ];
}

/**
 * The live state: jwt-claims with `mark_passed` as given, and, when `guardConfig` is given, the
 * guard's post-function on the same route with that config.
 */
export function ordersJwtLive(markPassed: boolean, guardConfig?: Record<string, unknown>): RawKongState {
  const plugin = (id: string, name: string, config: Record<string, unknown>) => ({ id, name, config, route: { id: ORDERS_IDS.route }, service: null, consumer: null, enabled: true, protocols: ['grpc', 'grpcs', 'http', 'https'], instance_name: null, tags: null, created_at: 1795466991, updated_at: 1795466991 });
  return {
    service: [{ id: ORDERS_IDS.service, name: 'orders', host: 'orders.internal', port: 80, protocol: 'http', path: null, retries: 5, connect_timeout: 60000, read_timeout: 60000, write_timeout: 60000, enabled: true, tags: null, client_certificate: null, ca_certificates: null, tls_verify: null, tls_verify_depth: null, created_at: 1795466991, updated_at: 1795466991 }],
    route: [{ id: ORDERS_IDS.route, name: 'orders-api', paths: ['/orders'], service: { id: ORDERS_IDS.service }, protocols: ['http', 'https'], methods: null, hosts: null, headers: null, snis: null, sources: null, destinations: null, strip_path: true, preserve_host: false, request_buffering: true, response_buffering: true, regex_priority: 0, path_handling: 'v0', https_redirect_status_code: 426, tags: null, created_at: 1795466991, updated_at: 1795466991 }],
    plugin: [
      plugin(ORDERS_IDS.jwt, 'jwt-claims', { issuers: ISSUERS, mark_passed: markPassed }),
      ...(guardConfig ? [plugin(ORDERS_IDS.guard, 'post-function', guardConfig)] : []),
    ],
  } as unknown as RawKongState;
}
