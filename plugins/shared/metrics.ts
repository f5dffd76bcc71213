/**
 * The process's Prometheus registry (prom-client) and the metrics each plugin counts into it.
 * The plugin server serves the registry on `--metrics-port` (plugins/server/metrics-http.ts);
 * without that flag the counts still happen — a few hundred nanoseconds per counted outcome, no
 * PDK call, no I/O — and nobody reads them. docs/metrics.md lists every metric.
 *
 * One registry per process, on a global symbol (as lifecycle.ts keeps its hooks): a second copy
 * of this module (a plugin directory with its own node_modules) finds the same registry and the
 * same metrics. Metrics are created on first use, get-or-create by name, so a plugin server only
 * exposes the metrics of the plugin it runs.
 *
 * Labels are bounded: every label value comes from a fixed list below (checked against the
 * plugins' own types at compile time), except the circuit breakers' `breaker`, bounded by the
 * plugin's cap on breakers and re-read on every scrape (forgotten breakers leave).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FailureCode as JwtFailure } from '../jwt-claims/failures';
import type { ProblemCode } from '../idempotency/problems';
import type { FailureCode as WebhookFailure } from '../webhook-signature/failures';
import type { SchemeName } from '../webhook-signature/schema';
import type { CircuitState } from '../circuit-breaker/breaker';

export const METRIC_PREFIX = 'kong_js_';

const REGISTRY = Symbol.for('kong-ctl.plugins.metrics-registry');
const GROUPS = Symbol.for('kong-ctl.plugins.metrics-groups');

/** The registry of this process (created on first call). */
export function metricsRegistry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  return (g[REGISTRY] ??= new Registry());
}

/** A plugin's metrics, made once per process (a second module copy gets the first one's). */
function group<T>(name: string, create: () => T): T {
  const g = globalThis as { [GROUPS]?: Map<string, unknown> };
  const groups = (g[GROUPS] ??= new Map());
  let found = groups.get(name) as T | undefined;
  if (found === undefined) {
    found = create();
    groups.set(name, found);
  }
  return found;
}

interface Spec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** The metric `spec.name` of `registry`, created when missing (a second module copy reuses it). */
function getOrCreate<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export function counter<L extends string = never>(spec: Spec<L> & { collect?: (this: Counter<L>) => void }, registry = metricsRegistry()): Counter<L> {
  return getOrCreate(registry, spec.name, () => new Counter<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] }));
}

export function gauge<L extends string = never>(spec: Spec<L> & { collect?: (this: Gauge<L>) => void }, registry = metricsRegistry()): Gauge<L> {
  return getOrCreate(registry, spec.name, () => new Gauge<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] }));
}

export function histogram<L extends string = never>(spec: Spec<L> & { buckets: number[] }, registry = metricsRegistry()): Histogram<L> {
  return getOrCreate(registry, spec.name, () => new Histogram<L>({ ...spec, labelNames: spec.labelNames ?? [], registers: [registry] }));
}

/** `true` only when `Expected` and the listed values are the same set. */
type SameSet<Listed, Expected> = [Exclude<Expected, Listed>, Exclude<Listed, Expected>] extends [never, never] ? true : false;
type Exactly<T extends true> = T;

/** Series that exist from the start at 0: rate() and alerts see a plugin that never counted. */
function zero<L extends string>(metric: Counter<L>, combos: ReadonlyArray<Partial<Record<L, string>>>): void {
  for (const labels of combos) metric.inc(labels, 0);
}

// --------------------------------------------------------------------------- jwt-claims

export const JWT_REJECTION_REASONS = [
  'no_token',
  'multiple_tokens',
  'too_many_fields',
  'malformed',
  'algorithm',
  'unknown_issuer',
  'key_not_found',
  'keys_unavailable',
  'signature',
  'expired',
  'not_yet_valid',
  'too_old',
  'issued_in_future',
  'audience',
  'token_type',
  'missing_claim',
  'bad_claim',
  'rule',
  'no_consumer',
] as const;
export type JwtReasonsComplete = Exactly<SameSet<(typeof JWT_REJECTION_REASONS)[number], JwtFailure>>;

export interface JwtClaimsMetrics {
  accepted(): void;
  rejected(reason: JwtFailure): void;
  jwksRefresh(outcome: 'success' | 'failure'): void;
}

export function jwtClaimsMetrics(): JwtClaimsMetrics {
  return group('jwt-claims', createJwtClaimsMetrics);
}

