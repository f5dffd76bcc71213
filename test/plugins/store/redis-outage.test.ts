/**
 * A real redis-server that goes away and comes back: every store call settles within the
 * configured timeout as StoreUnavailableError (never hangs, never another error type), and the
 * shared connection heals by itself once the server is back.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig, StoreUnavailableError, type Store } from '../../../plugins/shared/store';
import { openRedisConnections } from '../../../plugins/shared/store/redis-connection';
import { RedisServer } from '../../support/redis-server';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await closeAllStores();
  await redis?.close();
});

const TIMEOUT_MS = 300;

/** Every backend failure of a call, with how long it took. */
async function failure(call: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const t0 = Date.now();
  try {
    await call;
  } catch (error) {
    return { error, ms: Date.now() - t0 };
  }
  throw new Error('expected the store call to fail');
}

async function eventually<T>(probe: () => Promise<T>, attempts = 100): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await probe();
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw last;
}

describe('redis outage', () => {
  it('fails every call with StoreUnavailableError within the timeout, then recovers', async () => {
    const store: Store = openStore('outage', { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port: redis.port, timeout: TIMEOUT_MS }) });
    const before = await store.claim('a', 60_000);
    expect(before.acquired).toBe(true);

    await redis.stop();
    const calls = [store.claim('b', 60_000), store.get('a'), store.release({ key: 'a', token: '0'.repeat(32) }), store.complete({ key: 'a', token: '0'.repeat(32) }, Buffer.from('x'), 1000)];
    for (const call of calls) {
      const { error, ms } = await failure(call);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).backend).toBe('redis');
      expect((error as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
      // Bounded by the deadline (plus scheduling slack), whatever state the connection is in.
      expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
    }

    await redis.start();
    const after = await eventually(() => store.claim('c', 60_000));
    expect(after.acquired).toBe(true);
    // The server lost its data with the restart (no persistence): 'a' is free again.
    expect(await store.get('a')).toBeUndefined();
  });

  it('times out against a server that accepts connections but never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const store = openStore('silent', { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port, timeout: TIMEOUT_MS }) });
      const { error, ms } = await failure(store.claim('k', 1000));
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('fails at once against a port where nothing listens', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const store = openStore('refused', { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port: free, timeout: 5000 }) });
    const { error, ms } = await failure(store.get('k'));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(ms).toBeLessThan(2500);
  });

  it('shares one connection per connection config and closes them all', async () => {
    await closeAllStores();
    const config = redisStoreConfig({ host: '127.0.0.1', port: redis.port });
    const a = openStore('one', { strategy: 'redis', redis: config });
    const b = openStore('two', { strategy: 'redis', redis: { ...config } });
    await eventually(() => a.get('x'));
    await b.get('x');
    expect(openRedisConnections()).toBe(1);
    expect(openStore('one', { strategy: 'redis', redis: { ...config } })).toBe(a);
    await closeAllStores();
    expect(openRedisConnections()).toBe(0);
  });
});
