/**
 * The unix socket Kong connects to (`<kong prefix>/<sock name>`). Each connection frames its
 * byte stream into MessagePack-RPC requests `[0, msgid, method, params]` and answers
 * `[1, msgid, error, result]`, possibly out of order (an event's answer waits for its handler).
 * Kong keeps connections in a keep-alive pool and may step one event over several connections.
 */
import fs from 'node:fs';
import net from 'node:net';
import { DEFAULT_MAX_MESSAGE_BYTES, MessageFramer } from './framing';
import { decodeHotRequest, encodeRetAnswer } from './hot-messages';
import { LuaStringEncoder } from './lua-strings';
import type { Conn, EventTable } from './events';
import { describeError, type Logger } from './logger';
import type { PluginServer } from './rpc-methods';

// encode() copies its output, so one encoder serves every connection; strings a plugin got from
// Kong go back as the bytes Kong sent
const encoder = new LuaStringEncoder();

/**
 * Answers are written once per turn of the event loop (setImmediate runs after every socket
 * read of the turn): answers to many connections then reach Kong in one burst of writes rather
 * than one wake-up each, which is what bounds events/s at Kong's concurrency.
 */
let toFlush: Connection[] = [];

function flushAll(): void {
  const connections = toFlush;
  toFlush = [];
  for (const c of connections) c.flush();
}

function scheduleFlush(c: Connection): void {
  if (toFlush.length === 0) setImmediate(flushAll);
  toFlush.push(c);
}

class Connection implements Conn {
  closed = false;
  private corked = false;
  private readonly framer: MessageFramer;

  constructor(
    readonly id: number,
    private readonly socket: net.Socket,
    private readonly server: PluginServer,
    private readonly log: Logger,
    maxMessageBytes: number,
  ) {
    this.framer = new MessageFramer(maxMessageBytes, undefined, decodeHotRequest);
    const onMessage = (message: unknown): void => {
      try {
        this.onMessage(message);
      } catch (e) {
        // dispatch answers its own errors: this is a bug, but the other messages still count
        this.log.error(`connection #${this.id}: ${describeError(e)}`);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      try {
        this.framer.push(chunk, onMessage);
      } catch (e) {
        this.log.warn(`connection #${this.id}: ${e instanceof Error ? e.message : String(e)}; closing it`);
        socket.destroy();
      }
    });
    socket.on('error', (e) => this.log.debug(`connection #${this.id}: ${e.message}`));
  }

  send(msgid: number, error: string | null, result: unknown): void {
    if (this.closed) return;
    // encode first: a value MessagePack cannot carry throws here, with nothing written
    this.write(encoder.encode([1, msgid, error, result]));
  }

  sendRet(msgid: number, eventId: number): void {
    if (this.closed) return;
    const bytes = encodeRetAnswer(msgid, eventId);
    if (bytes === undefined) this.send(msgid, null, { Data: 'ret', EventId: eventId });
    else this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      scheduleFlush(this);
    }
    this.socket.write(bytes);
  }

  /** Writes what send() buffered during this turn of the event loop. */
  flush(): void {
    this.corked = false;
    this.socket.uncork();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Half-closes after the pending writes; `onClosed` once the socket is fully closed. */
  end(onClosed: () => void): void {
    if (this.socket.destroyed) return onClosed();
    this.socket.once('close', onClosed);
    this.socket.end();
  }

  private onMessage(message: unknown): void {
    if (!Array.isArray(message) || message[0] !== 0) {
      // notifications [2, ...] and stray answers: Kong sends neither to a plugin server
      this.log.debug(`connection #${this.id}: ignored a message that is not a request`);
      return;
    }
    const [, msgid, method, params] = message as [number, number, unknown, unknown];
    this.log.trace(() => `rpc: #${msgid} method: ${String(method)} args: ${JSON.stringify(params)}`);
    this.server.dispatch(method, params, this, msgid);
  }
}

export interface ListenerOptions {
  socketPath: string;
  server: PluginServer;
  events: EventTable;
  log: Logger;
  maxMessageBytes?: number;
}

export class Listener {
  private netServer: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private connSeq = 0;
  /** The socket file we created (device and inode), so that we never remove another server's. */
  private socketId: { dev: number; ino: number } | undefined;

  constructor(private readonly options: ListenerOptions) {}

  /** Replaces a stale socket file (as kong-pdk does) and listens. */
  async listen(): Promise<void> {
    const { socketPath, log } = this.options;
    try {
      fs.unlinkSync(socketPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const netServer = net.createServer((socket) => this.accept(socket));
    this.netServer = netServer;
    await new Promise<void>((resolve, reject) => {
      netServer.once('error', reject);
      netServer.listen(socketPath, () => {
        netServer.off('error', reject);
        resolve();
      });
    });
    const st = fs.statSync(socketPath);
    this.socketId = { dev: st.dev, ino: st.ino };
    log.info(`server started at ${socketPath}`);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * No new connections (the socket file goes); open connections keep being served. Closing the
   * listening socket unlinks its path whatever file is there now: when a newer server has already
   * put its own socket at that path (kong reload, a supervisor starting the next one first), the
   * listener is left open instead, refusing every connection, until this process exits (which
   * unlinks nothing), so that Kong keeps reaching the newer server.
   */
  stopAccepting(): void {
    const netServer = this.netServer;
    this.netServer = undefined;
    if (!netServer) return;
    if (this.socketIsOurs()) {
      netServer.close();
      return;
    }
    this.options.log.info(`${this.options.socketPath} now belongs to another server: left in place`);
    netServer.removeAllListeners('connection');
    netServer.on('connection', (socket: net.Socket) => socket.destroy());
  }

  private socketIsOurs(): boolean {
    try {
      const st = fs.statSync(this.options.socketPath);
      return this.socketId !== undefined && st.dev === this.socketId.dev && st.ino === this.socketId.ino;
    } catch {
      return false;
    }
  }

  /**
   * Closes every connection — after writing the answers still buffered for this turn, and
   * letting the kernel deliver them (at most `graceMs`) — and removes the socket file if it is
   * still ours.
   */
  async closeAll(graceMs = 1000): Promise<void> {
    this.stopAccepting();
    flushAll();
    const open = [...this.connections];
    await new Promise<void>((resolve) => {
      if (open.length === 0) return resolve();
      const timer = setTimeout(resolve, graceMs);
      let left = open.length;
      for (const c of open) {
        c.end(() => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });
    for (const c of this.connections) c.destroy();
    try {
      if (this.socketIsOurs()) fs.unlinkSync(this.options.socketPath);
    } catch {
      // already removed (closing the listening socket unlinks it)
    }
  }

  private accept(socket: net.Socket): void {
    const { server, events, log, maxMessageBytes } = this.options;
    const conn = new Connection(++this.connSeq, socket, server, log, maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.connections.add(conn);
    log.trace(() => `connection #${conn.id} opened`);
    socket.once('close', () => {
      conn.closed = true;
      this.connections.delete(conn);
      events.connectionClosed(conn);
      log.trace(() => `connection #${conn.id} closed`);
    });
  }
}
