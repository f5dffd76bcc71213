/**
 * This project's plugins, for the tools that must know them without running Kong:
 * `kong-ctl validate` checks their configs offline against the very `Schema` Kong gets
 * from the plugin server (one source of truth). Each plugin adds its module here.
 * Only schema and metadata modules are imported, so the CLI never loads a plugin's handler.
 */
import * as jwtClaims from './jwt-claims/meta';
import { Schema as jwtClaimsSchema } from './jwt-claims/schema';
import * as idempotency from './idempotency/meta';
import { Schema as idempotencySchema } from './idempotency/schema';
import * as webhookSignature from './webhook-signature/meta';
import { Schema as webhookSignatureSchema } from './webhook-signature/schema';
import * as circuitBreaker from './circuit-breaker/meta';
import { Schema as circuitBreakerSchema } from './circuit-breaker/schema';

/** A field of Kong's schema format, as a plugin's `Schema` lists it. */
export interface PluginSchemaField {
  type: string;
  [constraint: string]: unknown;
}

/** What every plugin module exports to kong-pdk's plugin server. */
export interface PluginModuleInfo {
  Name: string;
  Version: string;
  Priority: number;
  /** Kong's schema format: the fields of the plugin's `config` record. */
  Schema: Array<Record<string, PluginSchemaField>>;
}

export const PROJECT_PLUGINS: PluginModuleInfo[] = [
  { Name: jwtClaims.Name, Version: jwtClaims.Version, Priority: jwtClaims.Priority, Schema: jwtClaimsSchema },
  { Name: idempotency.Name, Version: idempotency.Version, Priority: idempotency.Priority, Schema: idempotencySchema },
  { Name: webhookSignature.Name, Version: webhookSignature.Version, Priority: webhookSignature.Priority, Schema: webhookSignatureSchema },
  { Name: circuitBreaker.Name, Version: circuitBreaker.Version, Priority: circuitBreaker.Priority, Schema: circuitBreakerSchema },
];
