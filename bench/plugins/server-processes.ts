/**
 * Plugin-server processes for the benchmark: ours (bin/kong-plugin-server.js) or kong-pdk's
 * kong-js-pluginserver, started with the same command line shape, optionally with the GC preload
 * (server-gc-preload.ts) for memory settles. Unlike the harness's PluginServerProcess, output is
 * scanned and dropped (a million "unhandled exception" lines must not pile up in this process),
 * keeping only the last lines for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KONG_JS_PLUGINSERVER, REPO_ROOT } from '../../test/harness';

/** `bare` is a reference, not a plugin server: server-bare.ts. */
export type ServerKind = 'ours' | 'kong-pdk' | 'bare';

export const SERVER_SCRIPT: Record<ServerKind, string> = {
  ours: path.join(REPO_ROOT, 'bin', 'kong-plugin-server.js'),
  'kong-pdk': KONG_JS_PLUGINSERVER,
  bare: path.join(__dirname, 'server-bare.js'),
};
const GC_PRELOAD = path.join(__dirname, 'server-gc-preload.js');

/** process.memoryUsage() of the server after a full GC. */
export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class BenchServer {
  readonly socketPath: string;
  private child: ChildProcess | undefined;
  private partial = '';
  private readonly tail: string[] = [];
  private readonly memory = new Map<number, MemorySample>();
  private settles = 0;

  constructor(
    readonly kind: ServerKind,
    readonly pluginsDirectory: string,
    private readonly withGc: boolean,
  ) {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${kind}-`));
    this.socketPath = path.join(prefix, 'bench.sock');
  }

  get pid(): number {
    return this.child?.pid as number;
  }

  /** `cpu`: run the server on that CPU only (taskset), apart from the driver. */
  async start(cpu?: number): Promise<void> {
    // for memory runs: V8's young generation at its full size from the start (the default grows
    // it 1 → 16 MB per semi-space over the first minutes), so that RSS growth is retained memory
    const nodeFlags = this.withGc ? ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16', '-r', GC_PRELOAD] : [];
    const prefix = path.dirname(this.socketPath);
    const argv = [...nodeFlags, SERVER_SCRIPT[this.kind], '--plugins-directory', this.pluginsDirectory, '--kong-prefix', prefix, '--sock-name', path.basename(this.socketPath)];
    const [command, args] = cpu === undefined ? [process.execPath, argv] : ['taskset', ['-c', String(cpu), process.execPath, ...argv]];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const ingest = (c: Buffer): void => this.ingest(c.toString('utf8'));
    child.stdout?.on('data', ingest);
    child.stderr?.on('data', ingest);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.kind} plugin server exited ${child.exitCode}:\n${this.tail.join('\n')}`);
      if (fs.existsSync(this.socketPath) && (await canConnect(this.socketPath))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${this.kind} plugin server did not listen within 20 s:\n${this.tail.join('\n')}`);
  }

  private ingest(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /BENCH-MEMORY (\d+) (\{.*\})/.exec(line);
      if (m) {
        const u = JSON.parse(m[2]) as MemorySample;
        this.memory.set(Number(m[1]), u);
        continue;
      }
      this.tail.push(line);
      if (this.tail.length > 50) this.tail.shift();
    }
  }

  /** Full GC in the server, then its memory (needs the GC preload). */
  async settle(): Promise<MemorySample> {
    const n = ++this.settles;
    process.kill(this.pid, 'SIGUSR2');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const m = this.memory.get(n);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`${this.kind} plugin server did not report memory:\n${this.tail.join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** CPU time (user + system) the server used so far, in ms (Linux /proc). */
  cpuMs(): number {
    const fields = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