function createJwtClaimsMetrics(): JwtClaimsMetrics {
  const accepted = counter({ name: `${METRIC_PREFIX}jwt_claims_accepted_total`, help: 'Requests jwt-claims let through (token verified, claims and rules passed)' });
  const rejections = counter({ name: `${METRIC_PREFIX}jwt_claims_rejections_total`, help: 'Requests jwt-claims refused, by reason', labelNames: ['reason'] });
  const refreshes = counter({ name: `${METRIC_PREFIX}jwt_claims_jwks_refreshes_total`, help: 'JWKS fetches (first fetch, background refresh, unknown kid), by outcome', labelNames: ['outcome'] });
  zero(rejections, JWT_REJECTION_REASONS.map((reason) => ({ reason })));
  zero(refreshes, [{ outcome: 'success' }, { outcome: 'failure' }]);
  return {
    accepted: () => accepted.inc(),
    rejected: (reason) => rejections.inc({ reason }),
    jwksRefresh: (outcome) => refreshes.inc({ outcome }),
  };
}

// --------------------------------------------------------------------------- idempotency

/** The 409 and 422 answers: another request holds the key, or the key came with another request. */
const IDEMPOTENCY_CONFLICTS: Partial<Record<ProblemCode, '409' | '422'>> = { request_outstanding: '409', key_reused: '422' };
export const IDEMPOTENCY_REJECTION_REASONS = ['key_missing', 'key_malformed', 'key_too_long', 'body_too_large', 'body_length_unknown', 'too_many_headers', 'client_header_repeated', 'store_unavailable'] as const;
export type IdempotencyReasonsComplete = Exactly<SameSet<(typeof IDEMPOTENCY_REJECTION_REASONS)[number] | 'request_outstanding' | 'key_reused', ProblemCode>>;
export type IdempotencyStoreOperation = 'claim' | 'complete' | 'release';

export interface IdempotencyMetrics {
  replayed(): void;
  /** Every refusal: 409/422 count as conflicts, the others as rejections by reason. */
  problem(code: ProblemCode): void;
  storeError(operation: IdempotencyStoreOperation): void;
}

export function idempotencyMetrics(): IdempotencyMetrics {
  return group('idempotency', createIdempotencyMetrics);
}

function createIdempotencyMetrics(): IdempotencyMetrics {
  const replays = counter({ name: `${METRIC_PREFIX}idempotency_replays_total`, help: 'Stored responses replayed for a repeated Idempotency-Key' });
  const conflicts = counter({ name: `${METRIC_PREFIX}idempotency_conflicts_total`, help: 'Requests refused because of their key: 409 (first request still in flight), 422 (key used with another request)', labelNames: ['status'] });
  const rejections = counter({ name: `${METRIC_PREFIX}idempotency_rejections_total`, help: 'Other requests idempotency refused (400, 411, 413, 503), by reason', labelNames: ['reason'] });
  const storeErrors = counter({ name: `${METRIC_PREFIX}idempotency_store_errors_total`, help: 'Store operations that failed (store unavailable), by operation', labelNames: ['operation'] });
  zero(conflicts, [{ status: '409' }, { status: '422' }]);
  zero(rejections, IDEMPOTENCY_REJECTION_REASONS.map((reason) => ({ reason })));
  zero(storeErrors, [{ operation: 'claim' }, { operation: 'complete' }, { operation: 'release' }]);
  return {
    replayed: () => replays.inc(),
    problem: (code) => {
      const status = IDEMPOTENCY_CONFLICTS[code];
      if (status) conflicts.inc({ status });
      else rejections.inc({ reason: code });
    },
    storeError: (operation) => storeErrors.inc({ operation }),
  };
}

// --------------------------------------------------------------------------- webhook-signature

export const WEBHOOK_SCHEMES = ['standard-webhooks', 'stripe', 'github', 'slack', 'shopify', 'custom'] as const;
export type WebhookSchemesComplete = Exactly<SameSet<(typeof WEBHOOK_SCHEMES)[number], SchemeName>>;
export const WEBHOOK_REJECTION_REASONS = [
  'missing_header',
  'malformed_header',
  'too_many_headers',
  'timestamp_too_old',
  'timestamp_too_new',
  'no_supported_signature',
  'signature_mismatch',
  'body_too_large',
  'missing_event_id',
  'in_flight',
  'store_unavailable',
] as const;
export type WebhookReasonsComplete = Exactly<SameSet<(typeof WEBHOOK_REJECTION_REASONS)[number] | 'duplicate', WebhookFailure>>;

export interface WebhookMetrics {
  /** The signature (and timestamp) checked out: an authentic delivery, duplicate or not. */
  verified(scheme: SchemeName): void;
  /** Every refusal; `duplicate` (answered 200, not forwarded) counts as a duplicate. */
  refused(scheme: SchemeName, code: WebhookFailure): void;
}

