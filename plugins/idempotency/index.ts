/**
 * idempotency: the IETF Idempotency-Key header for POST/PATCH (configurable) — the first request
 * is proxied and its response stored; a retry with the same key and payload gets that response
 * replayed (`Idempotent-Replayed: true`) without reaching the upstream; a different payload gets
 * 422, a retry while the first is in flight 409. Keys are scoped per route and client. State in
 * memory (one node) or Redis (all nodes). The module shape kong-pdk's plugin server loads.
 */
export { Plugin } from './handler';
export { Schema } from './schema';
export type { Config } from './schema';
export { Name, Version, Priority } from './meta';
