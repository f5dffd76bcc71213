/**
 * A fresh Admin API simulator for each test of a file, and a temporary folder for the decK files
 * the tests write: the set-up and checks the command tests against the simulator share.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../bench/ctl/simulator';
import { runCli } from './run-cli';

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

export interface SimSession {
  /** The current test's simulator. */
  sim(): Simulator;
  /** `--kong-addr` pointing at it. */
  addr(): string[];
  /** Writes (POST, PUT, PATCH, DELETE) it received since its stats were last reset. */
  writes(): number;
  /** `METHOD /path` of every write it received. */
  writePaths(): string[];
  /** Writes `text` to `name` in the session's folder; its path. */
  write(name: string, text: string): string;
  /** The path `name` has in the session's folder (for output files). */
  path(name: string): string;
  /** `apply -f file` must succeed with "No changes." and send Kong no write. */
  expectApplyWritesNothing(file: string, env?: NodeJS.ProcessEnv): Promise<void>;
  /**
   * Runs `body` with this test's simulator and folder pinned: whatever it goes on doing after its
   * test has ended (a property run abandoned at a timeout) reaches the closed simulator and the
   * old folder, never the next test's.
   */
  pinned<T>(body: () => Promise<T>): Promise<T>;
}

interface TestState {
  sim: Simulator;
  dir: string;
}

/** `options`: what the simulated node has beyond the recorded one (this project's plugins). */
export function simSession(prefix: string, options: Pick<SimulatorOptions, 'plugins'> = {}): SimSession {
  let sim: Simulator | undefined;
  let root = '';
  let tests = 0;
  const pin = new AsyncLocalStorage<TestState>();
  beforeAll(() => void (root = mkdtempSync(join(tmpdir(), prefix))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(async () => {
    tests++;
    sim = await startSimulator({ ...options, latencyMs: 0, record: true });
  });
  afterEach(async () => sim?.close());
  const current = () => {
    const s = pin.getStore()?.sim ?? sim;
    if (!s) throw new Error('no simulator outside a test');
    return s;
  };
  // Files written outside a pinned run (set-up in beforeAll included) share the session folder.
  const dir = () => pin.getStore()?.dir ?? root;
  const writes = () => WRITES.reduce((n, m) => n + (current().stats.byMethod[m] ?? 0), 0);
  return {
    sim: current,
    addr: () => ['--kong-addr', current().url],
    writes,
    writePaths: () => current().log.filter((r) => WRITES.includes(r.method)).map((r) => `${r.method} ${r.path}`),
    path: (name) => join(dir(), name),
    expectApplyWritesNothing: async (file, env = {}) => {
      current().resetStats();
      const r = await runCli(['apply', '-f', file, '--kong-addr', current().url], { env });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('No changes.');
      expect(writes()).toBe(0);
    },
    pinned: (body) => {
      const own = join(root, `test-${tests}`);
      mkdirSync(own, { recursive: true });
      return pin.run({ sim: current(), dir: own }, body);
    },
    write: (name, text) => {
      const f = join(dir(), name);
      writeFileSync(f, text);
      return f;
    },
  };
}
