/**
 * The claim protocol (contract.ts) on both backends: the memory store and a real redis-server.
 */
import { afterAll, beforeAll } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig } from '../../../plugins/shared/store';
import { RedisServer } from '../../support/redis-server';
import { describeStoreContract } from './contract';

let redis: RedisServer;
let namespaceSeq = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await closeAllStores();
  await redis?.close();
});

describeStoreContract('memory store', 'memory', () => openStore(`mem${namespaceSeq++}`, { strategy: 'memory', memory: { maxEntries: 1000, maxBytes: 1 << 20 } }));
describeStoreContract('redis store', 'redis', () => openStore(`red${namespaceSeq++}`, { strategy: 'redis', redis: redisStoreConfig({ host: '127.0.0.1', port: redis.port }) }));
