/**
 * The Redis backend: the claim protocol of types.ts on the Lua scripts of redis-scripts.ts, one
 * round trip per call, over the shared connection of redis-connection.ts. Keys are
 * `<namespace>:<key>`. The connection is looked up per call, not held, so an idle connection
 * closed by the sweep is simply reopened.
 */
import { configKey } from '../config-key';
import { redisConnection } from './redis-connection';
import { CLAIMED_TAG, COMPLETED_TAG } from './redis-scripts';
import { checkKey, checkTtl, newOwnerToken, TOKEN_LENGTH } from './token';
import type { Claim, ClaimResult, RedisStoreConfig, Store, StoreEntry } from './types';

function ownerPrefix(token: string): Buffer {
  return Buffer.concat([Buffer.from([CLAIMED_TAG]), Buffer.from(token, 'latin1')]);
}

/** A stored value and its PTTL as a StoreEntry (undefined: no such key). */
export function decodeEntry(raw: Buffer | null | undefined, pttl: number): StoreEntry | undefined {
  if (!raw || raw.length === 0) return undefined;
  const ttlMs = pttl >= 0 ? pttl : -1;
  if (raw[0] === COMPLETED_TAG) return { state: 'completed', value: raw.subarray(1), ttlMs };
  if (raw[0] === CLAIMED_TAG) return { state: 'claimed', info: raw.subarray(1 + TOKEN_LENGTH), ttlMs };
  // Not written by this store (someone else's data under our prefix): treat it as taken.
  return { state: 'claimed', info: Buffer.alloc(0), ttlMs };
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly connectionKey: string;

  constructor(
    private readonly namespace: string,
    private readonly config: RedisStoreConfig,
  ) {
    this.connectionKey = configKey(config);
  }

  private connection() {
    return redisConnection(this.config, this.connectionKey);
  }

  private redisKey(key: string): string {
    return `${this.namespace}:${key}`;
  }

  async claim(key: string, ttlMs: number, info: Buffer = Buffer.alloc(0)): Promise<ClaimResult> {
    checkKey(key);
    checkTtl(ttlMs);
    const token = newOwnerToken();
    const value = Buffer.concat([ownerPrefix(token), info]);
    let reply: unknown;
    try {
      reply = await this.connection().run('claim', (c) => c.storeClaimBuffer(this.redisKey(key), value, ttlMs));
    } catch (error) {
      // Given up on (a slow or paused Redis), the claim may still run once Redis catches up and
      // hold the key for lock_ttl under a token nobody has: every retry would get "in flight".
      // The release, queued behind it on the same connection, runs after it and undoes it.
      this.release({ key, token }).catch(() => undefined);
      throw error;
    }
    if (reply === 1) return { acquired: true, claim: { key, token } };
    const [raw, pttl] = Array.isArray(reply) ? reply : [null, -2];
    return { acquired: false, entry: decodeEntry(raw, Number(pttl)) };
  }

  async complete(claim: Claim, value: Buffer, ttlMs: number): Promise<boolean> {
    checkKey(claim.key);
    checkTtl(ttlMs);
    const stored = Buffer.concat([Buffer.from([COMPLETED_TAG]), value]);
    const reply = await this.connection().run('complete', (c) =>
      c.storeCompleteBuffer(this.redisKey(claim.key), ownerPrefix(claim.token), stored, ttlMs),
    );
    return Number(reply) === 1;
  }

  async release(claim: Claim): Promise<boolean> {
    checkKey(claim.key);
    const reply = await this.connection().run('release', (c) => c.storeReleaseBuffer(this.redisKey(claim.key), ownerPrefix(claim.token)));
    return Number(reply) === 1;
  }

  async get(key: string): Promise<StoreEntry | undefined> {
    checkKey(key);
    const [raw, pttl] = await this.connection().run('get', (c) => c.storeReadBuffer(this.redisKey(key)));
    return decodeEntry(raw, Number(pttl));
  }
}
