/**
 * The in-process backend: the plugin server is one Node process per Kong node serving every
 * nginx worker, so a synchronous check-and-set on a Map is atomic for the whole node. Bounded by
 * entry count and bytes (lru-cache evicts the least recently used). Eviction can drop a claim in
 * flight under memory pressure; size the bounds so that only long-completed records get evicted.
 *
 * The entry count is enforced here rather than by lru-cache's `max`, which allocates its
 * bookkeeping for `max` entries up front: at the schema's largest max_entries that is gigabytes
 * before anything is stored, whatever max_bytes says. Without `max` its lists grow as entries come.
 */
import { LRUCache } from 'lru-cache';
import { checkKey, checkTtl, newOwnerToken, TOKEN_LENGTH } from './token';
import { StoreEntryTooLargeError, type Claim, type ClaimResult, type MemoryStoreOptions, type Store, type StoreEntry } from './types';

type MemoryEntry = { owner: string; info: Buffer } | { value: Buffer };

/** Rough per-entry bookkeeping cost (LRU node, object, Buffer headers), counted towards maxBytes. */
const ENTRY_OVERHEAD_BYTES = 128;

function entrySize(entry: MemoryEntry, key: string): number {
  const payload = 'value' in entry ? entry.value.length : TOKEN_LENGTH + entry.info.length;
  return ENTRY_OVERHEAD_BYTES + Buffer.byteLength(key) + payload;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly cache: LRUCache<string, MemoryEntry>;

  /**
   * `onPut`: told whenever an entry is written. The partitioned stores (index.ts) use it to hold a
   * partition strongly again once it has something to keep; its closure also keeps their whole
   * group alive for as long as any one partition is in use.
   */
  constructor(
    readonly options: MemoryStoreOptions,
    private readonly onPut?: () => void,
  ) {
    this.cache = new LRUCache<string, MemoryEntry>({
      maxSize: options.maxBytes,
      sizeCalculation: entrySize,
      // TTLs are per entry (set below); expired entries are dropped when touched or evicted.
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
    });
  }

  /** Entries and bytes held now (for tests and diagnostics). */
  get stats(): { entries: number; bytes: number } {
    return { entries: this.cache.size, bytes: this.cache.calculatedSize };
  }

  private remaining(key: string): number {
    const ttl = this.cache.getRemainingTTL(key);
    return Number.isFinite(ttl) ? Math.max(0, Math.round(ttl)) : -1;
  }

  private view(key: string, entry: MemoryEntry): StoreEntry {
    return 'value' in entry
      ? { state: 'completed', value: entry.value, ttlMs: this.remaining(key) }
      : { state: 'claimed', info: entry.info, ttlMs: this.remaining(key) };
  }

  private put(key: string, entry: MemoryEntry, ttlMs: number): void {
    if (entrySize(entry, key) > this.options.maxBytes) {
      const size = entrySize(entry, key);
      throw new StoreEntryTooLargeError(`entry of ${size} bytes exceeds the memory store bound of ${this.options.maxBytes} bytes`, size, this.options.maxBytes);
    }
    this.cache.set(key, entry, { ttl: ttlMs });
    while (this.cache.size > this.options.maxEntries) this.cache.pop();
    this.onPut?.();
  }

  async claim(key: string, ttlMs: number, info: Buffer = Buffer.alloc(0)): Promise<ClaimResult> {
    checkKey(key);
    checkTtl(ttlMs);
    const existing = this.cache.get(key);
    if (existing) return { acquired: false, entry: this.view(key, existing) };
    const owner = newOwnerToken();
    this.put(key, { owner, info: Buffer.from(info) }, ttlMs);
    return { acquired: true, claim: { key, token: owner } };
  }

  private owns(claim: Claim): boolean {
    const entry = this.cache.get(claim.key);
    return entry !== undefined && 'owner' in entry && entry.owner === claim.token;
  }

  async complete(claim: Claim, value: Buffer, ttlMs: number): Promise<boolean> {
    checkKey(claim.key);
    checkTtl(ttlMs);
    if (!this.owns(claim)) return false;
    this.put(claim.key, { value: Buffer.from(value) }, ttlMs);
    return true;
  }

  async release(claim: Claim): Promise<boolean> {
    checkKey(claim.key);
    if (!this.owns(claim)) return false;
    this.cache.delete(claim.key);
    return true;
  }

  async get(key: string): Promise<StoreEntry | undefined> {
    checkKey(key);
    const entry = this.cache.get(key);
    return entry ? this.view(key, entry) : undefined;
  }

  /** Drops the expired entries now (they are otherwise dropped only when touched or evicted). */
  purgeStale(): void {
    this.cache.purgeStale();
  }

  clear(): void {
    this.cache.clear();
  }
}
