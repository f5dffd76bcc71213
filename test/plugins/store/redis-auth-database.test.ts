/**
 * The store against real servers that want credentials: an ACL user (`username` + `password`),
 * a `requirepass` server (`password` alone), and a `database` other than 0. The contract runs on
 * each; keys are checked with redis-cli to land in the configured database; wrong or missing
 * credentials, and a user without scripting, fail every call with StoreUnavailableError naming
 * the cause, within the timeout, never a hang.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig, StoreUnavailableError, type Store } from '../../../plugins/shared/store';
import { RedisServer } from '../../support/redis-server';
import { describeStoreContract } from './contract';

const TIMEOUT_MS = 500;
let acl: RedisServer;
let requirepass: RedisServer;
let seq = 0;

beforeAll(async () => {
  [acl, requirepass] = await Promise.all([
    RedisServer.start({
      // No default user: every connection must authenticate as `app` (or `noscript`, who may not run scripts).
      args: ['--user', 'default', 'off', '--user', 'app', 'on', '>secret', '~*', '&*', '+@all', '--user', 'noscript', 'on', '>pw', '~*', '+@all', '-@scripting'],
      auth: { username: 'app', password: 'secret' },
    }),
    RedisServer.start({ args: ['--requirepass', 'sesame'], auth: { password: 'sesame' } }),
  ]);
});
afterAll(async () => {
  await closeAllStores();
  await Promise.all([acl?.close(), requirepass?.close()]);
});

function store(server: () => RedisServer, redis: Record<string, unknown>): Store {
  return openStore(`auth${seq++}`, { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port: server().port, timeout: TIMEOUT_MS, ...redis }) });
}

describeStoreContract('redis store, ACL user, database 3', 'redis', () => store(() => acl, { username: 'app', password: 'secret', database: 3 }));
describeStoreContract('redis store, requirepass', 'redis', () => store(() => requirepass, { password: 'sesame' }));

/** The failure of `call`, and how long it took to come. */
async function failure(call: Promise<unknown>): Promise<{ error: StoreUnavailableError; ms: number }> {
  const t0 = Date.now();
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(StoreUnavailableError);
    return { error: error as StoreUnavailableError, ms: Date.now() - t0 };
  }
  throw new Error('expected the store call to fail');
}

describe('credentials and database', () => {
  it('keys land in the configured database, and only there', async () => {
    const s = openStore('dbcheck', { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port: acl.port, username: 'app', password: 'secret', database: 3 }) });
    const claimed = await s.claim('in-db-3', 60_000);
    expect(claimed.acquired).toBe(true);
    expect(await acl.cli(['EXISTS', 'dbcheck:in-db-3'], { db: 3 })).toBe('1');
    expect(await acl.cli(['EXISTS', 'dbcheck:in-db-3'], { db: 0 })).toBe('0');
    // The same namespace on database 0 is another store: the key is free there.
    const db0 = openStore('dbcheck', { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port: acl.port, username: 'app', password: 'secret' }) });
    expect((await db0.claim('in-db-3', 60_000)).acquired).toBe(true);
    expect(await acl.cli(['EXISTS', 'dbcheck:in-db-3'], { db: 0 })).toBe('1');
  });

  it.each([
    ['a wrong ACL password', () => acl, { username: 'app', password: 'wrong' }, /WRONGPASS/],
    ['an unknown ACL user', () => acl, { username: 'nobody', password: 'secret' }, /WRONGPASS/],
    ['no credentials where the server wants them', () => acl, {}, /NOAUTH/],
    ['a wrong requirepass password', () => requirepass, { password: 'wrong' }, /WRONGPASS/],
  ])('%s: every call fails with StoreUnavailableError naming the cause, within the timeout', async (_, server, redis, cause) => {
    const s = store(server, redis);
    for (let i = 0; i < 3; i++) {
      const { error, ms } = await failure(s.claim(`k${i}`, 10_000));
      expect(error.message).toMatch(cause);
      expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
      await new Promise((r) => setTimeout(r, 150));
    }
  });

  it('a user that may not run scripts: StoreUnavailableError naming NOPERM, nothing written', async () => {
    const s = store(() => acl, { username: 'noscript', password: 'pw' });
    const { error } = await failure(s.claim('k', 10_000));
    expect(error.message).toMatch(/NOPERM/);
    expect(await acl.cli(['KEYS', `auth${seq - 1}:*`])).toBe('');
  });
});
