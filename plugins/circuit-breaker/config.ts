/**
 * From the config Kong sends to what the breaker uses: defaults applied, then what Kong's schema
 * format cannot check. Problems come back as messages; an instance with an unusable config breaks
 * no circuit (requests pass, the problem is logged): see handler.ts on failing open.
 */
import { applySchemaDefaults } from '../shared/schema-defaults';
import { Schema, SCOPES, type Config, type Scope } from './schema';

export interface CompiledConfig {
  scope: Scope;
  /** Inclusive [from, to] status ranges. */
  failureRanges: Array<[number, number]>;
  errorThresholdPercentage: number;
  minimumRequests: number;
  windowMs: number;
  windowBuckets: number;
  slowCallThresholdMs: number | null;
  openDurationMs: number;
  openDurationMultiplier: number;
  maxOpenDurationMs: number;
  halfOpenProbes: number;
  pendingTimeoutMs: number;
  stateEndpoint: boolean;
}

export type CompileResult = { ok: true; config: CompiledConfig } | { ok: false; errors: string[] };

/** The config with the schema's defaults filled in (Kong sends them; a harness may not). */
export function withDefaults(raw: unknown): Record<string, unknown> {
  const input = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  return applySchemaDefaults(Schema, input);
}

function integerIn(errors: string[], name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    errors.push(`${name}: must be an integer between ${min} and ${max}`);
    return min;
  }
  return value;
}

function compileRanges(errors: string[], value: unknown): Array<[number, number]> {
  if (!Array.isArray(value)) {
    errors.push('failure_status_ranges: must be an array');
    return [];
  }
  return value.map((range, i) => {
    const r = (range ?? {}) as Partial<Record<'from' | 'to', unknown>>;
    const from = integerIn(errors, `failure_status_ranges[${i}].from`, r.from, 100, 599);
    const to = integerIn(errors, `failure_status_ranges[${i}].to`, r.to, 100, 599);
    if (from > to) errors.push(`failure_status_ranges[${i}]: from (${from}) is greater than to (${to})`);
    return [from, to] as [number, number];
  });
}

export function compileConfig(raw: unknown): CompileResult {
  const c = withDefaults(raw) as unknown as Config;
  const errors: string[] = [];
  const scope = (SCOPES as readonly unknown[]).includes(c.scope) ? c.scope : undefined;
  if (!scope) errors.push(`scope: must be one of ${SCOPES.join(', ')}`);

  const failureRanges = compileRanges(errors, c.failure_status_ranges);
  const errorThresholdPercentage = integerIn(errors, 'error_threshold_percentage', c.error_threshold_percentage, 0, 99);
  const minimumRequests = integerIn(errors, 'minimum_requests', c.minimum_requests, 1, 1_000_000);
  const windowMs = integerIn(errors, 'window_ms', c.window_ms, 100, 86_400_000);
  const windowBuckets = integerIn(errors, 'window_buckets', c.window_buckets, 1, 1000);
  if (windowMs < windowBuckets * 10) errors.push(`window_ms: ${windowMs} ms cannot hold ${windowBuckets} buckets of at least 10 ms`);
  const slowCallThresholdMs =
    c.slow_call_threshold_ms === null || c.slow_call_threshold_ms === undefined
      ? null
      : integerIn(errors, 'slow_call_threshold_ms', c.slow_call_threshold_ms, 1, 86_400_000);
  const openDurationMs = integerIn(errors, 'open_duration_ms', c.open_duration_ms, 10, 86_400_000);
  const multiplier = c.open_duration_multiplier;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1 || multiplier > 100) {
    errors.push('open_duration_multiplier: must be a number between 1 and 100');
  }
  const maxOpenDurationMs = integerIn(errors, 'max_open_duration_ms', c.max_open_duration_ms, 10, 86_400_000);
  if (maxOpenDurationMs < openDurationMs) {
    errors.push(`max_open_duration_ms: ${maxOpenDurationMs} is less than open_duration_ms (${openDurationMs})`);
  }
  const halfOpenProbes = integerIn(errors, 'half_open_probes', c.half_open_probes, 1, 1000);
  const pendingTimeoutMs = integerIn(errors, 'pending_timeout_ms', c.pending_timeout_ms, 1000, 86_400_000);
  if (typeof c.state_endpoint !== 'boolean') errors.push('state_endpoint: must be a boolean');

  if (errors.length > 0 || !scope) return { ok: false, errors };
  return {
    ok: true,
    config: {
      scope,
      failureRanges,
      errorThresholdPercentage,
      minimumRequests,
      windowMs,
      windowBuckets,
      slowCallThresholdMs,
      openDurationMs,
      openDurationMultiplier: multiplier,
      maxOpenDurationMs,
      halfOpenProbes,
      pendingTimeoutMs,
      stateEndpoint: c.state_endpoint,
    },
  };
}
