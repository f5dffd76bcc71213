/**
 * How long the end-to-end Service (http-upstream.ts) waits before it answers: BENCH_UPSTREAM_MS
 * for every request, or this header's whole milliseconds for one request. The header lets one run
 * compare a request that never reaches the upstream (a replay) with the floor's proxied request
 * against upstreams of several service times, side by side in the same rounds.
 */
export const UPSTREAM_DELAY_HEADER = 'x-bench-upstream-ms';

/** Whole milliseconds from an env value or a header; anything else (absent, negative, junk) is 0. */
export function delayMs(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value;
  const n = Math.round(Number(text ?? 0));
  return Number.isFinite(n) && n > 0 ? n : 0;
}
