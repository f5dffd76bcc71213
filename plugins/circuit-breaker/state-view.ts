/**
 * The JSON the state endpoint answers with (documented in docs/circuit-breaker.md; `kong-ctl
 * breakers` reads it). Times are ISO 8601 from the plugin's clock; durations in milliseconds.
 */
import type { BreakerView, CircuitState, Transition } from './breaker';
import type { Family, Entry } from './runtime';
import type { Scope } from './schema';

export const STATE_FORMAT_VERSION = 1;

export interface BreakerStateJson {
  /** `<scope>:<id>` or `service_host:<service id>|<host>`: unique within a config. */
  key: string;
  scope: Scope;
  service_id: string | null;
  route_id: string | null;
  host: string | null;
  /** The service's or route's name, when Kong gave it. */
  name: string | null;
  /** First 12 hex digits of the config hash: breakers of equal configs share it. */
  config_id: string;
  state: CircuitState;
  since: string;
  /** The last request this breaker saw (a breaker unused for long is forgotten). */
  last_request_at: string;
  /** Open only: when probes will be let through, and the Retry-After a refused request gets. */
  open_until: string | null;
  retry_after_seconds: number | null;
  open_duration_ms: number;
  failed_trials: number;
  window: {
    length_ms: number;
    calls: number;
    successes: number;
    failures: number;
    failure_percentage: number;
    minimum_requests: number;
    error_threshold_percentage: number;
  };
  /** Calls let through whose outcome Kong has not reported yet. */
  pending_calls: number;
  /** Requests answered 503 since the circuit last opened. */
  rejected: number;
  probes: { allowed: number; in_flight: number; succeeded: number } | null;
  last_transition: { from: CircuitState; to: CircuitState; at: string; reason: string } | null;
}

export interface StateJson {
  version: number;
  generated_at: string;
  /** The plugin server process: breakers are per Kong node, one such process per node. */
  pid: number;
  breakers: BreakerStateJson[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

function transitionJson(t: Transition | null): BreakerStateJson['last_transition'] {
  return t ? { from: t.from, to: t.to, at: iso(t.atMs), reason: t.reason } : null;
}

export function breakerJson(family: Family, entry: Entry, view: BreakerView, keyText: string): BreakerStateJson {
  const settings = entry.breaker.settings;
  return {
    key: keyText,
    scope: entry.key.scope,
    service_id: entry.key.serviceId ?? null,
    route_id: entry.key.routeId ?? null,
    host: entry.key.host ?? null,
    name: entry.key.name ?? null,
    config_id: family.id.slice(0, 12),
    state: view.state,
    since: iso(view.sinceMs),
    last_request_at: iso(entry.breaker.lastUsedAtMs),
    open_until: view.openUntilMs === null ? null : iso(view.openUntilMs),
    retry_after_seconds: view.retryAfterSeconds,
    open_duration_ms: view.openDurationMs,
    failed_trials: view.failedTrials,
    window: {
      length_ms: settings.windowMs,
      calls: view.window.fires,
      successes: view.window.successes,
      failures: view.window.failures,
      failure_percentage: view.window.failurePercentage,
      minimum_requests: settings.minimumRequests,
      error_threshold_percentage: settings.errorThresholdPercentage,
    },
    pending_calls: view.pendingCalls,
    rejected: view.rejectedSinceOpen,
    probes: view.probes ? { allowed: view.probes.allowed, in_flight: view.probes.inFlight, succeeded: view.probes.succeeded } : null,
    last_transition: transitionJson(view.lastTransition),
  };
}

export function stateJson(breakers: BreakerStateJson[], nowMs: number, pid: number): StateJson {
  const sorted = [...breakers].sort((a, b) => (a.key === b.key ? (a.config_id < b.config_id ? -1 : 1) : a.key < b.key ? -1 : 1));
  return { version: STATE_FORMAT_VERSION, generated_at: iso(nowMs), pid, breakers: sorted };
}
