/**
 * The shared key/value store our plugins use for state that must be seen by every request of a
 * Kong node (`memory`, in the plugin server process) or of a whole cluster (`redis`): idempotency
 * keys, webhook-id de-duplication.
 *
 * The one primitive is an ownership-checked CLAIM:
 *   1. `claim(key, ttlMs)` atomically takes a key that nobody holds (Redis `SET NX PX` with a random
 *      owner token). The winner gets a `Claim` with its token; everyone else gets what is there
 *      now: another owner's claim in progress, or a completed record.
 *   2. The owner either `complete`s it (stores the final value, replacing the claim, with a new
 *      TTL) or `release`s it (deletes it so the next request can claim again). Both are
 *      compare-and-set on the owner token (a Lua script on Redis), so a claim that expired and was
 *      taken by someone else is never overwritten or deleted by its former owner: they answer
 *      `false`.
 *   3. `get(key)` reads the current entry without changing it.
 *
 * Values are opaque bytes (Buffer): callers serialise their own records. A claim may carry a small
 * `info` (e.g. the request fingerprint) that concurrent callers can read while it is in flight.
 * Keys are opaque strings; `openStore(namespace, …)` prefixes them with `<namespace>:` so plugins
 * sharing a Redis (or the process) never collide. TTLs are milliseconds (integers >= 1), and every
 * entry has one: nothing is stored forever.
 *
 * Failures: every call settles within the backend's timeout. When the backend cannot answer
 * (Redis down, timeout, connection refused, memory store full beyond its bounds is NOT a failure:
 * it evicts), the promise rejects with `StoreUnavailableError` — and with nothing else for
 * backend trouble — so a plugin can apply its fault-tolerance switch (proxy without the guarantee,
 * or refuse with 503). Programming errors (bad TTL, empty key) throw `TypeError`.
 */

/** An entry as it is now. */
export type StoreEntry =
  /** Someone holds the key and has not completed it yet. `ttlMs`: how long the claim still lives
   *  (-1 if unknown), useful for a `Retry-After`. */
  | { state: 'claimed'; ttlMs: number; info: Buffer }
  /** The owner completed it with this value. */
  | { state: 'completed'; value: Buffer; ttlMs: number };

/** A successful claim: only the holder of this token can complete or release the key. */
export interface Claim {
  key: string;
  token: string;
}

export type ClaimResult =
  | { acquired: true; claim: Claim }
  /** Someone else holds or completed it. `entry` is undefined when the key vanished between the
   *  failed claim and the read (expired or released concurrently): callers may simply retry. */
  | { acquired: false; entry: StoreEntry | undefined };

export interface Store {
  /** 'memory' or 'redis', for logs. */
  readonly kind: StoreKind;

  /** Atomically take `key` for `ttlMs` if nobody holds it (no claim, no completed value).
   *  `info` (default empty) is readable by others as `entry.info` while the claim lasts. */
  claim(key: string, ttlMs: number, info?: Buffer): Promise<ClaimResult>;

  /** Replace the owner's claim with the final `value`, kept for `ttlMs`. false: not (or no longer)
   *  the owner — the claim expired, or was released, or someone else claimed it since. */
  complete(claim: Claim, value: Buffer, ttlMs: number): Promise<boolean>;

  /** Delete the key if `claim` still owns it (a claim in progress, not a completed value).
   *  false: not the owner, nothing deleted. */
  release(claim: Claim): Promise<boolean>;

  /** The current entry, or undefined when the key is free. */
  get(key: string): Promise<StoreEntry | undefined>;
}

export type StoreKind = 'memory' | 'redis';

/** Thrown (rejected) for every backend failure: connection refused/lost, timeout, Redis error. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  readonly code = 'STORE_UNAVAILABLE';
  constructor(
    message: string,
    readonly backend: StoreKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isStoreUnavailable(error: unknown): error is StoreUnavailableError {
  return error instanceof StoreUnavailableError;
}

/**
 * A value the memory store can never hold (larger than its whole bound). Still a
 * StoreUnavailableError for callers that only know that one; the owner keeps its claim, and a
 * caller that knows the difference can release it at once instead of leaving it to expire.
 */
export class StoreEntryTooLargeError extends StoreUnavailableError {
  constructor(
    message: string,
    readonly size: number,
    readonly bound: number,
  ) {
    super(message, 'memory');
  }
}

/** Bounds of an in-process store (one per plugin, bounds and partition, module scope: index.ts). */
export interface MemoryStoreOptions {
  /** Most entries kept; the least recently used are evicted beyond it. */
  maxEntries: number;
  /** Most bytes (keys + values) kept; least recently used evicted beyond it. */
  maxBytes: number;
}

/** Kong's shared Redis config shape (kong/tools/redis/schema.lua, `config.redis`) plus the
 *  Sentinel and Cluster fields of Kong Enterprise's redis-ee partial. Field names as in Kong. */
export interface RedisStoreConfig {
  host: string | null;
  port: number;
  username: string | null;
  password: string | null;
  database: number;
  ssl: boolean;
  ssl_verify: boolean;
  server_name: string | null;
  /** Per-command and connect timeout, ms. */
  timeout: number;
  sentinel_master: string | null;
  sentinel_role: 'master' | 'slave' | 'any';
  sentinel_nodes: Array<{ host: string; port: number }> | null;
  sentinel_username: string | null;
  sentinel_password: string | null;
  cluster_nodes: Array<{ ip: string; port: number }> | null;
  cluster_max_redirections: number;
}

/** What `openStore` takes: the `strategy` switch and the backend's settings. */
export type StoreConfig =
  | { strategy: 'memory'; memory: MemoryStoreOptions }
  | { strategy: 'redis'; redis: RedisStoreConfig };
