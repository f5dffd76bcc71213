/**
 * When and how long to wait before repeating an Admin API request. Pure: the client owns the
 * clock and the randomness and passes them in, so tests never sleep for real.
 */

export interface RetryTuning {
  /** First backoff ceiling; doubles per attempt (full jitter picks uniformly below it). Default 200 ms. */
  baseDelayMs: number;
  /** Ceiling of one backoff wait. Default 5 s. */
  maxDelayMs: number;
  /** Ceiling of a wait asked for by `Retry-After`, so a misbehaving proxy cannot stall a run for hours. Default 60 s. */
  maxRetryAfterMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  random: () => number;
  now: () => number;
}

export const DEFAULT_RETRY_TUNING: RetryTuning = {
  baseDelayMs: 200,
  maxDelayMs: 5000,
  maxRetryAfterMs: 60_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

export const DEFAULT_MAX_RETRIES = 4;

/**
 * Statuses meaning "not now", never "no": Kong or a proxy in front of it is busy, restarting or
 * reloading config; and 500, Kong's answer when its database falters under load
 * (kong/api/endpoints.lua: a DATABASE_ERROR is "An unexpected error occurred"), which decK
 * retries too. Only ever for idempotent requests: the client checks that first.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([500, 429, 502, 503, 504]);

/**
 * Network failures worth a second try on an idempotent request: the connection was refused
 * (Kong restarting), reset (a keep-alive socket closed under us), or DNS stumbled. Not
 * ENOTFOUND (a typo in --kong-addr stays a typo), TLS failures (deterministic) or timeouts
 * (the user chose --timeout; repeating a stalled request multiplies the wait on an overloaded Kong).
 */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"). */
export function backoffDelay(attempt: number, t: Pick<RetryTuning, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(t.maxDelayMs, t.baseDelayMs * 2 ** attempt);
  return Math.floor(t.random() * ceiling);
}

/**
 * `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3), in milliseconds from `now`,
 * capped. Undefined when absent or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | undefined, now: number, capMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.ceil(ms)), capMs);
}
