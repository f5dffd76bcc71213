/**
 * A Redis peer whose TLS socket errs twice must not end the process (redis-connectors.ts):
 * ioredis alone listens for a socket's error once, so the second is thrown as an uncaught
 * exception, and a plugin server that exits lets Kong proxy without the plugin.
 *
 * Each case runs the store in a child process (test/support/store-child.ts), where an uncaught
 * exception ends the process and fails the case with its stack, against a peer that completes the
 * handshake and then breaks the stream (test/support/misbehaving-tls.ts), in each place a
 * connection is opened: the server, a Sentinel, the master a (real) Sentinel names, a Cluster
 * node. The store must answer StoreUnavailableError instead, as for any unreachable Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStoreConfig, type RedisStoreConfig } from '../../../plugins/shared/store';
import { MisbehavingTlsPeer } from '../../support/misbehaving-tls';
import { RedisServer } from '../../support/redis-server';
import { makeTestCertificates, type TestCertificates } from '../../support/redis-tls';
import { storeRoundTripInChild, type ChildOutcome } from '../../support/store-child';

const TIMEOUT_MS = 1000;
const MASTER = 'doubled';
let certs: TestCertificates;
let peer: MisbehavingTlsPeer;
/** A Sentinel (TLS, as the store's `ssl` asks) that monitors the peer as its master. */
let sentinel: RedisServer;

beforeAll(async () => {
  certs = makeTestCertificates();
  peer = await MisbehavingTlsPeer.start(certs);
  sentinel = await RedisServer.start({
    sentinel: true,
    tls: certs,
    args: ['--tls-replication', 'yes'],
    config: `sentinel monitor ${MASTER} 127.0.0.1 ${peer.port} 1\n`,
  });
});
afterAll(async () => {
  await sentinel?.close();
  await peer?.close();
  certs?.remove();
});

const tlsConfig = (fields: Record<string, unknown>): RedisStoreConfig => redisStoreConfig({ timeout: TIMEOUT_MS, ssl: true, ssl_verify: false, ...fields });

async function expectRefusedNotCrashed(config: RedisStoreConfig): Promise<ChildOutcome> {
  const before = peer.handshakes;
  // A crash rejects here, with the child's stderr ("Unhandled 'error' event").
  const out = await storeRoundTripInChild(config);
  expect(out.ok).toBe(false);
  expect(out.error?.name).toBe('StoreUnavailableError');
  // The peer was reached past the handshake: the double error really happened.
  expect(peer.handshakes).toBeGreaterThan(before);
  return out;
}

describe('a TLS socket that errs twice does not end the process', () => {
  it('the peer really makes a TLS socket err twice (the premise of the cases below)', async () => {
    const tls = await import('node:tls');
    const errors = await new Promise<string[]>((resolve) => {
      const seen: string[] = [];
      const socket = tls.connect({ host: '127.0.0.1', port: peer.port, rejectUnauthorized: false });
      socket.on('error', (e: NodeJS.ErrnoException) => seen.push(e.code ?? e.message));
      socket.on('close', () => setTimeout(() => resolve(seen), 20));
    });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe('ERR_SSL_WRONG_VERSION_NUMBER');
  });

  it('single server', async () => {
    await expectRefusedNotCrashed(tlsConfig({ host: '127.0.0.1', port: peer.port }));
  });

  it('a Sentinel connection', async () => {
    await expectRefusedNotCrashed(tlsConfig({ sentinel_master: MASTER, sentinel_nodes: [{ host: '127.0.0.1', port: peer.port }] }));
  });

  it('the master connection a Sentinel names', async () => {
    expect(await sentinel.cli(['SENTINEL', 'get-master-addr-by-name', MASTER])).toBe(`127.0.0.1\n${peer.port}`);
    const out = await expectRefusedNotCrashed(tlsConfig({ sentinel_master: MASTER, sentinel_nodes: [{ host: '127.0.0.1', port: sentinel.port }] }));
    // The Sentinel connects to the peer too, so its handshakes prove nothing here: the bad record
    // in the message is the store's master connection's (a failure with the Sentinel reads
    // "All sentinels are unreachable").
    expect(out.error?.message).toMatch(/wrong version number/);
  });

  it('a Cluster node connection', async () => {
    await expectRefusedNotCrashed(tlsConfig({ cluster_nodes: [{ ip: '127.0.0.1', port: peer.port }] }));
  });
});
