/**
 * A claim command that runs twice is still one claim. ioredis re-sends a Cluster command whose
 * connection closed before its reply arrived (retryDelayOnFailover), so the claim script can run
 * a second time with the same value after the first run took the key. That second run must
 * answer "taken", not "held by another": the request would otherwise get 409 for its own claim,
 * and the key stay held for lock_ttl by a token nothing would complete or release.
 * The script is run as the store sends it, on a real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, redisStoreConfig } from '../../../plugins/shared/store';
import { redisConnection } from '../../../plugins/shared/store/redis-connection';
import { CLAIMED_TAG, COMPLETED_TAG } from '../../../plugins/shared/store/redis-scripts';
import { newOwnerToken } from '../../../plugins/shared/store/token';
import { RedisServer } from '../../support/redis-server';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await closeAllStores();
  await redis?.close();
});

function claimValue(token: string, info = 'req-info'): Buffer {
  return Buffer.concat([Buffer.from([CLAIMED_TAG]), Buffer.from(token), Buffer.from(info)]);
}

const connection = () => redisConnection(redisStoreConfig({ host: '127.0.0.1', port: redis.port, timeout: 2000 }));

describe('the claim script run twice', () => {
  it('a re-sent claim finds its own value and is taken; the owner can then complete it', async () => {
    const c = connection();
    const token = newOwnerToken();
    const value = claimValue(token);
    expect(await c.run('claim', (r) => r.storeClaimBuffer('resent:a', value, 60_000))).toBe(1);
    expect(await c.run('claim', (r) => r.storeClaimBuffer('resent:a', value, 60_000))).toBe(1);
    const owner = Buffer.concat([Buffer.from([CLAIMED_TAG]), Buffer.from(token)]);
    const done = Buffer.concat([Buffer.from([COMPLETED_TAG]), Buffer.from('response')]);
    expect(await c.run('complete', (r) => r.storeCompleteBuffer('resent:a', owner, done, 60_000))).toBe(1);
  });

  it("another request's claim is still held by the first: the value and its TTL come back", async () => {
    const c = connection();
    const first = claimValue(newOwnerToken());
    expect(await c.run('claim', (r) => r.storeClaimBuffer('resent:b', first, 60_000))).toBe(1);
    const reply = await c.run('claim', (r) => r.storeClaimBuffer('resent:b', claimValue(newOwnerToken()), 60_000));
    expect(Array.isArray(reply)).toBe(true);
    const [raw, pttl] = reply as [Buffer, number];
    expect(raw.equals(first)).toBe(true);
    expect(pttl).toBeGreaterThan(0);
  });

  it('the same token with other request info is another claim, not a re-send', async () => {
    const c = connection();
    const token = newOwnerToken();
    expect(await c.run('claim', (r) => r.storeClaimBuffer('resent:c', claimValue(token, 'one'), 60_000))).toBe(1);
    expect(Array.isArray(await c.run('claim', (r) => r.storeClaimBuffer('resent:c', claimValue(token, 'two'), 60_000)))).toBe(true);
  });

  it('a completed record is never taken by a claim, even one with its former owner value', async () => {
    const c = connection();
    const token = newOwnerToken();
    const value = claimValue(token);
    expect(await c.run('claim', (r) => r.storeClaimBuffer('resent:d', value, 60_000))).toBe(1);
    const owner = Buffer.concat([Buffer.from([CLAIMED_TAG]), Buffer.from(token)]);
    const done = Buffer.concat([Buffer.from([COMPLETED_TAG]), Buffer.from('response')]);
    expect(await c.run('complete', (r) => r.storeCompleteBuffer('resent:d', owner, done, 60_000))).toBe(1);
    const reply = await c.run('claim', (r) => r.storeClaimBuffer('resent:d', value, 60_000));
    expect(Array.isArray(reply)).toBe(true);
    expect((reply as [Buffer, number])[0].equals(done)).toBe(true);
  });
});
