/**
 * webhook-signature: verifies signed webhook deliveries (Standard Webhooks, Stripe, GitHub, Slack,
 * Shopify or a custom HMAC scheme) over the raw body, with several secrets for rotation, a
 * two-sided timestamp tolerance and optional de-duplication by event id (memory or Redis).
 * The module shape kong-pdk's plugin server loads (lib/mod.js).
 */
export { Plugin } from './handler';
export { Schema } from './schema';
export type { Config } from './schema';
export { Name, Version, Priority } from './meta';
