/** The memory store stays within its entry and byte bounds by evicting least recently used entries. */
import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreEntryTooLargeError, StoreUnavailableError } from '../../../plugins/shared/store';

async function fill(store: MemoryStore, count: number, valueBytes: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await store.claim(`key-${i}`, 60_000);
    if (!r.acquired) throw new Error(`key-${i} not acquired`);
    expect(await store.complete(r.claim, Buffer.alloc(valueBytes, i % 256), 60_000)).toBe(true);
  }
}

describe('memory store bounds', () => {
  it('keeps at most max_entries, evicting the oldest', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: 1 << 20 });
    await fill(store, 25, 8);
    expect(store.stats.entries).toBe(10);
    expect(await store.get('key-0')).toBeUndefined();
    expect((await store.get('key-24'))?.state).toBe('completed');
  });

  it('keeps at most max_bytes', async () => {
    const store = new MemoryStore({ maxEntries: 100000, maxBytes: 16 * 1024 });
    await fill(store, 200, 1000);
    expect(store.stats.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(store.stats.entries).toBeLessThan(20);
    expect((await store.get('key-199'))?.state).toBe('completed');
  });

  it('refuses a value larger than the whole store as unavailable, leaving the claim to its owner', async () => {
    const store = new MemoryStore({ maxEntries: 10, maxBytes: 4096 });
    const r = await store.claim('big', 60_000);
    if (!r.acquired) throw new Error('expected the claim');
    await expect(store.complete(r.claim, Buffer.alloc(8192), 60_000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.complete(r.claim, Buffer.alloc(8192), 60_000)).rejects.toMatchObject({ name: 'StoreUnavailableError', bound: 4096, size: expect.any(Number) });
    await expect(store.complete(r.claim, Buffer.alloc(8192), 60_000)).rejects.toBeInstanceOf(StoreEntryTooLargeError);
    expect((await store.get('big'))?.state).toBe('claimed');
    expect(await store.release(r.claim)).toBe(true);
  });
});
