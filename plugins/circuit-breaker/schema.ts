/**
 * circuit-breaker config, in Kong's schema format (validated by Kong on every Admin API write and
 * by `kong-ctl validate` offline) and as the TypeScript type the handler reads after defaults.
 * What Kong's format cannot express (a range's `from` <= `to`, the cap >= the open duration, the
 * window split into buckets) is checked when an instance starts (config.ts).
 */
import type { KongFieldList } from '../shared/kong-schema';

export const SCOPES = ['service', 'route', 'service_host'] as const;
export type Scope = (typeof SCOPES)[number];

export interface StatusRange {
  from: number;
  to: number;
}

export interface Config {
  scope: Scope;
  failure_status_ranges: StatusRange[];
  error_threshold_percentage: number;
  minimum_requests: number;
  window_ms: number;
  window_buckets: number;
  slow_call_threshold_ms: number | null;
  open_duration_ms: number;
  open_duration_multiplier: number;
  max_open_duration_ms: number;
  half_open_probes: number;
  pending_timeout_ms: number;
  state_endpoint: boolean;
}

const DAY_MS = 86_400_000;

const status = (description: string) => ({
  type: 'integer' as const,
  required: true,
  between: [100, 599] as [number, number],
  description,
});

export const Schema: KongFieldList = [
  {
    scope: {
      type: 'string',
      one_of: [...SCOPES],
      default: 'service',
      description:
        'What one breaker covers: `service` (every route of the Service), `route`, or `service_host` (the Service and the Host the client asked for: one breaker per virtual host of a multi-tenant upstream).',
    },
  },
  {
    failure_status_ranges: {
      type: 'array',
      default: [
        { from: 429, to: 429 },
        { from: 500, to: 599 },
      ],
      description:
        "Response statuses that count as a failed call, when Kong reached the upstream. Kong's own answers to upstream failures are 502 (connection refused or reset, invalid response) and 504 (timeout); those count even when left out of these ranges.",
      elements: {
        type: 'record',
        fields: [{ from: status('First status of the range.') }, { to: status('Last status of the range (inclusive).') }],
      },
    },
  },
  {
    error_threshold_percentage: {
      type: 'integer',
      between: [0, 99],
      default: 50,
      description: 'The circuit opens when the percentage of failed calls in the window EXCEEDS this value.',
    },
  },
  {
    minimum_requests: {
      type: 'integer',
      between: [1, 1000000],
      default: 20,
      description: 'Calls the window must hold before the circuit may open, whatever the failure percentage.',
    },
  },
  {
    window_ms: {
      type: 'integer',
      between: [100, DAY_MS],
      default: 10000,
      description: 'Length of the rolling window the failure percentage is computed over, in milliseconds.',
    },
  },
  {
    window_buckets: {
      type: 'integer',
      between: [1, 1000],
      default: 10,
      description: 'Slices of the rolling window: the window moves by `window_ms / window_buckets` at a time.',
    },
  },
  {
    slow_call_threshold_ms: {
      type: 'integer',
      between: [1, DAY_MS],
      default: null,
      description: "If set, a call whose upstream latency (Kong's `latencies.proxy`) exceeds this many milliseconds counts as failed.",
    },
  },
  {
    open_duration_ms: {
      type: 'integer',
      between: [10, DAY_MS],
      default: 30000,
      description: 'How long the circuit stays open (503 at once) before probe requests are let through, in milliseconds.',
    },
  },
  {
    open_duration_multiplier: {
      type: 'number',
      between: [1, 100],
      default: 1,
      description:
        'Each failed half-open trial multiplies the open duration by this (1: no growth), up to `max_open_duration_ms`. A closed circuit starts again from `open_duration_ms`.',
    },
  },
  {
    max_open_duration_ms: {
      type: 'integer',
      between: [10, DAY_MS],
      default: 600000,
      description: 'Cap of the open duration when it grows, in milliseconds (at least `open_duration_ms`).',
    },
  },
  {
    half_open_probes: {
      type: 'integer',
      between: [1, 1000],
      default: 1,
      description:
        'Requests let through while half-open. The circuit closes when all of them succeed and opens again at the first failure; other requests get 503 meanwhile.',
    },
  },
  {
    pending_timeout_ms: {
      type: 'integer',
      between: [1000, DAY_MS],
      default: 300000,
      description:
        "How long a let-through request's outcome is awaited (Kong reports it in the log phase). Past it the call is dropped from the counts, neither success nor failure. Keep it above the Service's timeouts.",
    },
  },
  {
    state_endpoint: {
      type: 'boolean',
      default: false,
      description:
        "If true, this plugin instance breaks no circuit: it answers every request of its route with the JSON state of every breaker of this Kong node. Put it on a dedicated route protected by key-auth and acl (or ip-restriction).",
    },
  },
];
