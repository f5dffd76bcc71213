/**
 * The store through real Sentinels (test/support/redis-sentinel.ts: a master, a replica, two
 * Sentinels, ACL users on all of them): the contract through `sentinel_master`/`sentinel_nodes`
 * with `username`/`password` and `sentinel_username`/`sentinel_password`, then failovers. After a
 * switch the store writes to the new master (a node that never loaded the store's scripts); while
 * it switches, every call settles within the timeout, as a success or a StoreUnavailableError.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig, StoreUnavailableError, type RedisStoreConfig, type Store } from '../../../plugins/shared/store';
import { RedisSentinelSet, until } from '../../support/redis-sentinel';
import { describeStoreContract } from './contract';

const TIMEOUT_MS = 500;
let set: RedisSentinelSet;
let seq = 0;

beforeAll(async () => {
  set = await RedisSentinelSet.start({ sentinels: 2 });
}, 90_000);
afterAll(async () => {
  await closeAllStores();
  await set?.close();
});

function config(overrides: Partial<RedisStoreConfig> = {}): RedisStoreConfig {
  return redisStoreConfig({ ...set.redisConfig, timeout: TIMEOUT_MS, ...overrides });
}
const open = (namespace = `sen${seq++}`, overrides: Partial<RedisStoreConfig> = {}): Store => openStore(namespace, { strategy: 'redis', redis: config(overrides) });

describeStoreContract('redis store through Sentinel', 'redis', () => open());

/**
 * Calls the store in a loop until stopped; every call must settle within the timeout (plus
 * scheduling slack), as a result or a StoreUnavailableError: the record of a switch.
 */
function hammer(store: Store, prefix: string) {
  const outcomes: Array<{ ok: boolean; ms: number; error?: unknown }> = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const t0 = Date.now();
      try {
        await store.claim(`${prefix}-${i}`, 60_000);
        outcomes.push({ ok: true, ms: Date.now() - t0 });
      } catch (error) {
        outcomes.push({ ok: false, ms: Date.now() - t0, error });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    outcomes,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

function expectBounded(outcomes: Array<{ ok: boolean; ms: number; error?: unknown }>): void {
  expect(outcomes.length).toBeGreaterThan(0);
  for (const o of outcomes) {
    if (!o.ok) expect(o.error).toBeInstanceOf(StoreUnavailableError);
    expect(o.ms).toBeLessThan(TIMEOUT_MS + 1500);
  }
}

/**
 * The store's connections to `node`: plain clients without a name (Sentinels name theirs, the
 * replica's link is not `normal`), but for redis-cli asking.
 */
async function storeClients(node: { cli(args: string[]): Promise<string> }): Promise<number> {
  const list = await node.cli(['CLIENT', 'LIST', 'TYPE', 'normal']);
  return list.split('\n').filter((l) => / name= /.test(l) && !/cmd=client\|list/.test(l)).length;
}

/**
 * Waits until no store connection is left on the old master `from` (or it was demoted, which
 * drops them); `stillMaster`: whether it was still a master when they had left.
 */
function leftOldMaster(from: { cli(args: string[]): Promise<string> }): Promise<{ stillMaster: boolean }> {
  return until('the store to leave the old master, or the old master to be demoted', async () => {
    const clients = await storeClients(from);
    const role = await from.cli(['ROLE']);
    if (clients === 0) return { stillMaster: role.startsWith('master') };
    return role.startsWith('slave') ? { stillMaster: false } : undefined;
  }, 30_000, 50);
}

/** Claims until one succeeds (the store has reconnected), bounded. */
const claimOnceBack = (store: Store, key: string) => until(`the store to claim ${key}`, () => store.claim(key, 60_000), 30_000);

describe('Sentinel', () => {
  it('writes to the master the Sentinels name, not to the replica', async () => {
    const store = open('where');
    expect((await store.claim('k', 60_000)).acquired).toBe(true);
    const master = await set.master();
    expect(await master.cli(['EXISTS', 'where:k'])).toBe('1');
  });

  it('SENTINEL FAILOVER: the store follows the new master, where the scripts were never loaded', async () => {
    const namespace = 'switch';
    const store = open(namespace);
    const before = await store.claim('before', 60_000);
    if (!before.acquired) throw new Error('expected the claim');
    expect(await store.complete(before.claim, Buffer.from('v1'), 60_000)).toBe(true);
    const old = await set.master();
    // Replicated before the switch, so it must still be there after it.
    expect(await old.cli(['WAIT', '1', '5000'])).toBe('1');

    const load = hammer(store, 'during');
    let after;
    let switched;
    try {
      switched = await set.failover();
      await leftOldMaster(switched.from);
      after = await claimOnceBack(store, 'after');
    } finally {
      await load.stop();
    }
    const { from, to } = switched;
    // The switch really happened before anything is concluded from it.
    expect(to.port).not.toBe(from.port);
    expectBounded(load.outcomes);
    if (!after.acquired) throw new Error('expected the claim after the switch');
    expect(await to.cli(['EXISTS', `${namespace}:after`])).toBe('1');
    // Every script again on the new master: complete, release, read.
    expect(await store.complete(after.claim, Buffer.from('v2'), 60_000)).toBe(true);
    const again = await store.claim('again', 60_000);
    if (!again.acquired) throw new Error('expected the claim');
    expect(await store.release(again.claim)).toBe(true);
    const kept = await store.get('before');
    expect(kept?.state === 'completed' && kept.value.toString()).toBe('v1');
  });

  it('leaves the old master as soon as the Sentinels switch, before it is demoted: no claim lands on a master about to lose it', async () => {
    const namespace = 'prompt';
    const store = open(namespace);
    expect((await claimOnceBack(store, 'before')).acquired).toBe(true);
    const from = await set.master();
    expect(await storeClients(from)).toBeGreaterThan(0);
    const { to } = await set.failover(from);
    expect(to.port).not.toBe(from.port);
    // The Sentinels tell the old master it is a replica at their next look at it (up to 10 s):
    // until then it still takes writes, which it then throws away, while other Kong nodes,
    // freshly connected, claim the same keys on the new master. The store must leave it first.
    const left = await leftOldMaster(from);
    expect(left.stillMaster, 'the store stayed on the old master until it was demoted').toBe(true);
    const after = await claimOnceBack(store, 'after');
    expect(after.acquired).toBe(true);
    expect(await to.cli(['EXISTS', `${namespace}:after`])).toBe('1');
  });

  it('master killed: calls fail fast as StoreUnavailableError until a replica is promoted, then work', async () => {
    const namespace = 'killed';
    const store = open(namespace);
    expect((await claimOnceBack(store, 'before')).acquired).toBe(true);
    await set.holdFailovers();
    const old = await set.master();
    await old.stop();
    // No failover yet: the store has no master, and says so within the timeout.
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      await expect(store.claim(`down-${i}`, 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 1500);
    }
    const { to } = await set.failover(old);
    expect(to.port).not.toBe(old.port);
    const after = await claimOnceBack(store, 'after');
    expect(after.acquired).toBe(true);
    expect(await to.cli(['EXISTS', `${namespace}:after`])).toBe('1');
  });
});
