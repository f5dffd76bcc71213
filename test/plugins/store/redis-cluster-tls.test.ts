/**
 * The store on a real Redis Cluster that serves TLS only (test/support/redis-cluster.ts with
 * `tls`: three masters, the cluster bus over TLS too, certificate for `redis.test` only, private
 * CA from test/support/redis-tls.ts). The nodes announce themselves by IP, so every connection
 * the store opens after the first (the slot map's nodes) is verified against `server_name`, not
 * against the IP it dials.
 *
 * The CA is trusted the way a plugin server trusts it, NODE_EXTRA_CA_CERTS at process start, so
 * the verified contract runs in a child vitest process (test/support/contract-child.ts); the
 * refusals without that trust run here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig, type RedisStoreConfig } from '../../../plugins/shared/store';
import { runStoreContractInChild } from '../../support/contract-child';
import { expectClaimsRefused, expectWholeContractPassed } from './tls-refusals';
import { RedisClusterSet } from '../../support/redis-cluster';
import { redisCommand } from '../../support/redis-server';
import { makeTestCertificates, TLS_SERVER_NAME, type TestCertificates } from '../../support/redis-tls';
import { storeRoundTripInChild } from '../../support/store-child';

const TIMEOUT_MS = 1000;
let certs: TestCertificates;
let cluster: RedisClusterSet;

beforeAll(async () => {
  certs = makeTestCertificates();
  cluster = await RedisClusterSet.start({ masters: 3, tls: certs });
}, 90_000);
afterAll(async () => {
  await closeAllStores();
  await cluster?.close();
  certs?.remove();
});

const config = (overrides: Partial<RedisStoreConfig> = {}) =>
  redisStoreConfig({ cluster_nodes: cluster.clusterNodes, timeout: TIMEOUT_MS, ssl: true, ssl_verify: true, server_name: TLS_SERVER_NAME, ...overrides });
const trustCa = () => ({ NODE_EXTRA_CA_CERTS: certs.ca });

describe('Cluster over TLS', () => {
  it('really TLS only: no node answers in plain text, and the slot map names every node by IP and TLS port', async () => {
    for (const node of cluster.nodes) {
      await expect(redisCommand(node.port, ['PING'], 1000)).rejects.toThrow();
      expect(await node.cli(['CONFIG', 'GET', 'tls-cluster'])).toBe('tls-cluster\nyes');
    }
    const map = await cluster.slotMap();
    expect(new Set(map.map(([, , port]) => port))).toEqual(new Set(cluster.nodes.map((n) => n.port)));
    expect(await cluster.nodes[0]!.cli(['CLUSTER', 'SLOTS'])).toMatch(/^127\.0\.0\.1$/m);
  });

  it('the whole store contract with ssl_verify, the CA trusted through NODE_EXTRA_CA_CERTS and server_name', async () => {
    const out = await runStoreContractInChild('redis store on a TLS Cluster, verified', config(), trustCa());
    expectWholeContractPassed(out);
    // Its claims went to all three masters: every node's certificate was verified, not only the first.
    for (const node of cluster.nodes) expect(await node.cli(['KEYS', 'spread:*'])).not.toBe('');
  }, 240_000);

  it('the CA not trusted (this process): refused as StoreUnavailableError within the timeout, naming the connection, nothing written', async () => {
    const store = openStore('untrusted', { strategy: 'redis', redis: config() });
    // ioredis drops the certificate error of the connection it gets the slot map on and
    // reports only that it could not; that much the message says, not a bare timeout.
    await expectClaimsRefused(store, TIMEOUT_MS, /slots cache/);
    for (const node of cluster.nodes) expect(await node.cli(['KEYS', 'untrusted:*'])).toBe('');
  });

  it('CA trusted, a server_name the certificate does not name: refused; the right one in the same child works', async () => {
    const wrong = await storeRoundTripInChild(config({ server_name: 'other.test' }), trustCa());
    expect(wrong.ok).toBe(false);
    expect(wrong.error?.name).toBe('StoreUnavailableError');
    expect(wrong.error?.message).toMatch(/slots cache/);
    const right = await storeRoundTripInChild(config(), trustCa());
    expect(right).toEqual({ ok: true, acquired: true, completed: true, value: 'done' });
  });
});
