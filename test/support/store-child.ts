/**
 * Store calls in a fresh Node process, on the built store (dist/plugins/shared/store), for what
 * only a process's start can set: NODE_EXTRA_CA_CERTS, read once when Node starts, is how a
 * plugin server trusts a private CA (the vitest worker is already running, so it cannot).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { RedisStoreConfig } from '../../plugins/shared/store';
import { REPO_ROOT } from '../harness';
import { assertPluginBuilt } from '../plugins/support/plugin-build';

export interface ChildOutcome {
  ok: boolean;
  /** claim → complete → get, when ok. */
  acquired?: boolean;
  completed?: boolean;
  value?: string;
  /** The error's name and message otherwise. */
  error?: { name: string; message: string };
}

const SCRIPT = `
const { openStore, closeAllStores } = require(process.argv[1]);
const redis = JSON.parse(process.argv[2]);
(async () => {
  const store = openStore('child', { strategy: 'redis', redis });
  let out;
  try {
    const key = 'k' + process.pid + Date.now();
    const c = await store.claim(key, 60000);
    const completed = c.acquired ? await store.complete(c.claim, Buffer.from('done'), 60000) : false;
    const e = await store.get(key);
    out = { ok: true, acquired: c.acquired, completed, value: e && e.state === 'completed' ? e.value.toString() : undefined };
  } catch (error) {
    out = { ok: false, error: { name: error.name, message: error.message } };
  }
  await closeAllStores();
  process.stdout.write(JSON.stringify(out));
})();
`;

/** One claim, complete and get with `redis` (a full RedisStoreConfig) in a process started with `env` added. */
export function storeRoundTripInChild(redis: RedisStoreConfig, env: NodeJS.ProcessEnv = {}): Promise<ChildOutcome> {
  assertPluginBuilt('idempotency');
  const entry = path.join(REPO_ROOT, 'dist', 'plugins', 'shared', 'store', 'index.js');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', SCRIPT, entry, JSON.stringify(redis)], { env: { ...process.env, ...env }, timeout: 20_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`store child failed: ${error.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as ChildOutcome);
      } catch {
        reject(new Error(`store child printed no outcome:\n${stdout}\n${stderr}`));
      }
    });
  });
}
