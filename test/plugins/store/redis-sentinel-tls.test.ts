/**
 * The store through real Sentinels over TLS (test/support/redis-sentinel.ts with `tls`: a master,
 * a replica and two Sentinels, all serving TLS only, replication and the Sentinels' links to the
 * data nodes and to each other over TLS, ACL users on all). The store talks TLS to the Sentinels
 * and to the master they name, with the same options and `server_name` for both.
 *
 * The CA is trusted the way a plugin server trusts it, NODE_EXTRA_CA_CERTS at process start, so
 * the verified cases run in child processes (test/support/contract-child.ts, store-child.ts); the
 * refusal without that trust runs here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores, openStore, redisStoreConfig, type RedisStoreConfig } from '../../../plugins/shared/store';
import { runStoreContractInChild } from '../../support/contract-child';
import { expectClaimsRefused, expectWholeContractPassed } from './tls-refusals';
import { redisCommand } from '../../support/redis-server';
import { RedisSentinelSet, SENTINEL_MASTER, until } from '../../support/redis-sentinel';
import { makeTestCertificates, TLS_SERVER_NAME, type TestCertificates } from '../../support/redis-tls';
import { storeRoundTripInChild } from '../../support/store-child';

const TIMEOUT_MS = 1000;
let certs: TestCertificates;
let set: RedisSentinelSet;

beforeAll(async () => {
  certs = makeTestCertificates();
  set = await RedisSentinelSet.start({ sentinels: 2, tls: certs });
}, 90_000);
afterAll(async () => {
  await closeAllStores();
  await set?.close();
  certs?.remove();
});

function config(overrides: Partial<RedisStoreConfig> = {}): RedisStoreConfig {
  return redisStoreConfig({
    ...set.redisConfig,
    timeout: TIMEOUT_MS,
    ssl: true,
    ssl_verify: true,
    server_name: TLS_SERVER_NAME,
    ...overrides,
  });
}
const trustCa = () => ({ NODE_EXTRA_CA_CERTS: certs.ca });

describe('Sentinel over TLS', () => {
  it('really TLS only: no process answers in plain text; the replica and the Sentinels reach the master over TLS', async () => {
    for (const s of [...set.nodes, ...set.sentinels]) await expect(redisCommand(s.port, ['PING'], 1000)).rejects.toThrow();
    // The master has no plain port, so these links can only be TLS.
    expect(await set.nodes[0]!.cli(['CONFIG', 'GET', 'port'])).toBe('port\n0');
    expect(await set.nodes[1]!.cli(['INFO', 'replication'])).toContain('master_link_status:up');
    for (const s of set.sentinels) {
      expect(await s.cli(['SENTINEL', 'MASTER', SENTINEL_MASTER])).toMatch(/^flags\nmaster$/m);
      // Sentinels find each other through hello messages on the master, then talk TLS directly.
      await until('the Sentinels to know each other', async () => ((await s.cli(['SENTINEL', 'MASTER', SENTINEL_MASTER])).match(/^num-other-sentinels\n1$/m) ? true : undefined));
    }
  });

  it('the whole store contract with ssl_verify, the CA trusted through NODE_EXTRA_CA_CERTS and server_name', async () => {
    const out = await runStoreContractInChild('redis store through Sentinels over TLS, verified', config(), trustCa());
    expectWholeContractPassed(out);
    const master = await set.master();
    expect(await master.cli(['KEYS', 'spread:*'])).not.toBe('');
  }, 240_000);

  it('after SENTINEL FAILOVER, a verified store writes to the new master over TLS', async () => {
    const { from, to } = await set.failover();
    expect(to.port).not.toBe(from.port);
    const out = await storeRoundTripInChild(config(), trustCa());
    expect(out).toEqual({ ok: true, acquired: true, completed: true, value: 'done' });
    expect(await to.cli(['KEYS', 'child:*'])).not.toBe('');
  }, 90_000);

  it('the CA not trusted (this process): refused as StoreUnavailableError within the timeout, naming the Sentinels, nothing written', async () => {
    const store = openStore('untrusted', { strategy: 'redis', redis: config() });
    // ioredis drops each Sentinel connection's certificate error and reports only that none
    // answered; that much the message says, not a bare timeout.
    await expectClaimsRefused(store, TIMEOUT_MS, /sentinels are unreachable/i);
    for (const node of set.nodes) expect(await node.cli(['KEYS', 'untrusted:*'])).toBe('');
  });

  it('CA trusted, a server_name the certificate does not name: refused; the right one in the same child works', async () => {
    const wrong = await storeRoundTripInChild(config({ server_name: 'other.test' }), trustCa());
    expect(wrong.ok).toBe(false);
    expect(wrong.error?.name).toBe('StoreUnavailableError');
    expect(wrong.error?.message).toMatch(/sentinels are unreachable/i);
    const right = await storeRoundTripInChild(config(), trustCa());
    expect(right).toEqual({ ok: true, acquired: true, completed: true, value: 'done' });
  });
});
