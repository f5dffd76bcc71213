/**
 * TLS peers that misbehave the way that makes a client's socket err twice, for the store's guard
 * against ioredis's once-only socket error listener (plugins/shared/store/redis-connectors.ts).
 *
 * `MisbehavingTlsPeer` completes the handshake, then writes bytes that are no TLS record
 * straight onto the TCP connection and resets it: the client's TLS socket reports the bad record
 * (ERR_SSL_WRONG_VERSION_NUMBER) without being destroyed, then a failed write (EPROTO) or the
 * reset (ECONNRESET). A TLS proxy or load balancer that fails mid-stream does the same.
 *
 * `FakeSentinel` is a TLS Sentinel that knows one master, at an address it is given (a
 * misbehaving peer), so that the connection a Sentinel client opens to its master can be the one
 * that misbehaves. It answers what ioredis asks a Sentinel (the master's address, the other
 * Sentinels, the failover subscription) in RESP.
 */
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import type { TestCertificates } from './redis-tls';

function serverContext(certs: TestCertificates): tls.TlsOptions {
  return { key: fs.readFileSync(certs.key), cert: fs.readFileSync(certs.cert) };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export class MisbehavingTlsPeer {
  /** Connections that completed the TLS handshake (and then got the bad record). */
  handshakes = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly sockets: Set<net.Socket>,
    readonly port: number,
  ) {}

  static async start(certs: TestCertificates): Promise<MisbehavingTlsPeer> {
    const context = serverContext(certs);
    const sockets = new Set<net.Socket>();
    let peer: MisbehavingTlsPeer | undefined;
    const server = net.createServer((raw) => {
      sockets.add(raw);
      raw.on('close', () => sockets.delete(raw));
      raw.on('error', () => undefined);
      const secure = new tls.TLSSocket(raw, { isServer: true, ...context });
      secure.on('error', () => undefined);
      secure.on('secure', () => {
        if (peer) peer.handshakes += 1;
        raw.write('this is not a TLS record\r\n');
        setTimeout(() => raw.resetAndDestroy(), 20).unref();
      });
    });
    peer = new MisbehavingTlsPeer(server, sockets, await listen(server));
    return peer;
  }

  close(): Promise<void> {
    return closeServer(this.server, this.sockets);
  }
}

/** Reads RESP arrays of bulk strings (what clients send) from a byte stream. */
function respCommands(onCommand: (args: string[]) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const parsed = parseCommand(buffer);
      if (!parsed) return;
      buffer = buffer.subarray(parsed.length);
      onCommand(parsed.args);
    }
  };
}

function parseCommand(buffer: Buffer): { args: string[]; length: number } | undefined {
  let at = 0;
  const line = (): string | undefined => {
    const end = buffer.indexOf('\r\n', at);
    if (end < 0) return undefined;
    const text = buffer.toString('utf8', at, end);
    at = end + 2;
    return text;
  };
  const head = line();
  if (head === undefined) return undefined;
  if (!head.startsWith('*')) throw new Error(`FakeSentinel: not a RESP array: ${JSON.stringify(head)}`);
  const args: string[] = [];
  for (let i = 0; i < Number(head.slice(1)); i++) {
    const size = line();
    if (size === undefined) return undefined;
    const n = Number(size.slice(1));
    if (buffer.length < at + n + 2) return undefined;
    args.push(buffer.toString('utf8', at, at + n));
    at += n + 2;
  }
  return { args, length: at };
}

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const array = (items: string[]) => `*${items.length}\r\n${items.join('')}`;

export class FakeSentinel {
  /** Every command received, upper-cased name first. */
  readonly commands: string[][] = [];

  private constructor(
    private readonly server: tls.Server,
    private readonly sockets: Set<net.Socket>,
    readonly port: number,
  ) {}

  static async start(certs: TestCertificates, masterName: string, master: { host: string; port: number }): Promise<FakeSentinel> {
    const sockets = new Set<net.Socket>();
    let sentinel: FakeSentinel | undefined;
    const answer = (args: string[]): string => {
      const [name = '', sub = '', arg = ''] = args;
      switch (name.toUpperCase()) {
        case 'SENTINEL':
          if (sub.toLowerCase() === 'get-master-addr-by-name') return arg === masterName ? array([bulk(master.host), bulk(String(master.port))]) : '*-1\r\n';
          if (sub.toLowerCase() === 'sentinels') return array([]);
          return `-ERR unknown sentinel subcommand '${sub}'\r\n`;
        case 'SUBSCRIBE':
          return args.slice(1).map((channel, i) => array([bulk('subscribe'), bulk(channel), `:${i + 1}\r\n`])).join('');
        case 'PING':
          return '+PONG\r\n';
        default:
          return `-ERR unknown command '${name}'\r\n`;
      }
    };
    const server = tls.createServer(serverContext(certs), (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on(
        'data',
        respCommands((args) => {
          sentinel?.commands.push([args[0]?.toUpperCase() ?? '', ...args.slice(1)]);
          socket.write(answer(args));
        }),
      );
    });
    sentinel = new FakeSentinel(server, sockets, await listen(server));
    return sentinel;
  }

  close(): Promise<void> {
    return closeServer(this.server, this.sockets);
  }
}
