/**
 * Memory stores are partitioned per plugin instance: each partition has the config's whole bounds,
 * so one instance's entries never evict another's (found by review: all instances with equal bounds
 * shared one LRU). A partition with entries lives as long as its group (any partition of the same
 * namespace and bounds in use), an emptied one only while something holds it, and the same
 * partition is always the same store, so instances sharing it never split their state.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MemoryPartitions, openStore } from '../../../plugins/shared/store';

const bounds = { maxEntries: 2, maxBytes: 1 << 20 };
const memoryConfig = { strategy: 'memory' as const, memory: bounds };

async function collectGarbage(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('memory store partitions', () => {
  it('the same (namespace, bounds, partition) is the same store; another partition is another store', () => {
    const a = openStore('parts', memoryConfig, 'route-a');
    expect(openStore('parts', { strategy: 'memory', memory: { ...bounds } }, 'route-a')).toBe(a);
    expect(openStore('parts', memoryConfig, 'route-b')).not.toBe(a);
    expect(openStore('parts-other', memoryConfig, 'route-a')).not.toBe(a);
  });

  it("one partition's entries never evict another's; each keeps its own bound", async () => {
    const group = new MemoryPartitions(bounds);
    const a = group.partition('a');
    const b = group.partition('b');
    await a.claim('a-1', 60_000);
    for (let i = 0; i < 10; i++) await b.claim(`b-${i}`, 60_000);
    expect((await a.get('a-1'))?.state).toBe('claimed');
    expect(b.stats.entries).toBe(2);
  });

  it('a partition with entries outlives its holders while the group is in use; emptied, it is freed', async () => {
    const group = new MemoryPartitions(bounds);
    let idle: ReturnType<MemoryPartitions['partition']> | undefined = group.partition('idle');
    await idle.claim('k', 50);
    const ref = new WeakRef(idle);
    idle = undefined;
    await collectGarbage();
    expect(ref.deref(), 'a partition holding entries was dropped').toBeDefined();
    expect(group.partition('idle')).toBe(ref.deref());

    await new Promise((r) => setTimeout(r, 80)); // the entry expires
    group.sweep();
    expect(group.stats).toEqual({ kept: 0, idle: 1 });
    await collectGarbage();
    expect(ref.deref(), 'an empty partition nobody holds was kept').toBeUndefined();
    group.sweep();
    expect(group.stats).toEqual({ kept: 0, idle: 0 });
  });

  it('an emptied partition still held is the same store, and is kept again once written', async () => {
    const group = new MemoryPartitions(bounds);
    const held = group.partition('held');
    group.sweep(); // empty: weakly held from now on
    expect(group.stats).toEqual({ kept: 0, idle: 1 });
    expect(group.partition('held')).toBe(held);
    await held.claim('k', 60_000);
    expect(group.stats).toEqual({ kept: 1, idle: 0 });
  });
});
