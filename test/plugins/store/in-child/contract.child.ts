/**
 * The store contract (../contract.ts) on the Redis of STORE_CONTRACT_REDIS (a RedisStoreConfig as
 * JSON), in a process started by test/support/contract-child.ts with the environment only a
 * process's start can set (NODE_EXTRA_CA_CERTS). Not a test file of the main run: it has no Redis
 * of its own. Then it leaves 30 claims under the namespace `spread` (60 s), for the parent to find
 * where they landed (on a Cluster: on every master, so every node's certificate was verified).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, type RedisStoreConfig } from '../../../../plugins/shared/store';
import { describeStoreContract } from '../contract';

const raw = process.env.STORE_CONTRACT_REDIS;
if (!raw) throw new Error('STORE_CONTRACT_REDIS is not set: this file is run by test/support/contract-child.ts');
const redis = JSON.parse(raw) as RedisStoreConfig;
let seq = 0;

afterAll(async () => {
  await closeAllStores();
});

describeStoreContract(process.env.STORE_CONTRACT_TITLE ?? 'redis store in a child process', 'redis', () =>
  openStore(`child${process.pid}-${seq++}`, { strategy: 'redis', redis }),
);

describe('for the parent', () => {
  it('claims spread:order-0 … spread:order-29', async () => {
    const store = openStore('spread', { strategy: 'redis', redis });
    for (let i = 0; i < 30; i++) expect((await store.claim(`order-${i}`, 60_000)).acquired).toBe(true);
  });
});
