/**
 * This project's plugins, for the tools that must know them without running Kong:
 * `kong-ctl validate` checks their configs offline against the very `Schema` Kong gets
 * from the plugin server, then with the very `compileConfig` each plugin runs on its config
 * (one source of truth: what the plugin would refuse with a 500 on every request, validate
 * reports at file:line). Each plugin adds its module here. Only schema, metadata and config
 * modules are imported (no store client, no handler), so the CLI stays light.
 */
import * as jwtClaims from './jwt-claims/meta';
import { Schema as jwtClaimsSchema } from './jwt-claims/schema';
import { compileConfig as jwtClaimsConfig, configWarnings as jwtClaimsWarnings } from './jwt-claims/config';
import * as idempotency from './idempotency/meta';
import { Schema as idempotencySchema } from './idempotency/schema';
import { compileConfig as idempotencyConfig } from './idempotency/config';
import * as webhookSignature from './webhook-signature/meta';
import { Schema as webhookSignatureSchema } from './webhook-signature/schema';
import { compileConfig as webhookSignatureConfig } from './webhook-signature/config';
import * as circuitBreaker from './circuit-breaker/meta';
import { Schema as circuitBreakerSchema } from './circuit-breaker/schema';
import { compileConfig as circuitBreakerConfig } from './circuit-breaker/config';

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

/** A project plugin as the CLI knows it: its module info and its own config check. */
export interface ProjectPlugin extends PluginModuleInfo {
  /**
   * What the plugin finds wrong with a config its Schema accepts (checks across fields, PEM keys,
   * regexes, secrets…), as `path: message` lines; empty when the plugin would run with it.
   */
  configProblems(config: unknown): string[];
  /** What the plugin runs with but an operator should know, in the same form. */
  configWarnings?(config: unknown): string[];
}

const problemsOf = (compile: (raw: unknown) => { ok: true } | { ok: false; errors: string[] }) => (config: unknown): string[] => {
  const compiled = compile(config);
  return compiled.ok ? [] : compiled.errors;
};

export const PROJECT_PLUGINS: ProjectPlugin[] = [
  { Name: jwtClaims.Name, Version: jwtClaims.Version, Priority: jwtClaims.Priority, Schema: jwtClaimsSchema, configProblems: problemsOf(jwtClaimsConfig), configWarnings: jwtClaimsWarnings },
  { Name: idempotency.Name, Version: idempotency.Version, Priority: idempotency.Priority, Schema: idempotencySchema, configProblems: problemsOf(idempotencyConfig) },
  {
    Name: webhookSignature.Name,
    Version: webhookSignature.Version,
    Priority: webhookSignature.Priority,
    Schema: webhookSignatureSchema,
    configProblems: problemsOf(webhookSignatureConfig),
  },
  { Name: circuitBreaker.Name, Version: circuitBreaker.Version, Priority: circuitBreaker.Priority, Schema: circuitBreakerSchema, configProblems: problemsOf(circuitBreakerConfig) },
];
