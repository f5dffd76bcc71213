/**
 * Kong's side of plugin events at the RPC level, for the plugin-server benchmark. It follows
 * Kong's bridge loop (rpc/mp_rpc.lua handle_event): HandleEvent, then one Step per PDK call until
 * "ret"; exit/error end the event with no Step; each Step carries no Data (what Kong sends for a
 * missing header). Like Kong's keep-alive pool, each concurrent event has a connection of its
 * own and one request at a time on it (no pipelining).
 *
 * Deliberately lean (callbacks, one encoder, the server's own framer): the harness's
 * MsgpackRpcClient — a promise and a timer per call — saturates one core at ~35k RPC/s on the
 * 2-core reference machine whichever server answers, so it would measure itself. For the same
 * reason the per-event messages are written from pre-encoded pieces and a "ret" answer is read
 * without the general decoder (Kong's side does this work in C and LuaJIT): with the library on
 * both, the driver topped out near 100k events/s, below what the project's server serves.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Encoder } from '@msgpack/msgpack';
import { MessageFramer } from '../../plugins/server/framing';
import { decodeRetAnswer, uintBytes } from '../../plugins/server/hot-messages';

export interface DriverSample {
  events: number;
  rpcs: number;
  elapsedMs: number;
  /** Per-event latency (ms), when kept. */
  latencies: number[];
}

const NON_RETURN = new Set(['kong.response.exit', 'kong.response.error']);
const encoder = new Encoder();

/** `[0, msgid, method, [param]]`: the method and a param seen before come pre-encoded; a Step's `{EventId}` is built by hand. */
const encodedTails = new Map<string, WeakMap<object, Uint8Array>>();
const STEP_HEAD = Uint8Array.from([...encoder.encode('plugin.Step'), 0x91, 0x81, ...encoder.encode('EventId')]);
function encodeRequest(msgid: number, method: string, param: unknown): Uint8Array {
  const id = uintBytes(msgid);
  if (id === undefined || param === null || typeof param !== 'object') return encoder.encode([0, msgid, method, [param]]);
  let tail: Uint8Array | undefined;
  const eventId = (param as { EventId?: unknown }).EventId;
  const eventIdBytes = method === 'plugin.Step' && Object.keys(param).length === 1 && typeof eventId === 'number' ? uintBytes(eventId) : undefined;
  if (eventIdBytes !== undefined) {
    tail = Uint8Array.from([...STEP_HEAD, ...eventIdBytes]);
  } else {
    let byParam = encodedTails.get(method);
    if (byParam === undefined) encodedTails.set(method, (byParam = new WeakMap()));
    tail = byParam.get(param);
    if (tail === undefined) {
      tail = Uint8Array.from([...encoder.encode(method), 0x91, ...encoder.encode(param)]);
      byParam.set(param, tail);
    }
  }
  const out = new Uint8Array(2 + id.length + tail.length);
  out[0] = 0x94;
  out[1] = 0x00;
  out.set(id, 2);
  out.set(tail, 2 + id.length);
  return out;
}

// Requests are written once per turn of the event loop, as the answers that prompted them
// arrive in bursts (one nginx worker serving many requests does the same)
let toWrite: KongConnection[] = [];

function writeAll(): void {
  const connections = toWrite;
  toWrite = [];
  for (const c of connections) c.flush();
}

function scheduleWrite(c: KongConnection): void {
  if (toWrite.length === 0) setImmediate(writeAll);
  toWrite.push(c);
}

class KongConnection {
  private readonly framer = new MessageFramer(undefined, undefined, decodeRetAnswer);
  private msgid = 0;
  private pending: ((error: unknown, result: unknown) => void) | undefined;
  private out: Uint8Array | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) =>
      this.framer.push(chunk, (m) => {
        const [, , error, result] = m as [number, number, unknown, unknown];
        const cb = this.pending;
        this.pending = undefined;
        cb?.(error, result);
      }),
    );
  }

  static open(socketPath: string): Promise<KongConnection> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(socketPath);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new KongConnection(s));
      });
    });
  }

  call(method: string, param: unknown, cb: (error: unknown, result: unknown) => void): void {
    this.pending = cb;
    this.out = encodeRequest(++this.msgid, method, param);
    scheduleWrite(this);
  }

  flush(): void {
    const out = this.out;
    this.out = undefined;
    if (out !== undefined) this.socket.write(out);
  }

  callAsync(method: string, param: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => this.call(method, param, (e, r) => (e ? reject(new Error(String(e))) : resolve(r))));
  }

  close(): void {
    this.socket.destroy();
  }
}

export class BridgeDriver {
  private readonly connections: KongConnection[] = [];
  private instanceId: number | undefined;

  private constructor(private readonly socketPath: string) {}

  static async connect(socketPath: string, concurrency: number): Promise<BridgeDriver> {
    const d = new BridgeDriver(socketPath);
    for (let i = 0; i < concurrency; i++) d.connections.push(await KongConnection.open(socketPath));
    return d;
  }

  /** plugin.StartInstance as Kong sends it (Config is a JSON string). */
  async startInstance(name: string, config: Record<string, unknown>): Promise<number> {
    const result = (await this.connections[0].callAsync('plugin.StartInstance', { Name: name, Config: JSON.stringify({ __seq__: 0, __plugin_id: 'bench', ...config }) })) as { Id: number };
    this.instanceId = result.Id;
    return result.Id;
  }

  /** Any RPC on the first connection (GetStatus...). */
  call(method: string, param?: unknown): Promise<unknown> {
    return this.connections[0].callAsync(method, param);
  }

  /** Runs events on every connection until `durationMs` passed or `maxEvents` ran. */
  run(options: { durationMs?: number; maxEvents?: number; keepLatencies?: boolean; onProgress?: (done: number) => void }): Promise<DriverSample> {
    const sample: DriverSample = { events: 0, rpcs: 0, elapsedMs: 0, latencies: [] };
    const start = performance.now();
    const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : start + options.durationMs;
    const max = options.maxEvents ?? Number.POSITIVE_INFINITY;
    const handle = { InstanceId: this.instanceId, EventName: 'access' };
    let issued = 0;
    let running = this.connections.length;
    return new Promise((resolve, reject) => {
      const workerDone = (): void => {
        if (--running === 0) {
          sample.elapsedMs = performance.now() - start;
          resolve(sample);
        }
      };
      const next = (conn: KongConnection): void => {
        if (issued >= max || performance.now() >= deadline) return workerDone();
        issued++;
        const t0 = options.keepLatencies ? performance.now() : 0;
        const answered = (error: unknown, result: unknown): void => {
          sample.rpcs++;
          if (error) return reject(new Error(`plugin server error: ${String(error)}`));
          const { Data: data, EventId: eventId } = result as { Data: unknown; EventId: number };
          const method = (data as { Method?: string } | null)?.Method;
          if (data !== 'ret' && (method === undefined || !NON_RETURN.has(method))) {
            conn.call('plugin.Step', { EventId: eventId }, answered);
            return;
          }
          if (options.keepLatencies) sample.latencies.push(performance.now() - t0);
          sample.events++;
          if (options.onProgress && sample.events % 100_000 === 0) options.onProgress(sample.events);
          next(conn);
        };
        conn.call('plugin.HandleEvent', handle, answered);
      };
      for (const c of this.connections) next(c);
    });
  }

  close(): void {
    for (const c of this.connections) c.close();
  }
}
