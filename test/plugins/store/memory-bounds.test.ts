/**
 * The memory backend stays within its configured bounds:
 * - no bookkeeping for `max_entries` slots up front: a store bounded to 1 MiB with max_entries
 *   10 000 000 (within the schema) took hundreds of MiB before holding anything, and at the
 *   schema's maximum the plugin server died of heap exhaustion when the instance was created;
 * - the store of a memory config no runtime uses any more is freed with its entries, instead of
 *   being kept for the life of the process after each edit of the bounds.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../plugins/shared/store';
import { runtimeFor } from '../../../plugins/idempotency/runtime';

function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('memory store bounds', () => {
  it('a store bounded to 1 MiB does not take hundreds of MiB (max_entries 10 000 000, within the schema)', async () => {
    const before = used();
    const store = new MemoryStore({ maxEntries: 10_000_000, maxBytes: 1024 * 1024 });
    await store.claim('k', 60_000, Buffer.from('fp'));
    const grown = used() - before;
    expect(store.stats.bytes).toBeLessThanOrEqual(1024 * 1024);
    // Generous: 64x the configured max_bytes.
    expect(grown, `memory grew by ${Math.round(grown / 1048576)} MiB for a store bounded to 1 MiB holding one entry`).toBeLessThan(64 * 1024 * 1024);
  });

  it(
    'max_entries 100 000 000 (the schema maximum) does not kill the process',
    () => {
      const memory = path.resolve(__dirname, '../../../dist/plugins/shared/store/memory.js');
      const child = spawnSync(
        process.execPath,
        ['-e', `const {MemoryStore}=require(${JSON.stringify(memory)}); new MemoryStore({maxEntries:1e8,maxBytes:67108864}).claim('k',1000).then(()=>console.log('ok'))`],
        { encoding: 'utf8', timeout: 170_000 },
      );
      expect(child.stderr).not.toMatch(/heap out of memory/);
      expect(child.status).toBe(0);
    },
    180_000,
  );

  it('drops the store of a memory config no runtime uses any more', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;

    const config = (maxBytes: number) => ({ strategy: 'memory', memory: { max_entries: 10, max_bytes: maxBytes } });
    let first: ReturnType<typeof runtimeFor> | undefined = runtimeFor(config(4096));
    expect(first.store).toBeDefined();
    await first.store!.claim('held-by-an-old-config', 60_000);
    const ref = new WeakRef(first.store!);
    first = undefined;

    // 300 later edits of the memory bounds (more than the 128 runtimes kept).
    for (let i = 1; i <= 300; i++) expect(runtimeFor(config(4096 + i)).store).toBeDefined();

    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(ref.deref(), 'the first config\'s store (and its entries) is still referenced after 300 config changes').toBeUndefined();
  });
});
