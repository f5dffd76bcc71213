/** Starting the project's plugin server (bin/kong-plugin-server.js, built to dist/) under the harness. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MsgpackRpcClient, MsgpackStreamDecoder, PluginServerProcess, REPO_ROOT, encodeMsgpack, runQueryCommand, type PluginInfo } from '../harness';

export const OUR_SERVER_BIN = path.join(REPO_ROOT, 'bin', 'kong-plugin-server.js');
const OUR_ENTRY = path.join(REPO_ROOT, 'dist', 'plugins', 'server', 'main.js');
export const SERVER_FIXTURES = path.join(__dirname, 'fixtures');

/** The plugins directory test/plugin-server/fixtures/<name>. */
export function fixtureDir(name: string): string {
  return path.join(SERVER_FIXTURES, name);
}

function assertBuilt(): void {
  if (!fs.existsSync(OUR_ENTRY)) throw new Error(`${OUR_ENTRY} is missing: run \`npm run build\` before these tests`);
}

export interface OurServerOptions {
  pluginsDirectory: string;
  sockName?: string;
  prefix?: string;
  verbose?: number;
  /** Extra command-line options (--instance-ttl 0.2 ...). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** The argv kong.conf would run: `kong-plugin-server -v --plugins-directory <dir> --kong-prefix <p> --sock-name <s>`. */
export function ourServerArgv(options: OurServerOptions, prefix: string, sockName: string): string[] {
  const v = Array.from({ length: options.verbose ?? 1 }, () => '-v');
  return [process.execPath, OUR_SERVER_BIN, ...v, '--plugins-directory', path.resolve(options.pluginsDirectory), '--kong-prefix', prefix, '--sock-name', sockName, ...(options.args ?? [])];
}

/** Our server as a harness PluginServerProcess (not started). */
export function ourServer(options: OurServerOptions): PluginServerProcess {
  assertBuilt();
  const prefix = options.prefix ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ours-'));
  const sockName = options.sockName ?? 'js_pluginserver.sock';
  return new PluginServerProcess({ argv: ourServerArgv(options, prefix, sockName), socketPath: path.join(prefix, sockName), env: options.env });
}

/** `kong-plugin-server --plugins-directory <dir> --dump-all-plugins`, parsed as Kong does. */
export function ourDumpAllPlugins(dir: string): Promise<PluginInfo[]> {
  assertBuilt();
  return runQueryCommand([process.execPath, OUR_SERVER_BIN, '--plugins-directory', path.resolve(dir), '--dump-all-plugins']);
}

export interface ServerStatus {
  Pid: number;
  Plugins: Record<string, { Name: string; Instances: Array<{ Id: number }> }>;
  Events: { InFlight: number; AwaitingKong: number; Started: number; Ended: { Ret: number; Exit: number; Error: number; Exception: number; Dropped: number }; Refused: number };
  InstanceCount: number;
}

/** plugin.GetStatus over a fresh connection. */
export async function serverStatus(socketPath: string): Promise<ServerStatus> {
  const rpc = new MsgpackRpcClient(socketPath);
  try {
    const res = await rpc.call('plugin.GetStatus');
    if (!res.ok) throw new Error(`GetStatus failed: ${res.error}`);
    return res.result as ServerStatus;
  } finally {
    rpc.close();
  }
}

/** Polls `probe` until it returns a value that is not undefined; fails after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A raw connection to a plugin server for byte-level tests: write any bytes, read every
 * message the server sends back (framed with the harness's decoder).
 */
export class RawConnection {
  private readonly decoder = new MsgpackStreamDecoder();
  readonly received: unknown[][] = [];
  closed = false;
  private wake: (() => void) | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      for (const m of this.decoder.push(c)) this.received.push(m as unknown[]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static open(socketPath: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.createConnection(socketPath);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawConnection(s));
      });
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }

  request(msgid: number, method: string, ...params: unknown[]): Buffer {
    return encodeMsgpack([0, msgid, method, params]);
  }

  /** Waits until `n` messages were received in all (or fails after `timeoutMs`). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<unknown[][]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.received.length} of ${n} messages`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`received ${this.received.length} of ${n} messages within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.received;
  }

  close(): void {
    this.socket.destroy();
  }
}
