/**
 * The claim protocol of plugins/shared/store/types.ts as one suite, run identically on every
 * backend and Redis topology (store-contract.test.ts: memory and a single redis-server; the
 * redis-*.test.ts files: ACL, database, TLS, Sentinel, Cluster). Owner checks, TTLs, claim info,
 * binary values.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store, StoreKind } from '../../../plugins/shared/store';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The contract as a describe block: `title` names the backend (and topology), `kind` is what the
 * store reports, `make` opens a fresh store (a new namespace) on it.
 */
export function describeStoreContract(title: string, kind: StoreKind, make: () => Store): void {
  describe(title, () => {
    contract(kind, make);
  });
}

function contract(kind: StoreKind, make: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = make();
  });

  it('reports its kind', () => {
    expect(store.kind).toBe(kind);
  });

  it('grants a free key to exactly one claimer and shows the claim to the others', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('k', 10_000, Buffer.from('fp-1'))));
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    for (const r of results.filter((x) => !x.acquired)) {
      if (r.acquired) throw new Error('unreachable');
      expect(r.entry?.state).toBe('claimed');
      expect(r.entry?.state === 'claimed' && r.entry.info.toString()).toBe('fp-1');
      expect(r.entry!.ttlMs).toBeGreaterThan(0);
      expect(r.entry!.ttlMs).toBeLessThanOrEqual(10_000);
    }
  });

  it('lets only the owner complete, and then serves the value to everyone', async () => {
    const first = await store.claim('order-1', 10_000);
    if (!first.acquired) throw new Error('expected the claim');
    const forged = { key: 'order-1', token: 'f'.repeat(32) };
    expect(await store.complete(forged, Buffer.from('evil'), 10_000)).toBe(false);
    expect(await store.release(forged)).toBe(false);
    expect((await store.get('order-1'))?.state).toBe('claimed');

    const value = Buffer.from([0, 1, 2, 255, 0x0d, 0x0a, 0x80, 0xfe]);
    expect(await store.complete(first.claim, value, 60_000)).toBe(true);
    const entry = await store.get('order-1');
    expect(entry?.state).toBe('completed');
    expect(entry?.state === 'completed' && entry.value.equals(value)).toBe(true);
    expect(entry!.ttlMs).toBeGreaterThan(10_000);

    const again = await store.claim('order-1', 10_000);
    expect(again.acquired).toBe(false);
    expect(!again.acquired && again.entry?.state).toBe('completed');
  });

  it('never releases a completed value, and never completes twice', async () => {
    const c = await store.claim('done', 10_000);
    if (!c.acquired) throw new Error('expected the claim');
    expect(await store.complete(c.claim, Buffer.from('v1'), 10_000)).toBe(true);
    expect(await store.release(c.claim)).toBe(false);
    expect(await store.complete(c.claim, Buffer.from('v2'), 10_000)).toBe(false);
    const entry = await store.get('done');
    expect(entry?.state === 'completed' && entry.value.toString()).toBe('v1');
  });

  it('releases the owner claim so the next request can claim again', async () => {
    const c = await store.claim('retry', 10_000);
    if (!c.acquired) throw new Error('expected the claim');
    expect(await store.release(c.claim)).toBe(true);
    expect(await store.get('retry')).toBeUndefined();
    expect(await store.release(c.claim)).toBe(false);
    const next = await store.claim('retry', 10_000);
    expect(next.acquired).toBe(true);
    if (next.acquired) expect(next.claim.token).not.toBe(c.claim.token);
  });

  it('an expired claim is free again, and its former owner can no longer touch it', async () => {
    const old = await store.claim('slow', 40);
    if (!old.acquired) throw new Error('expected the claim');
    await sleep(250);
    expect(await store.get('slow')).toBeUndefined();
    const fresh = await store.claim('slow', 10_000);
    if (!fresh.acquired) throw new Error('expected the claim after expiry');
    expect(await store.complete(old.claim, Buffer.from('late'), 10_000)).toBe(false);
    expect(await store.release(old.claim)).toBe(false);
    expect((await store.get('slow'))?.state).toBe('claimed');
    expect(await store.complete(fresh.claim, Buffer.from('ok'), 10_000)).toBe(true);
  });

  it('a completed value expires after its own TTL', async () => {
    const c = await store.claim('short', 10_000);
    if (!c.acquired) throw new Error('expected the claim');
    await store.complete(c.claim, Buffer.from('v'), 40);
    await sleep(250);
    expect(await store.get('short')).toBeUndefined();
    expect((await store.claim('short', 10_000)).acquired).toBe(true);
  });

  it('keeps keys apart per namespace', async () => {
    const other = make();
    expect((await store.claim('same', 10_000)).acquired).toBe(true);
    expect((await other.claim('same', 10_000)).acquired).toBe(true);
  });

  it('refuses programming errors with TypeError', async () => {
    await expect(store.claim('', 1000)).rejects.toThrow(TypeError);
    await expect(store.claim('k2', 0)).rejects.toThrow(TypeError);
    await expect(store.claim('k2', 1.5)).rejects.toThrow(TypeError);
  });
}
