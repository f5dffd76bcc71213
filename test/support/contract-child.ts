/**
 * The whole store contract (test/plugins/store/contract.ts) in a fresh vitest process, for what
 * only a process's start can set: NODE_EXTRA_CA_CERTS, read once when Node starts, is how a
 * plugin server trusts a private CA (store-child.ts does one round trip the same way; this runs
 * every contract case). Resolves with the child's counts and failure messages.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RedisStoreConfig } from '../../plugins/shared/store';
import { REPO_ROOT } from '../harness';

export interface ContractOutcome {
  passed: number;
  failed: number;
  total: number;
  /** "<test name>: <first failure line>" per failed test, and the child's output when it ran nothing. */
  failures: string[];
}

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: Array<{ message?: string; assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }> }>;
}

export function runStoreContractInChild(title: string, redis: RedisStoreConfig, env: NodeJS.ProcessEnv = {}): Promise<ContractOutcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-contract-'));
  const out = path.join(dir, 'report.json');
  // The parent is a vitest worker: its VITEST_* variables would make the child think it is one too.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const args = [
    path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--config',
    path.join(REPO_ROOT, 'test', 'plugins', 'store', 'in-child', 'vitest.config.mts'),
    '--root',
    REPO_ROOT,
    '--reporter=json',
    `--outputFile=${out}`,
  ];
  return new Promise<ContractOutcome>((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: REPO_ROOT, env: { ...base, ...env, STORE_CONTRACT_TITLE: title, STORE_CONTRACT_REDIS: JSON.stringify(redis) }, timeout: 180_000, encoding: 'utf8', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (!fs.existsSync(out)) return reject(new Error(`the contract child wrote no report (${error?.message ?? 'exit 0'}):\n${stdout}\n${stderr}`));
        const report = JSON.parse(fs.readFileSync(out, 'utf8')) as JsonReport;
        const failures = report.testResults.flatMap((f) => [
          ...(f.message ? [f.message] : []),
          ...f.assertionResults.filter((a) => a.status === 'failed').map((a) => `${a.fullName}: ${(a.failureMessages[0] ?? '').split('\n')[0]}`),
        ]);
        if (report.numTotalTests === 0) failures.push(`${stdout}\n${stderr}`);
        resolve({ passed: report.numPassedTests, failed: report.numFailedTests, total: report.numTotalTests, failures });
      },
    );
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}
