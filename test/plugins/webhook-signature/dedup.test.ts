/**
 * The de-duplication protocol on the shared store (memory backend here; Redis and two plugin
 * servers in dedup.harness.test.ts): claim, duplicate, in flight, complete on 2xx from the
 * upstream, release otherwise, a lost claim, store outages.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { luaString } from '../../harness/lua-strings';
import { MemoryStore } from '../../../plugins/shared/store/memory';
import { StoreUnavailableError, type ClaimResult, type Store } from '../../../plugins/shared/store/types';
import { admit, claimFromCtx, dedupKey, eventIdOf, settle, unsignedIdBody } from '../../../plugins/webhook-signature/dedup';
import { compiled } from './pure';
import { newWhsec } from './signing';
import { headerMap } from '../../../plugins/webhook-signature/headers';

const memory = () => new MemoryStore({ maxEntries: 1000, maxBytes: 1 << 20 });

describe('admit and settle', () => {
  it('first claim wins, a concurrent one is in flight, a completed one is a duplicate', async () => {
    const store = memory();
    const first = await admit(store, 'k', 60_000);
    expect(first.kind).toBe('claimed');
    const second = await admit(store, 'k', 60_000);
    expect(second).toEqual({ kind: 'in_flight', retryAfterSeconds: 60 });
    if (first.kind !== 'claimed') return;
    expect(await settle(store, first.claim, 204, true, 3_600_000, 1_700_000_000)).toBe('completed');
    expect(await admit(store, 'k', 60_000)).toEqual({ kind: 'duplicate' });
    const entry = await store.get('k');
    expect(entry?.state === 'completed' && JSON.parse(entry.value.toString())).toEqual({ status: 204, at: 1_700_000_000 });
  });

  it.each([
    [500, true],
    [404, true],
    [200, false], // a 2xx from a later plugin's exit, not from the upstream
  ])('status %i (from the upstream: %s) releases the id for the retry', async (status, fromService) => {
    const store = memory();
    const a = await admit(store, 'k', 60_000);
    if (a.kind !== 'claimed') throw new Error('not claimed');
    expect(await settle(store, a.claim, status, fromService, 3_600_000, 0)).toBe('released');
    expect((await admit(store, 'k', 60_000)).kind).toBe('claimed');
  });

  it("a claim that is no longer ours is 'lost' and left alone", async () => {
    const store = memory();
    const a = await admit(store, 'k', 60_000);
    if (a.kind !== 'claimed') throw new Error('not claimed');
    await store.release(a.claim);
    const b = await admit(store, 'k', 60_000);
    expect(b.kind).toBe('claimed');
    expect(await settle(store, a.claim, 200, true, 3_600_000, 0)).toBe('lost');
    expect((await store.get('k'))?.state).toBe('claimed');
  });

  it('a store outage is reported, not thrown; other errors propagate', async () => {
    const down: Store = {
      kind: 'redis',
      claim: () => Promise.reject(new StoreUnavailableError('connection refused', 'redis')),
      complete: () => Promise.reject(new StoreUnavailableError('connection refused', 'redis')),
      release: () => Promise.reject(new StoreUnavailableError('connection refused', 'redis')),
      get: () => Promise.reject(new StoreUnavailableError('connection refused', 'redis')),
    };
    const a = await admit(down, 'k', 1000);
    expect(a.kind).toBe('unavailable');
    const broken: Store = { ...down, claim: () => Promise.reject(new TypeError('bug')) };
    await expect(admit(broken, 'k', 1000)).rejects.toThrow('bug');
    await expect(settle(down, { key: 'k', token: 't' }, 200, true, 1000, 0)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a claim that vanished between SET NX and the read is retried once', async () => {
    const store = memory();
    let calls = 0;
    const racing: Store = {
      kind: 'memory',
      claim: (key, ttl): Promise<ClaimResult> => (++calls === 1 ? Promise.resolve({ acquired: false, entry: undefined }) : store.claim(key, ttl)),
      complete: (c, v, t) => store.complete(c, v, t),
      release: (c) => store.release(c),
      get: (k) => store.get(k),
    };
    expect((await admit(racing, 'k', 1000)).kind).toBe('claimed');
    expect(calls).toBe(2);
  });
});

describe('event ids', () => {
  const headers = headerMap({ 'webhook-id': ['msg_1'], 'x-twice': ['a', 'b'] });
  it('from a header sent once', () => {
    expect(eventIdOf({ header: 'webhook-id' }, headers, Buffer.alloc(0))).toBe('msg_1');
    expect(eventIdOf({ header: 'x-twice' }, headers, Buffer.alloc(0))).toBeUndefined();
    expect(eventIdOf({ header: 'x-none' }, headers, Buffer.alloc(0))).toBeUndefined();
    // the id the signature covers, whichever header carried it
    expect(eventIdOf({ signedId: 'webhook-id' }, headers, Buffer.alloc(0), 'msg_signed')).toBe('msg_signed');
  });
  it('from a top-level JSON field (string or number), own properties only', () => {
    const of = (body: string, field = 'id') => eventIdOf({ jsonField: field }, headers, Buffer.from(body));
    expect(of('{"id":"evt_1","object":"event"}')).toBe('evt_1');
    expect(of('{"event_id":12345}', 'event_id')).toBe('12345');
    expect(of('{"id":""}')).toBeUndefined();
    expect(of('{"id":{"nested":1}}')).toBeUndefined();
    expect(of('[{"id":"x"}]')).toBeUndefined();
    expect(of('token=abc&id=x')).toBeUndefined();
    expect(of('{}', 'constructor')).toBeUndefined();
  });
  it('keys are namespaced and hashed', () => {
    expect(dedupKey('plugin-1', 'evt_1')).toMatch(/^plugin-1:[A-Za-z0-9_-]{43}$/);
    expect(dedupKey('plugin-1', 'evt_1')).not.toBe(dedupKey('plugin-2', 'evt_1'));
  });
  it("keys an id by its bytes: ids differing only in invalid bytes stay apart, a UTF-8 id's key is unchanged", () => {
    const id = (tail: number) => luaString(Buffer.from([...Buffer.from('evt_'), tail]));
    expect(dedupKey('p', id(0xfc))).not.toBe(dedupKey('p', id(0xfd)));
    // the key stores made before: base64url(sha256(utf8(id))) after the namespace
    expect(dedupKey('p', 'évt_1')).toBe(`p:${createHash('sha256').update('évt_1', 'utf8').digest('base64url')}`);
  });
  it('an id the signature does not cover is keyed with the body: same id and body collide, another body does not', () => {
    const body = Buffer.from('{"n":1}');
    const bound = dedupKey('p', 'evt_1', unsignedIdBody({ header: 'x-event-id' }, body));
    expect(bound).toMatch(/^p:[A-Za-z0-9_-]{43}$/);
    expect(dedupKey('p', 'evt_1', Buffer.from('{"n":1}'))).toBe(bound);
    expect(dedupKey('p', 'evt_1', Buffer.from('{"n":2}'))).not.toBe(bound);
    expect(dedupKey('p', 'evt_2', body)).not.toBe(bound);
    expect(bound).not.toBe(dedupKey('p', 'evt_1'));
    // ids the signature covers are keyed on the id alone
    expect(unsignedIdBody({ signedId: 'webhook-id' }, body)).toBeUndefined();
    expect(unsignedIdBody({ jsonField: 'id' }, body)).toBeUndefined();
  });
  it('the event id source says whether the signature covers the id', () => {
    const custom = (signed_content: string, dedup: Record<string, unknown> = {}) =>
      compiled({ scheme: 'custom', secrets: ['s'], custom: { signature_header: 'X-Sig', id_header: 'X-Event-Id', signed_content }, dedup: { enabled: true, ...dedup } }).dedup!.source;
    expect(custom('{id}.{body}')).toEqual({ signedId: 'x-event-id' });
    expect(custom('{body}')).toEqual({ header: 'x-event-id' });
    expect(custom('{id}.{body}', { id_header: 'X-Event-Id' })).toEqual({ header: 'x-event-id' });
    expect(compiled({ scheme: 'github', secrets: ['s'], dedup: { enabled: true } }).dedup!.source).toEqual({ header: 'x-github-delivery' });
    expect(compiled({ scheme: 'shopify', secrets: ['s'], dedup: { enabled: true } }).dedup!.source).toEqual({ header: 'x-shopify-event-id' });
    expect(compiled({ secrets: [newWhsec()], dedup: { enabled: true } }).dedup!.source).toEqual({ signedId: 'webhook-id' });
    expect(compiled({ scheme: 'stripe', secrets: ['s'], dedup: { enabled: true } }).dedup!.source).toEqual({ jsonField: 'id' });
  });
  it('claims come back from kong.ctx.shared only when well formed', () => {
    expect(claimFromCtx({ key: 'k', token: 't' })).toEqual({ key: 'k', token: 't' });
    expect(claimFromCtx(undefined)).toBeUndefined();
    expect(claimFromCtx({ key: 'k' })).toBeUndefined();
  });
});
