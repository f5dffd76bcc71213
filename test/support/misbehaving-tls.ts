/**
 * A TLS peer that misbehaves the way that makes a client's socket err twice, for the store's
 * guard against ioredis's once-only socket error listener (plugins/shared/store/redis-connectors.ts).
 *
 * It completes the handshake, then writes bytes that are no TLS record straight onto the TCP
 * connection and resets it: the client's TLS socket reports the bad record
 * (ERR_SSL_WRONG_VERSION_NUMBER) without being destroyed, then a failed write (EPROTO) or the
 * reset (ECONNRESET). A TLS proxy or load balancer that fails mid-stream does the same.
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { TestCertificates } from './redis-tls';

export class MisbehavingTlsPeer {
  /** Connections that completed the TLS handshake (and then got the bad record). */
  handshakes = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(certs: TestCertificates) {
    const context = { key: fs.readFileSync(certs.key), cert: fs.readFileSync(certs.cert) };
    this.server = net.createServer((raw) => {
      this.sockets.add(raw);
      raw.on('close', () => this.sockets.delete(raw));
      raw.on('error', () => undefined);
      const secure = new tls.TLSSocket(raw, { isServer: true, ...context });
      secure.on('error', () => undefined);
      secure.on('secure', () => {
        this.handshakes += 1;
        raw.write('this is not a TLS record\r\n');
        setTimeout(() => raw.resetAndDestroy(), 20).unref();
      });
    });
  }

  static async start(certs: TestCertificates): Promise<MisbehavingTlsPeer> {
    const peer = new MisbehavingTlsPeer(certs);
    await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
    return peer;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
