/** The project's plugin server as a child process of a test: spawned, its log lines awaited. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanLogLines } from '../harness';
import { eventually, fixtureDir, ourServerArgv } from './helpers';

export class ServerProc {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  out = '';

  constructor(
    argv: string[],
    readonly socketPath: string,
    env: NodeJS.ProcessEnv = {},
  ) {
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.child.stdout?.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    this.child.stderr?.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get logs(): string[] {
    return cleanLogLines(this.out.split('\n'));
  }

  waitForLog(pattern: RegExp): Promise<string> {
    return eventually(`a log line matching ${String(pattern)}:\n${this.out}`, async () => this.logs.find((l) => pattern.test(l)));
  }

  async listening(): Promise<void> {
    await this.waitForLog(/\[INFO\] server started at /);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A plugins directory with shims to the given fixtures of test/plugin-server/fixtures. */
export function shimDir(...names: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-plugins-'));
  for (const n of names) fs.writeFileSync(path.join(dir, `${n}.js`), `module.exports = require(${JSON.stringify(path.join(fixtureDir(n), `${n}.js`))});\n`);
  return dir;
}

/** Our server on `<prefix>/<sockName>` with the given fixture plugins and extra args. */
export function startOurs(prefix: string, sockName: string, plugins: string[], args: string[] = []): ServerProc {
  return new ServerProc(ourServerArgv({ pluginsDirectory: shimDir(...plugins), args }, prefix, sockName), path.join(prefix, sockName));
}
