/**
 * circuit-breaker: breaks the circuit per upstream service (or route, or service + host), node-wide,
 * on opossum: while the upstream fails or slows down, requests get 503 with Retry-After at once
 * instead of piling up on it; after the open duration a few probe requests test it and the circuit
 * closes by itself. The module shape kong-pdk's plugin server loads (lib/mod.js).
 */
export { Plugin } from './handler';
export { Schema } from './schema';
export type { Config } from './schema';
export { Name, Version, Priority } from './meta';
