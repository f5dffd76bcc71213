/**
 * A Kong Admin API faked with nock, for the tests of the current-state readers (fetch,
 * schemas-info). No request may reach the network, and a test fails when it leaves a mocked
 * answer unasked: a request the reader stopped making must not pass unnoticed.
 */
import nock from 'nock';
import { afterEach, beforeAll, expect } from 'vitest';
import { createAdminClient, type KongAdminClient } from '../../../cli/src/kong/client';

export const KONG = 'http://kong.test:8001';

/**
 * Registers the hooks in the calling test file; returns the factory its tests get clients from.
 * The clients' retry backoff does not sleep, and each is closed once its test is over.
 */
export function nockedAdminClients(): () => KongAdminClient {
  let clients: KongAdminClient[] = [];
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });
  return () => {
    const c = createAdminClient({ kongAddr: KONG, headers: [] }, { sleep: async () => {} });
    clients.push(c);
    return c;
  };
}
