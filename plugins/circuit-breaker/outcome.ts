/**
 * What a request tells the breaker, judged from `kong.log.serialize()` in the log phase:
 * - `tries` empty: Kong never picked an upstream target — the request was short-circuited in
 *   access (by this breaker, an auth plugin, request-termination…) or failed inside Kong before
 *   proxying. The upstream was not called: no outcome.
 * - otherwise the status Kong answered with: a failure when it falls in `failure_status_ranges`;
 *   Kong's own answers to an upstream failure (502 connection, 504 timeout, `source = "error"`)
 *   are failures even outside the ranges — only then is `kong.response.getSource()` asked, to
 *   tell them from an upstream that answered 502/504 itself;
 * - a call slower than `slow_call_threshold_ms` (`latencies.proxy`) is a failure too.
 */
import type { CompiledConfig } from './config';

export type FailureReason = 'status' | 'error' | 'slow';

export type Outcome =
  | { kind: 'none' }
  | { kind: 'success' }
  | { kind: 'failure'; reason: FailureReason; detail: string };

/** The serializer's answer is not enough: Kong must say whether it produced the status itself. */
export interface NeedsSource {
  kind: 'needs_source';
}

/** Statuses Kong answers with when the upstream failed (kong/error_handlers.lua, nginx proxy module). */
const KONG_UPSTREAM_ERROR_STATUSES = new Set([502, 504]);

export function inRanges(status: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  return ranges.some(([from, to]) => status >= from && status <= to);
}

function reachedUpstream(tries: unknown): boolean {
  if (Array.isArray(tries)) return tries.length > 0;
  // cjson encodes an empty Lua table as {}; a non-empty tries table is always an array
  return false;
}

function numberField(record: unknown, field: string): number | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const v = (record as Record<string, unknown>)[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The outcome of a request from its serialized log data; `source` is what
 * `kong.response.getSource()` answered, when asked (only after a `needs_source`).
 */
export function judge(data: Record<string, unknown>, config: CompiledConfig, source?: string): Outcome | NeedsSource {
  if (!reachedUpstream(data.tries)) return { kind: 'none' };
  const status = numberField(data.response, 'status');
  if (status === undefined) return { kind: 'none' };
  if (inRanges(status, config.failureRanges)) return { kind: 'failure', reason: 'status', detail: `status ${status}` };
  if (KONG_UPSTREAM_ERROR_STATUSES.has(status)) {
    if (source === undefined) return { kind: 'needs_source' };
    if (source === 'error') return { kind: 'failure', reason: 'error', detail: `upstream ${status === 504 ? 'timeout' : 'connection error'} (${status})` };
  }
  const latency = numberField(data.latencies, 'proxy');
  if (config.slowCallThresholdMs !== null && latency !== undefined && latency > config.slowCallThresholdMs) {
    return { kind: 'failure', reason: 'slow', detail: `slow call (${Math.round(latency)} ms)` };
  }
  return { kind: 'success' };
}
