/**
 * One issuer's JSON Web Key Set, cached at module scope (instances come and go; keys stay).
 * - fetched on first use, then refreshed in the background once older than `ttl`: requests keep
 *   being served from the cached keys, also while the identity provider is down;
 * - an unknown `kid` triggers a refetch (key rotation), at most once per `cooldown`, so tokens
 *   with random `kid`s cannot make the gateway hammer the identity provider;
 * - concurrent refreshes are coalesced into one request; a failed or empty fetch keeps the old keys.
 * jwks-rsa does the HTTP fetch (status and JSON handling); its own cache is per `kid` and drops
 * keys when the provider is down, so the policy above is ours. Its `timeout` only limits how long
 * the connection may stay silent, and when that fires after the response headers its promise never
 * settles: the store puts its own deadline on the whole fetch, or one stalled response would hold
 * `inflight` for good and no refresh (rotation, TTL) could ever run again.
 */
import { JwksClient } from 'jwks-rsa';
import { jwtClaimsMetrics } from '../shared/metrics';
import { parseJwk, type VerificationKey } from './keys';

/** Returns the `keys` array of the JWKS document at `uri`. */
export type JwksFetcher = (uri: string, timeoutMs: number) => Promise<unknown[]>;

export interface JwksOptions {
  ttlMs: number;
  cooldownMs: number;
  timeoutMs: number;
}

/** More keys than any real provider publishes; a bigger set is cut, bounding verify attempts. */
export const MAX_JWKS_KEYS = 64;

export const fetchJwks: JwksFetcher = async (uri, timeoutMs) => {
  const client = new JwksClient({ jwksUri: uri, timeout: timeoutMs, cache: false, rateLimit: false });
  const keys: unknown = await client.getKeys();
  if (!Array.isArray(keys)) throw new Error('the JWKS document has no "keys" array');
  return keys;
};

export interface KeyLookup {
  keys: VerificationKey[];
  /** False when no key set was ever obtained: the token cannot be judged at all. */
  available: boolean;
}

export class JwksStore {
  private keys: VerificationKey[] | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  /** Why the last fetch failed (cleared by a successful one). */
  lastError: string | undefined;
  fetches = 0;

  constructor(
    readonly uri: string,
    private readonly options: JwksOptions,
    private readonly fetcher: JwksFetcher = fetchJwks,
    private readonly clock: () => number = Date.now,
  ) {}

  async lookup(kid: string | undefined): Promise<KeyLookup> {
    if (this.keys === undefined) {
      await this.refreshIfAllowed();
    } else if (this.clock() - this.fetchedAt >= this.options.ttlMs) {
      void this.refreshIfAllowed();
    }
    if (this.keys === undefined) return { keys: [], available: false };
    let found = selectByKid(this.keys, kid);
    if (found.length === 0 && kid !== undefined) {
      await this.refreshIfAllowed();
      found = selectByKid(this.keys, kid);
    }
    return { keys: found, available: true };
  }

  private refreshIfAllowed(): Promise<void> {
    if (this.inflight) return this.inflight;
    const now = this.clock();
    if (now - this.lastAttemptAt < this.options.cooldownMs) return Promise.resolve();
    this.lastAttemptAt = now;
    this.inflight = this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<void> {
    this.fetches += 1;
    try {
      const raw = await withDeadline(this.fetcher(this.uri, this.options.timeoutMs), this.options.timeoutMs);
      const keys: VerificationKey[] = [];
      for (const jwk of raw) {
        const key = parseJwk(jwk);
        if (key) keys.push(key);
        if (keys.length >= MAX_JWKS_KEYS) break;
      }
      if (keys.length === 0) throw new Error('the JWKS holds no usable signing key');
      this.keys = keys;
      this.fetchedAt = this.clock();
      this.lastError = undefined;
      jwtClaimsMetrics().jwksRefresh('success');
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      jwtClaimsMetrics().jwksRefresh('failure');
    }
  }
}

/** The fetch, or a rejection once `ms` have passed, whichever comes first. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the JWKS fetch took longer than jwks_timeout (${ms} ms)`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function selectByKid(keys: readonly VerificationKey[] | undefined, kid: string | undefined): VerificationKey[] {
  if (!keys) return [];
  return kid === undefined ? [...keys] : keys.filter((k) => k.kid === kid);
}
