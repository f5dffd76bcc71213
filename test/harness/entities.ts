/**
 * The Kong entities a request sees, shaped as Kong hands them to plugins: the router's cached
 * entities without their null fields (`kong.router.get_route()` in
 * test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl has no `hosts`, `methods`, `tags`...), with the
 * defaults of Kong's schemas (kong/db/schema/entities/{services,routes,consumers}.lua) and the
 * default workspace id.
 */
import { randomUUID } from 'node:crypto';

export interface EntityRef {
  id: string;
}

export interface KongService {
  id: string;
  name?: string;
  protocol: 'http' | 'https';
  host: string;
  port: number;
  path?: string;
  retries: number;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  enabled: boolean;
  created_at: number;
  updated_at: number;
  ws_id: string;
  [field: string]: unknown;
}

export interface KongRoute {
  id: string;
  name?: string;
  paths?: string[];
  methods?: string[];
  hosts?: string[];
  protocols: string[];
  strip_path: boolean;
  preserve_host: boolean;
  path_handling: 'v0' | 'v1';
  regex_priority: number;
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  service?: EntityRef;
  created_at: number;
  updated_at: number;
  ws_id: string;
  [field: string]: unknown;
}

export interface KongConsumer {
  id: string;
  username?: string;
  custom_id?: string;
  created_at: number;
  updated_at?: number;
  [field: string]: unknown;
}

/** A credential as `kong.client.get_credential()` returns it (a key-auth one carries `key`). */
export interface KongCredential {
  id: string;
  consumer: EntityRef;
  created_at: number;
  key?: string;
  [field: string]: unknown;
}

/** A plugin entity (kong/db/schema/entities/plugins.lua); `config` is the plugin's own record. */
export interface KongPluginEntity {
  id: string;
  name: string;
  config: Record<string, unknown>;
  route?: EntityRef | null;
  service?: EntityRef | null;
  consumer?: EntityRef | null;
  enabled: boolean;
  protocols: string[];
  created_at: number;
  ws_id: string;
}

/** One default workspace per process, like a fresh Kong database. */
export const DEFAULT_WS_ID = randomUUID();

const now = (): number => Math.floor(Date.now() / 1000);

export function kongService(init: Partial<KongService> & { host: string; port: number }): KongService {
  const t = now();
  return {
    id: randomUUID(),
    protocol: 'http',
    path: undefined,
    retries: 5,
    connect_timeout: 60000,
    write_timeout: 60000,
    read_timeout: 60000,
    enabled: true,
    created_at: t,
    updated_at: t,
    ws_id: DEFAULT_WS_ID,
    ...init,
  };
}

export function kongRoute(init: Partial<KongRoute>): KongRoute {
  const t = now();
  return {
    id: randomUUID(),
    protocols: ['http', 'https'],
    strip_path: true,
    preserve_host: false,
    path_handling: 'v0',
    regex_priority: 0,
    https_redirect_status_code: 426,
    request_buffering: true,
    response_buffering: true,
    created_at: t,
    updated_at: t,
    ws_id: DEFAULT_WS_ID,
    ...init,
  };
}

export function kongConsumer(init: Partial<KongConsumer> = {}): KongConsumer {
  const t = now();
  return { id: randomUUID(), created_at: t, updated_at: t, ...init };
}

/** A key-auth credential as Kong's cache returns it (no ws_id, no null ttl/tags). */
export function keyAuthCredential(init: Partial<KongCredential> & { consumer: EntityRef; key: string }): KongCredential {
  return { id: randomUUID(), created_at: now(), ...init };
}

/** Drops undefined/null fields, as the router's entities have none. */
export function withoutNulls<T extends object>(entity: T): T {
  const out: Record<string, unknown> = {};
  const source = entity as Record<string, unknown>;
  for (const k of Object.keys(source)) {
    const v = source[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out as T;
}