export function webhookMetrics(): WebhookMetrics {
  return group('webhook-signature', createWebhookMetrics);
}

function createWebhookMetrics(): WebhookMetrics {
  const verified = counter({ name: `${METRIC_PREFIX}webhook_verified_total`, help: 'Webhook deliveries whose signature verified, by scheme (duplicates included)', labelNames: ['scheme'] });
  const rejected = counter({ name: `${METRIC_PREFIX}webhook_rejected_total`, help: 'Webhook deliveries refused, by scheme and reason (duplicates not included)', labelNames: ['scheme', 'reason'] });
  const duplicates = counter({ name: `${METRIC_PREFIX}webhook_duplicates_total`, help: 'Verified deliveries of an event id already processed (answered 200, not forwarded), by scheme', labelNames: ['scheme'] });
  zero(verified, WEBHOOK_SCHEMES.map((scheme) => ({ scheme })));
  zero(duplicates, WEBHOOK_SCHEMES.map((scheme) => ({ scheme })));
  zero(rejected, WEBHOOK_SCHEMES.flatMap((scheme) => WEBHOOK_REJECTION_REASONS.map((reason) => ({ scheme, reason }))));
  return {
    verified: (scheme) => verified.inc({ scheme }),
    refused: (scheme, code) => (code === 'duplicate' ? duplicates.inc({ scheme }) : rejected.inc({ scheme, reason: code })),
  };
}

// --------------------------------------------------------------------------- circuit-breaker

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitStatesComplete = Exactly<SameSet<(typeof CIRCUIT_STATES)[number], CircuitState>>;
/** The transitions a breaker makes (breaker.ts). */
const CIRCUIT_TRANSITIONS: ReadonlyArray<{ from: CircuitState; to: CircuitState }> = [
  { from: 'closed', to: 'open' },
  { from: 'open', to: 'half_open' },
  { from: 'half_open', to: 'open' },
  { from: 'half_open', to: 'closed' },
];

/** One breaker as the state gauge shows it. */
export interface BreakerSample {
  /** The breaker's key within its config (`service:<id>`, `route:<id>`, `service_host:<id>|<host>`). */
  breaker: string;
  /** The service's or route's name, '' when Kong gave none. */
  name: string;
  /** First 12 hex digits of the config hash (as the state endpoint's `config_id`). */
  config: string;
  state: CircuitState;
}

export interface CircuitBreakerMetrics {
  /** Where the state gauge reads the breakers at scrape time (the plugin's own registry). */
  trackBreakers(list: () => Iterable<BreakerSample>): void;
  /** Counts the transitions and hands them back (for the caller to log). */
  transitions<T extends { from: CircuitState; to: CircuitState }>(drained: T[]): T[];
  rejected(state: 'open' | 'half_open'): void;
}

export function circuitBreakerMetrics(): CircuitBreakerMetrics {
  return group('circuit-breaker', createCircuitBreakerMetrics);
}

function createCircuitBreakerMetrics(): CircuitBreakerMetrics {
  let list: () => Iterable<BreakerSample> = () => [];
  gauge({
    name: `${METRIC_PREFIX}circuit_breaker_state`,
    help: 'Circuit state per breaker: 1 for the state it is in, 0 for the others (an open circuit past its open duration shows half_open)',
    labelNames: ['breaker', 'name', 'config', 'state'],
    collect() {
      this.reset();
      let samples: Iterable<BreakerSample>;
      try {
        samples = list();
      } catch {
        return; // an unreadable plugin clock: no breaker shown rather than a failed scrape
      }
      for (const s of samples) {
        for (const state of CIRCUIT_STATES) this.set({ breaker: s.breaker, name: s.name, config: s.config, state }, s.state === state ? 1 : 0);
      }
    },
  });
  const transitions = counter({ name: `${METRIC_PREFIX}circuit_breaker_transitions_total`, help: 'Circuit state changes of all breakers, by from and to state', labelNames: ['from', 'to'] });
  const rejections = counter({ name: `${METRIC_PREFIX}circuit_breaker_rejections_total`, help: 'Requests answered 503 by an open or half-open circuit, by state', labelNames: ['state'] });
  zero(transitions, CIRCUIT_TRANSITIONS);
  zero(rejections, [{ state: 'open' }, { state: 'half_open' }]);
  return {
    trackBreakers: (source) => {
      list = source;
    },
    transitions: (drained) => {
      for (const t of drained) transitions.inc({ from: t.from, to: t.to });
      return drained;
    },
    rejected: (state) => rejections.inc({ state }),
  };
}
