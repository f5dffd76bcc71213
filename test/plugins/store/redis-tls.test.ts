/**
 * The store over TLS to a real redis-server serving TLS only, its certificate signed by a private
 * CA made at test time (test/support/redis-tls.ts) for `redis.test` only.
 *
 * How a private CA is trusted: Kong trusts the CAs of `lua_ssl_trusted_certificate` for every
 * cosocket; a plugin server is a Node process, which trusts Node's bundled roots plus the file in
 * NODE_EXTRA_CA_CERTS, read when the process starts (set it where Kong starts the plugin server).
 * So the verified cases run in a child process started with NODE_EXTRA_CA_CERTS
 * (test/support/store-child.ts); those without trust run here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig, StoreUnavailableError } from '../../../plugins/shared/store';
import { RedisServer } from '../../support/redis-server';
import { storeRoundTripInChild } from '../../support/store-child';
import { makeTestCertificates, TLS_SERVER_NAME, type TestCertificates } from '../../support/redis-tls';
import { describeStoreContract } from './contract';

const TIMEOUT_MS = 1000;
let certs: TestCertificates;
let redis: RedisServer;
let seq = 0;

beforeAll(async () => {
  certs = makeTestCertificates();
  redis = await RedisServer.start({ tls: certs });
});
afterAll(async () => {
  await closeAllStores();
  await redis?.close();
  certs?.remove();
});

const config = (redis_: Record<string, unknown>) => redisStoreConfig({ host: '127.0.0.1', port: redis.port, timeout: TIMEOUT_MS, ssl: true, ...redis_ });
const trustCa = () => ({ NODE_EXTRA_CA_CERTS: certs.ca });

// ssl_verify false (Kong's default): encrypted, the certificate is not checked.
describeStoreContract('redis store over TLS, ssl_verify false, untrusted certificate', 'redis', () =>
  openStore(`tls${seq++}`, { strategy: 'redis', redis: config({ ssl_verify: false }) }),
);

describe('TLS verification', () => {
  it('the server really serves TLS only: a plain connection fails, within the timeout', async () => {
    const store = openStore('plain', { strategy: 'redis', redis: config({ ssl: false }) });
    const t0 = Date.now();
    await expect(store.claim('k', 10_000)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('ssl_verify true with a CA nobody trusts: refused as StoreUnavailableError, not silently accepted', async () => {
    const store = openStore('untrusted', { strategy: 'redis', redis: config({ ssl_verify: true, server_name: TLS_SERVER_NAME }) });
    const error = await store.claim('k', 10_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/certificate/i);
    expect(await redis.cli(['KEYS', 'untrusted:*'])).toBe('');
  });

  it('ssl_verify true, the CA trusted through NODE_EXTRA_CA_CERTS, the right server_name: works', async () => {
    const out = await storeRoundTripInChild(config({ ssl_verify: true, server_name: TLS_SERVER_NAME }), trustCa());
    expect(out).toEqual({ ok: true, acquired: true, completed: true, value: 'done' });
    expect(await redis.cli(['KEYS', 'child:*'])).not.toBe('');
  });

  it('the same without NODE_EXTRA_CA_CERTS is refused (the trust comes from it)', async () => {
    const out = await storeRoundTripInChild(config({ ssl_verify: true, server_name: TLS_SERVER_NAME }));
    expect(out.ok).toBe(false);
    expect(out.error?.name).toBe('StoreUnavailableError');
    expect(out.error?.message).toMatch(/certificate/i);
  });

  it('ssl_verify true, CA trusted, a server_name the certificate does not name: refused', async () => {
    const out = await storeRoundTripInChild(config({ ssl_verify: true, server_name: 'other.test' }), trustCa());
    expect(out.ok).toBe(false);
    expect(out.error?.name).toBe('StoreUnavailableError');
    expect(out.error?.message).toMatch(/other\.test/);
  });

  it('ssl_verify true, CA trusted, no server_name: the certificate must name the host, and 127.0.0.1 is not in it', async () => {
    const out = await storeRoundTripInChild(config({ ssl_verify: true }), trustCa());
    expect(out.ok).toBe(false);
    expect(out.error?.name).toBe('StoreUnavailableError');
    expect(out.error?.message).toMatch(/127\.0\.0\.1/);
  });

  it('ssl_verify false in the same trusting process: works whatever the name', async () => {
    const out = await storeRoundTripInChild(config({ ssl_verify: false, server_name: 'other.test' }), trustCa());
    expect(out).toMatchObject({ ok: true, acquired: true, completed: true });
  });
});
