/**
 * A real `redis-server` for tests: a free loopback port, a temp working directory, no persistence
 * (`--save '' --appendonly no`). `stop()` kills it (a store outage), `start()` brings it back on
 * the same port (recovery). Needs redis-server on PATH or at /usr/bin/redis-server (CI installs
 * Debian's package).
 *
 * Options make the other servers the store must work with: more arguments (ACL users,
 * requirepass, cluster mode, replicaof), TLS only (the port serves TLS, no plain port), a config
 * file (Sentinel rewrites its own, so it must have one) and Sentinel mode. `cli()` runs redis-cli
 * against it with the credentials and TLS it needs: raw checks independent of ioredis.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

const CANDIDATES = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server'].filter(
  (p): p is string => typeof p === 'string' && p !== '',
);

export function redisServerBinary(): string {
  for (const candidate of CANDIDATES) if (fs.existsSync(candidate)) return candidate;
  return 'redis-server';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export function redisCliBinary(): string {
  const besideServer = path.join(path.dirname(redisServerBinary()), 'redis-cli');
  return fs.existsSync(besideServer) ? besideServer : 'redis-cli';
}

/** One RESP command over a fresh socket (TLS with `tlsOptions`); resolves with the raw reply text. */
export function redisCommand(port: number, args: string[], timeoutMs = 1000, tlsOptions?: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsOptions ? tls.connect({ host: '127.0.0.1', port, ...tlsOptions }) : net.connect({ host: '127.0.0.1', port });
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

export interface RedisServerOptions {
  /** More redis-server arguments, e.g. `['--requirepass', 'pw']` or `['--cluster-enabled', 'yes']`. */
  args?: string[];
  /** Serve TLS on the port (and no plain port) with these PEM files; clients need no certificate. */
  tls?: { cert: string; key: string; ca: string };
  /** The contents of a config file given before the arguments (Sentinel needs a writable one). */
  config?: string;
  /** Run as a Sentinel (`redis-server <config> --sentinel`). */
  sentinel?: boolean;
  /** Credentials cli() and flush() use: `password` alone is requirepass, with `username` an ACL user. */
  auth?: { username?: string; password: string };
}

/** Probes readiness: any reply means the server is up (-NOAUTH too: it answers, it wants a password). */
function answers(reply: string): boolean {
  return reply.startsWith('+PONG') || reply.startsWith('-NOAUTH');
}

export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir: string;
  private output = '';

  private constructor(
    readonly port: number,
    readonly options: RedisServerOptions,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-test-'));
  }

  /** Starts a server on a free port. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(await freePort(), options);
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
    const child = spawn(redisServerBinary(), this.argv(), { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
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
          if (answers(await redisCommand(this.port, ['PING'], 500, this.options.tls ? { rejectUnauthorized: false } : undefined))) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`redis-server on ${this.port} did not answer PING:\n${this.output}`);
    })();
    await Promise.race([ready, exited]);
  }

  private argv(): string[] {
    const o = this.options;
    const argv: string[] = [];
    if (o.config !== undefined) {
      const file = path.join(this.dir, o.sentinel ? 'sentinel.conf' : 'redis.conf');
      // Written once: a Sentinel rewrites it with what it learnt (replicas, other sentinels, epochs).
      if (!fs.existsSync(file)) fs.writeFileSync(file, o.config);
      argv.push(file);
    }
    if (o.sentinel) argv.push('--sentinel');
    const port = o.tls
      ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', o.tls.cert, '--tls-key-file', o.tls.key, '--tls-ca-cert-file', o.tls.ca, '--tls-auth-clients', 'no']
      : ['--port', String(this.port)];
    argv.push(...port, '--bind', '127.0.0.1', '--dir', this.dir);
    if (!o.sentinel) argv.push('--save', '', '--appendonly', 'no', '--protected-mode', 'yes');
    argv.push(...(o.args ?? []));
    return argv;
  }

  /** The process id (undefined when not running). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.output;
  }

  /**
   * One command through redis-cli with this server's TLS and credentials (`db`: SELECT first);
   * resolves with its output, trimmed. Rejects on a reply error (redis-cli exits 0 on those, so
   * an `(error)`/`ERR` line is checked) or after `timeoutMs`.
   */
  cli(args: string[], options: { db?: number; timeoutMs?: number } = {}): Promise<string> {
    const o = this.options;
    const argv = ['-h', '127.0.0.1', '-p', String(this.port), '--no-auth-warning'];
    if (o.tls) argv.push('--tls', '--cacert', o.tls.ca);
    if (o.auth?.username) argv.push('--user', o.auth.username);
    if (o.auth) argv.push('--pass', o.auth.password);
    if (options.db !== undefined) argv.push('-n', String(options.db));
    argv.push(...args);
    return new Promise((resolve, reject) => {
      execFile(redisCliBinary(), argv, { timeout: options.timeoutMs ?? 5000, encoding: 'utf8' }, (error, stdout, stderr) => {
        const out = stdout.trim();
        if (error) return reject(new Error(`redis-cli ${args.join(' ')}: ${error.message}\n${stderr}`));
        if (/^(\(error\) )?(ERR|NOAUTH|WRONGPASS|NOPERM)\b/.test(out)) return reject(new Error(`redis-cli ${args.join(' ')}: ${out}`));
        resolve(out);
      });
    });
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
    if (this.options.tls || this.options.auth) await this.cli(['FLUSHALL']);
    else await redisCommand(this.port, ['FLUSHALL']);
  }

  /** Stops the server and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
