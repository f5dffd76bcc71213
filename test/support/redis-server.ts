/**
 * A real `redis-server` for tests: a free loopback port, a temp working directory, no persistence
 * (`--save '' --appendonly no`). `stop()` kills it (a store outage), `start()` brings it back on
 * the same port (recovery). Needs redis-server on PATH or at /usr/bin/redis-server (CI installs
 * Debian's package).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CANDIDATES = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
);

export function redisServerBinary(): string {
  for (const candidate of CANDIDATES) if (fs.existsSync(candidate)) return candidate;
  return 'redis-server';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** One RESP command over a fresh socket; resolves with the raw reply text. */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis ${args[0]}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('latin1');
      if (text.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(text);
      }
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private readonly dir: string;
  private output = '';

  private constructor(readonly port: number) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-test-'));
  }

  /** Starts a server on a free port. */
  static async start(): Promise<RedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(await freePort());
      try {
        await server.start();
        return server;
      } catch (error) {
        lastError = error;
        await server.close();
      }
    }
    throw lastError;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** (Re)starts the process on this server's port and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.running) return;
    this.output = '';
    const child = spawn(
      redisServerBinary(),
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, '--protected-mode', 'yes'],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString('utf8')));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${this.output}`))),
    );
    exited.catch(() => undefined);
    const ready = (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          if ((await redisCommand(this.port, ['PING'], 500)).startsWith('+PONG')) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`redis-server on ${this.port} did not answer PING:\n${this.output}`);
    })();
    await Promise.race([ready, exited]);
  }

  /** Kills the process (SIGKILL: an abrupt outage) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Deletes every key (between tests). */
  async flush(): Promise<void> {
    await redisCommand(this.port, ['FLUSHALL']);
  }

  /** Stops the server and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
