/**
 * jwt-claims: verifies JWTs (JWKS or PEM keys per issuer, asymmetric algorithms only), checks
 * claims and claim rules, forwards claims to the upstream as headers. The module shape
 * kong-pdk's plugin server loads (lib/mod.js).
 */
export { Plugin } from './handler';
export { Schema } from './schema';
export type { Config } from './schema';
export { Name, Version, Priority } from './meta';
