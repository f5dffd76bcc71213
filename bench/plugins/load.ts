/** A closed-loop load generator over KongSim: N workers, each sending its next request as soon
 *  as the previous one is answered, for a fixed time. */
import { performance } from 'node:perf_hooks';
import type { KongSim, SimRequest, SimResult } from '../../test/harness';

export interface Sample {
  requests: number;
  elapsedMs: number;
  /** Per-request latency through KongSim, ms. */
  latencies: number[];
  /** PDK calls in access, summed over requests. */
  pdkCalls: number;
  /** PDK calls in every phase (access, response, log), summed over requests. */
  pdkCallsAll: number;
  /** RPC round trips to plugin servers (HandleEvent + Steps), summed over requests. */
  roundTrips: number;
  unexpected: number;
}

export function emptySample(): Sample {
  return { requests: 0, elapsedMs: 0, latencies: [], pdkCalls: 0, pdkCallsAll: 0, roundTrips: 0, unexpected: 0 };
}

export function merge(into: Sample, more: Sample): Sample {
  into.requests += more.requests;
  into.elapsedMs += more.elapsedMs;
  for (const l of more.latencies) into.latencies.push(l);
  into.pdkCalls += more.pdkCalls;
  into.pdkCallsAll += more.pdkCallsAll;
  into.roundTrips += more.roundTrips;
  into.unexpected += more.unexpected;
  return into;
}

function account(sample: Sample, result: SimResult, expected: (result: SimResult) => boolean): void {
  sample.requests += 1;
  sample.pdkCalls += result.calls.filter((c) => c.phase === 'access').length;
  sample.pdkCallsAll += result.calls.length;
  sample.roundTrips += result.events.reduce((n, e) => n + e.roundTrips, 0);
  if (!expected(result)) sample.unexpected += 1;
}

export interface LoadOptions {
  durationMs?: number;
  maxRequests?: number;
  concurrency: number;
  expectStatus: number;
  /** Further check of an answer (e.g. a replay marker); failing ones count as unexpected. */
  accept?: (result: SimResult) => boolean;
  keepLatencies?: boolean;
  /**
   * 'end' (default): until KongSim returns, log phase included. 'response': until the response is
   * sent, as a client sees it: Kong runs log handlers after, in a timer.
   */
  latencyUntil?: 'end' | 'response';
}

/** Runs for `durationMs` (or until `maxRequests`) with `concurrency` workers. */
export async function load(
  sim: KongSim,
  next: () => SimRequest,
  options: LoadOptions,
): Promise<Sample> {
  const sample = emptySample();
  const start = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : start + options.durationMs;
  let issued = 0;
  const untilResponse = options.latencyUntil === 'response';
  const expected = (r: SimResult) => r.status === options.expectStatus && (options.accept?.(r) ?? true);
  const worker = async () => {
    while (performance.now() < deadline && (options.maxRequests === undefined || issued < options.maxRequests)) {
      issued += 1;
      const request = next();
      const t0 = performance.now();
      let answeredAt = 0;
      const result = await sim.handle(request, untilResponse ? { onResponse: () => void (answeredAt = performance.now()) } : undefined);
      if (options.keepLatencies !== false) sample.latencies.push((untilResponse ? answeredAt : performance.now()) - t0);
      account(sample, result, expected);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  sample.elapsedMs = performance.now() - start;
  return sample;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
