/**
 * Kong's RPC client for one plugin server, after kong/runloop/plugin_servers/rpc/mp_rpc.lua
 * (`Rpc:call`), Kong >= 3.9 (plugin_servers/mp_rpc.lua before, same wire behaviour):
 *
 * - every call takes a connection from the keep-alive pool (`ngx.socket.connect` + `setkeepalive`),
 *   so concurrent calls use separate connections and sequential calls reuse one;
 * - request `[0, msgid, method, [args]]`, msgid from one counter per Rpc object;
 * - notifications `[2, label, args]` read while waiting are dispatched (`serverPid`);
 * - the answer is `[1, msgid, err, result]`: a non-nil `err` becomes `(nil, err)`;
 * - a failed connect (logged by Kong as `trying to connect: <err>`) returns `(nil, err)`;
 *   a connection closed before the answer gives `(nil, "no data")`.
 *
 * Calls never throw: they return what Lua's `(result)` / `(nil, err)` pair would carry.
 */
import net from 'node:net';
import { MsgpackStreamDecoder, encodeMsgpack } from './msgpack-wire';

export type RpcOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: string; stage: 'connect' | 'io' | 'remote' };

/** One message on the socket, in the shape of test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl. */
export interface WireRecord {
  t: number;
  conn: number;
  dir: 'kong->ps' | 'ps->kong';
  msg: unknown[];
}

export interface RpcClientOptions {
  /** Read timeout for one answer (nginx cosocket `timeout`); default 30 s. */
  timeoutMs?: number;
  onNotification?: (label: unknown, args: unknown) => void;
  /** Sees every message both ways, e.g. to compare a run with the recorded trace. */
  onWire?: (record: WireRecord) => void;
}

const CONNECT_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ECONNREFUSED: 'connection refused',
  EACCES: 'permission denied',
};

class Connection {
  readonly decoder = new MsgpackStreamDecoder();
  readonly inbox: unknown[] = [];
  closed = false;
  private wake: ((timedOut: boolean) => void) | undefined;
  /** One read timer per connection, re-armed per wait (a new timer per round trip cost more than the rest of the read path). */
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
  ) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const m of this.decoder.push(chunk)) this.inbox.push(m);
      } catch {
        socket.destroy();
      }
      this.notify(false);
    });
    const onEnd = (): void => {
      this.closed = true;
      clearTimeout(this.timer);
      this.notify(false);
    };
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  }

  private notify(timedOut: boolean): void {
    const w = this.wake;
    this.wake = undefined;
    w?.(timedOut);
  }

  private armTimer(timeoutMs: number): void {
    if (this.timer && this.timerMs === timeoutMs) {
      this.timer.refresh();
      return;
    }
    clearTimeout(this.timer);
    this.timerMs = timeoutMs;
    // a firing with no read waiting (the answer came first) wakes nobody
    this.timer = setTimeout(() => this.notify(true), timeoutMs);
    this.timer.unref();
  }

  /** Next decoded message, or undefined when the socket closed or the timeout expired. */
  async next(timeoutMs: number): Promise<unknown[] | 'timeout' | undefined> {
    for (;;) {
      if (this.inbox.length > 0) return this.inbox.shift() as unknown[];
      if (this.closed) return undefined;
      this.armTimer(timeoutMs);
      const timedOut = await new Promise<boolean>((resolve) => (this.wake = resolve));
      if (timedOut) return 'timeout';
    }
  }
}

export class MsgpackRpcClient {
  private msgId = 0;
  private connSeq = 0;
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private callCount = 0;

  constructor(
    readonly socketPath: string,
    private readonly options: RpcClientOptions = {},
  ) {}

  /** RPC calls made so far (each is one socket round trip). */
  get calls(): number {
    return this.callCount;
  }

  private connect(): Promise<Connection | { error: string }> {
    return new Promise((resolve) => {
      const socket = net.createConnection(this.socketPath);
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.destroy();
        resolve({ error: CONNECT_ERRORS[err.code ?? ''] ?? err.message });
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        const conn = new Connection(++this.connSeq, socket);
        this.all.add(conn);
        socket.once('close', () => this.all.delete(conn));
        resolve(conn);
      });
    });
  }

  private async acquire(): Promise<Connection | { error: string }> {
    while (this.idle.length > 0) {
      const conn = this.idle.pop() as Connection;
      if (!conn.closed && !conn.socket.destroyed) return conn;
    }
    return this.connect();
  }

  async call(method: string, ...args: unknown[]): Promise<RpcOutcome> {
    const msgId = ++this.msgId;
    this.callCount++;
    const got = await this.acquire();
    if (!(got instanceof Connection)) {
      // Kong logs `trying to connect: <err>` here; the caller does, with the request's log
      return { ok: false, error: got.error, stage: 'connect' };
    }
    const conn = got;
    const request = [0, msgId, method, args];
    this.options.onWire?.({ t: Date.now(), conn: conn.id, dir: 'kong->ps', msg: request });
    conn.socket.write(encodeMsgpack(request));
    for (;;) {
      const data = await conn.next(this.options.timeoutMs ?? 30_000);
      if (data === undefined || data === 'timeout') {
        conn.socket.destroy();
        return { ok: false, error: data === 'timeout' ? 'timeout' : 'no data', stage: 'io' };
      }
      this.options.onWire?.({ t: Date.now(), conn: conn.id, dir: 'ps->kong', msg: data });
      if (data[0] === 2) {
        this.options.onNotification?.(data[1], data[2]);
        continue;
      }
      if (data[0] !== 1 || data[1] !== msgId) {
        // Kong asserts here ("unexpected RPC response ID from Go plugin server")
        conn.socket.destroy();
        return { ok: false, error: `unexpected RPC response ${JSON.stringify(data.slice(0, 2))} for #${msgId}`, stage: 'io' };
      }
      this.idle.push(conn);
      if (data[2] !== null && data[2] !== undefined) return { ok: false, error: String(data[2]), stage: 'remote' };
      return { ok: true, result: data[3] };
    }
  }

  /** Drops pooled connections (the next call reconnects), as after a plugin-server restart. */
  close(): void {
    for (const conn of this.all) conn.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
