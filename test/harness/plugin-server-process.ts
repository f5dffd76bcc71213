/**
 * A real plugin server process, started the way Kong starts it (kong/runloop/plugin_servers/
 * process.lua: `exec <start_cmd>`, stdout and stderr merged into Kong's log) and queried the way
 * Kong queries it (`<query_cmd>` output parsed as JSON; Kong >= 3.9 keeps only the first plugin:
 * `(dump.Plugins or dump)[1]`).
 *
 * By default it runs kong-pdk's `kong-js-pluginserver`; any command line works, so a later,
 * project-owned plugin server is tested the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MsgpackRpcClient } from './rpc-client';

/** One entry of `--dump-all-plugins` (kong-pdk server.js GetPluginInfo). */
export interface PluginInfo {
  Name: string;
  Version?: string;
  Priority: number;
  Phases: string[];
  Schema: { name: string; fields: Array<Record<string, unknown>> };
}

export interface PluginServerSpec {
  /** argv[0] is the executable. */
  argv: string[];
  /** Where the server listens; Kong's `pluginserver_<name>_socket`. */
  socketPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The project root: the nearest directory above this file holding node_modules/kong-pdk (works from dist/ too). */
function findRepoRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'node_modules', 'kong-pdk', 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const KONG_JS_PLUGINSERVER = path.join(REPO_ROOT, 'node_modules', 'kong-pdk', 'bin', 'kong-js-pluginserver');

/** Which server PluginServerProcess.underTest starts: `project` (default) or `kong-pdk`. */
export const TEST_PLUGIN_SERVER: 'project' | 'kong-pdk' = process.env.TEST_PLUGIN_SERVER === 'kong-pdk' ? 'kong-pdk' : 'project';

export class HarnessError extends Error {
  constructor(
    readonly code: 'E_PLUGIN_SERVER_START' | 'E_PLUGIN_SERVER_QUERY' | 'E_PDK_VIOLATION' | 'E_HARNESS_CONFIG',
    message: string,
  ) {
    super(message);
    this.name = 'HarnessError';
  }
}

/**
 * node-color-log (kong-pdk's logger) redraws its lines with cursor-up/erase-line escapes even
 * when stdout is a pipe; replay them like a terminal would and keep the plain text.
 */
export function cleanLogLines(raw: string[], into: string[] = []): string[] {
  for (const line of raw) {
    let rest = line;
    let ups = 0;
    for (;;) {
      const m = /^\x1b\[1A/.exec(rest);
      if (!m) break;
      ups++;
      rest = rest.slice(m[0].length);
    }
    for (let i = 0; i < ups && into.length > 0; i++) into.pop();
    // eslint-disable-next-line no-control-regex
    const text = rest.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    into.push(text);
  }
  return into;
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

export class PluginServerProcess {
  private child: ChildProcess | undefined;
  private readonly lines: string[] = [];
  private partial = '';
  private waiters: Array<() => void> = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(readonly spec: PluginServerSpec) {}

  /**
   * kong-pdk's `kong-js-pluginserver -v --plugins-directory <dir> --kong-prefix <tmp> --sock-name <name>.sock`,
   * with a fresh temporary prefix unless one is given.
   */
  static kongJs(options: { pluginsDirectory: string; prefix?: string; sockName?: string; verbose?: number }): PluginServerProcess {
    const prefix = options.prefix ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kps-'));
    const sockName = options.sockName ?? 'js_pluginserver.sock';
    const v = Array.from({ length: options.verbose ?? 1 }, () => '-v');
    return new PluginServerProcess({
      // absolute: kong-pdk's server.js require.resolve()s `<dir>/<file>`, so a relative dir reads as a package name
      argv: [process.execPath, KONG_JS_PLUGINSERVER, ...v, '--plugins-directory', path.resolve(options.pluginsDirectory), '--kong-prefix', prefix, '--sock-name', sockName],
      socketPath: path.join(prefix, sockName),
    });
  }

  /**
   * The project's own plugin server (plugins/server, built to dist/), with kong-pdk's command line:
   * what kong/js-pluginserver starts in production. Its `-v` means debug, so none by default.
   */
  static project(options: { pluginsDirectory: string; prefix?: string; sockName?: string; verbose?: number; nodeArgs?: string[] }): PluginServerProcess {
    const prefix = options.prefix ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kps-'));
    const sockName = options.sockName ?? 'js_pluginserver.sock';
    const v = Array.from({ length: options.verbose ?? 0 }, () => '-v');
    const main = path.join(REPO_ROOT, 'dist', 'plugins', 'server', 'main.js');
    return new PluginServerProcess({
      argv: [process.execPath, ...(options.nodeArgs ?? []), main, ...v, '--plugins-directory', path.resolve(options.pluginsDirectory), '--kong-prefix', prefix, '--sock-name', sockName],
      socketPath: path.join(prefix, sockName),
    });
  }

  /**
   * The plugin server the plugin tests run on: the project's (what kong/kong.conf starts), or
   * kong-pdk 0.6.0's with TEST_PLUGIN_SERVER=kong-pdk, so that both stay able to serve the
   * plugins. Both with `-v` and the command line Kong gives them.
   */
  static underTest(options: { pluginsDirectory: string; prefix: string; sockName: string; env?: NodeJS.ProcessEnv }): PluginServerProcess {
    const dir = path.resolve(options.pluginsDirectory);
    const main = TEST_PLUGIN_SERVER === 'kong-pdk' ? KONG_JS_PLUGINSERVER : path.join(REPO_ROOT, 'dist', 'plugins', 'server', 'main.js');
    return new PluginServerProcess({
      argv: [process.execPath, main, '-v', '--plugins-directory', dir, '--kong-prefix', options.prefix, '--sock-name', options.sockName],
      socketPath: path.join(options.prefix, options.sockName),
      env: options.env,
    });
  }

  get socketPath(): string {
    return this.spec.socketPath;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Whether the process exited on its own within `timeoutMs` (a crash under test). */
  async exitsWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return !this.running;
  }

  /** stdout and stderr lines, escape codes removed, as Kong would log them. */
  get logs(): readonly string[] {
    return this.lines;
  }

  private ingest(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    cleanLogLines(parts, this.lines);
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Spawns the server and resolves once its socket accepts connections. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) throw new HarnessError('E_PLUGIN_SERVER_START', 'plugin server already running');
    this.exitInfo = undefined;
    const [cmd, ...args] = this.spec.argv;
    const child = spawn(cmd, args, { cwd: this.spec.cwd, env: this.spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (c: Buffer) => this.ingest(c));
    child.stderr?.on('data', (c: Buffer) => this.ingest(c));
    child.once('exit', (code, signal) => {
      this.exitInfo = { code, signal };
      const ws = this.waiters;
      this.waiters = [];
      for (const w of ws) w();
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new HarnessError('E_PLUGIN_SERVER_START', `plugin server exited (${JSON.stringify(this.exitInfo)}) before listening on ${this.socketPath}:\n${this.lines.join('\n')}`);
      }
      if (fs.existsSync(this.socketPath) && (await canConnect(this.socketPath))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.stop();
    throw new HarnessError('E_PLUGIN_SERVER_START', `plugin server did not listen on ${this.socketPath} within ${timeoutMs} ms:\n${this.lines.join('\n')}`);
  }

  /** Kills the process (SIGTERM, then SIGKILL) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Waits until a log line matches; the line is returned. */
  async waitForLog(pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const match = (l: string): boolean => (typeof pattern === 'string' ? l.includes(pattern) : pattern.test(l));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no plugin-server log line matched ${String(pattern)} within ${timeoutMs} ms:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Runs a query command (argv, no shell) and parses its stdout as Kong does. */
export function runQueryCommand(argv: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<PluginInfo[]> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      try {
        const dump = JSON.parse(out) as unknown;
        // Kong: `local infos = dump.Plugins or dump`
        const infos = (dump && typeof dump === 'object' && 'Plugins' in dump ? (dump as { Plugins: unknown }).Plugins : dump) as PluginInfo[];
        if (!Array.isArray(infos)) throw new Error('not an array');
        resolve(infos);
      } catch (e) {
        reject(new HarnessError('E_PLUGIN_SERVER_QUERY', `query command ${argv.join(' ')} exited ${code}; output is not a plugin info table (${String(e)}):\n${out}\n${err}`));
      }
    });
  });
}

/** `kong-js-pluginserver --plugins-directory <dir> --dump-all-plugins`. */
export function dumpAllPlugins(pluginsDirectory: string): Promise<PluginInfo[]> {
  return runQueryCommand([process.execPath, KONG_JS_PLUGINSERVER, '--plugins-directory', path.resolve(pluginsDirectory), '--dump-all-plugins']);
}

/**
 * `plugin.GetPluginInfo` over the socket: the same table as the query command, for a server
 * without one (Kong itself only uses the query command; Kong 2.x's go plugins used this RPC).
 */
export async function getPluginInfo(socketPath: string, name: string): Promise<PluginInfo> {
  const rpc = new MsgpackRpcClient(socketPath);
  try {
    const res = await rpc.call('plugin.GetPluginInfo', name);
    if (!res.ok) throw new HarnessError('E_PLUGIN_SERVER_QUERY', `plugin.GetPluginInfo(${name}) on ${socketPath}: ${res.error}`);
    return res.result as PluginInfo;
  } finally {
    rpc.close();
  }
}
