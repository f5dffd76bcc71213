/**
 * One issuer's JSON Web Key Set, cached at module scope (instances come and go; keys stay).
 * - fetched on first use, then refreshed in the background once older than `ttl`: requests keep
 *   being served from the cached keys, also while the identity provider is down;
 * - a token no cached key verifies (an unknown `kid`, a set without `kid`s that rotated, a key
 *   re-issued under its `kid`) triggers a refetch (key rotation), at most once per `cooldown`, so
 *   tokens with random `kid`s or signatures cannot make the gateway hammer the identity provider;
 *   a request waits for at most one fetch;
 * - concurrent refreshes are coalesced into one request; a failed or empty fetch keeps the old keys.
 * The fetch itself is bounded in time and size, and aborted (not merely abandoned) at either
 * bound: a JWKS endpoint, its CDN or anyone on the path of an http:// URI could otherwise stall a
 * refresh for good or stream a body until the process dies, and a dead plugin server means Kong
 * proxies every route without its plugins. The store also puts a deadline on any fetcher, so a
 * fetch that never settles cannot hold `inflight` and block every later refresh.
 */
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { jwtClaimsMetrics } from '../shared/metrics';
import { parseJwk, publishesPrivatePart, type VerificationKey } from './keys';

/** Returns the `keys` array of the JWKS document at `uri`. */
export type JwksFetcher = (uri: string, timeoutMs: number) => Promise<unknown[]>;

export interface JwksOptions {
  ttlMs: number;
  cooldownMs: number;
  timeoutMs: number;
}

/** More keys than any real provider publishes; a bigger set is cut, bounding verify attempts. */
export const MAX_JWKS_KEYS = 64;

/**
 * Real key sets are a few KiB (64 RSA-4096 keys are under 64 KiB); anything past this is not a
 * key set, and is cut off while it downloads, after decompression.
 */
export const MAX_JWKS_BYTES = 1024 * 1024;

// A fetch every few minutes gains nothing from a pooled connection, and a pooled one the
// identity provider closed while idle fails the next refresh with ECONNRESET.
const httpAgent = new http.Agent({ keepAlive: false });
const httpsAgent = new https.Agent({ keepAlive: false });

export const fetchJwks: JwksFetcher = async (uri, timeoutMs) => {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    const res = await axios.get<string>(uri, {
      signal: deadline.signal,
      timeout: timeoutMs,
      maxContentLength: MAX_JWKS_BYTES,
      maxRedirects: 0,
      httpAgent,
      httpsAgent,
      // Kong's own outbound calls ignore HTTP(S)_PROXY; so does this one
      proxy: false,
      responseType: 'text',
      transformResponse: (body: string) => body,
      validateStatus: () => true,
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
    if (res.status < 200 || res.status > 299) throw new Error(`the JWKS endpoint answered HTTP ${res.status}`);
    let doc: unknown;
    try {
      doc = JSON.parse(res.data);
    } catch {
      throw new Error('the JWKS document is not JSON');
    }
    const keys = (doc as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new Error('the JWKS document has no "keys" array');
    return keys;
  } catch (error) {
    if (deadline.signal.aborted) throw new Error(`the JWKS fetch took longer than jwks_timeout (${timeoutMs} ms)`);
    if (axios.isAxiosError(error)) throw new Error(describeFetchError(error.code, error.message));
    throw error;
  } finally {
    clearTimeout(timer);
  }
};

function describeFetchError(code: string | undefined, message: string): string {
  if (message.startsWith('maxContentLength')) return `the JWKS document is larger than ${MAX_JWKS_BYTES} bytes`;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return 'the JWKS endpoint went silent longer than jwks_timeout';
  return `the JWKS fetch failed: ${message}${code && !message.includes(code) ? ` (${code})` : ''}`;
}

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
  /** Kids of the keys the last fetched set published with their private part: never used. */
  disclosedKeys: string[] = [];
  /** The handler logged disclosedKeys of this fetch. */
  disclosedReported = false;
  fetches = 0;

  constructor(
    readonly uri: string,
    private readonly options: JwksOptions,
    private readonly fetcher: JwksFetcher = fetchJwks,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The cached keys of `kid` (every key for a token without one). When none `verifies` the token,
   * the set may have changed since it was fetched: it is refetched (or the refresh under way
   * awaited) unless this lookup already waited for a fetch or the cooldown forbids, and the keys
   * of `kid` in the new set are offered to `verifies` again. The default asks only for a key.
   */
  async lookup(kid: string | undefined, verifies: (keys: VerificationKey[]) => boolean = (keys) => keys.length > 0): Promise<KeyLookup> {
    let waited = false;
    if (this.keys === undefined) {
      waited = await this.refreshIfAllowed();
    } else if (this.clock() - this.fetchedAt >= this.options.ttlMs) {
      void this.refreshIfAllowed();
    }
    if (this.keys === undefined) return { keys: [], available: false };
    let found = selectByKid(this.keys, kid);
    if (!verifies(found) && !waited && (await this.refreshIfAllowed())) {
      found = selectByKid(this.keys, kid);
      verifies(found);
    }
    return { keys: found, available: true };
  }

  /** Starts a fetch, or joins the one under way; false (no fetch) within the cooldown. */
  private refreshIfAllowed(): Promise<boolean> {
    if (this.inflight) return this.inflight.then(() => true);
    const now = this.clock();
    if (now - this.lastAttemptAt < this.options.cooldownMs) return Promise.resolve(false);
    this.lastAttemptAt = now;
    const inflight = this.refresh().finally(() => {
      this.inflight = undefined;
    });
    this.inflight = inflight;
    return inflight.then(() => true);
  }

  private async refresh(): Promise<void> {
    this.fetches += 1;
    try {
      const raw = await withDeadline(this.fetcher(this.uri, this.options.timeoutMs), this.options.timeoutMs);
      const keys: VerificationKey[] = [];
      const disclosed: string[] = [];
      for (const jwk of raw) {
        const key = parseJwk(jwk);
        if (key) keys.push(key);
        else if (publishesPrivatePart(jwk)) disclosed.push(kidOf(jwk));
        if (keys.length >= MAX_JWKS_KEYS) break;
      }
      if (disclosed.join() !== this.disclosedKeys.join()) this.disclosedReported = false;
      this.disclosedKeys = disclosed;
      if (keys.length === 0) throw new Error(`the JWKS holds no usable signing key${disclosedNote(disclosed)}`);
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

function kidOf(jwk: unknown): string {
  const kid = (jwk as { kid?: unknown }).kid;
  return typeof kid === 'string' ? JSON.stringify(kid) : '(no kid)';
}

/** What an operator must do about keys published with their private part. */
export function disclosedNote(kids: readonly string[]): string {
  return kids.length ? ` (key ${kids.join(', ')} published with its private part, so not used: anyone can sign with it; rotate it)` : '';
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
