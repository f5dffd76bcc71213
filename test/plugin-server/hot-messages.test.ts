/**
 * The hot-path codec gives exactly what @msgpack/msgpack gives, or gives up (undefined): for
 * every message Kong's per-event requests can look like, including the integer widths and key
 * orders lua-MessagePack may produce, and for near misses that must go to the general decoder.
 */
import { Decoder, Encoder, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHotRequest, decodeRetAnswer, encodeRetAnswer } from '../../plugins/server/hot-messages';
import { MessageFramer } from '../../plugins/server/framing';
import { LuaStringDecoder } from '../../plugins/server/lua-strings';

const decoder = new Decoder();

/** A map with entries in the given order, encoded as Lua would (no key sorting). */
function mapBytes(entries: Array<[string, unknown]>): number[] {
  const out = [0x80 | entries.length];
  for (const [k, v] of entries) out.push(...encode(k), ...encode(v));
  return out;
}

/** An unsigned integer in a chosen width (lua-MessagePack may pick any that fits). */
function uintIn(n: number, width: 'fix' | 8 | 16 | 32 | 64): number[] {
  if (width === 'fix' && n <= 0x7f) return [n];
  if (width === 8 && n <= 0xff) return [0xcc, n];
  if (width === 16 && n <= 0xffff) return [0xcd, n >> 8, n & 0xff];
  if (width !== 64 && n <= 0xffffffff) return [0xce, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const high = Math.floor(n / 2 ** 32);
  return [0xcf, (high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function request(msgid: number[], method: string, params: number[]): Uint8Array {
  return Uint8Array.from([0x94, 0x00, ...msgid, ...encode(method), 0x91, ...params]);
}

const width = fc.constantFrom<'fix' | 8 | 16 | 32 | 64>('fix', 8, 16, 32, 64);
const uint32 = fc.nat({ max: 0xffffffff });
/** Instance and event ids start at a random point below 2^52 (plugins/server/id-base.ts). */
const id53 = fc.oneof(uint32, fc.maxSafeNat());

describe('decodeHotRequest', () => {
  it('reads HandleEvent and Step (no Data, or Data nil) as the general decoder does, in any key order and integer width', () => {
    fc.assert(
      fc.property(id53, width, id53, width, fc.constantFrom('access', 'rewrite', 'response', 'log', 'certificate', 'preread', ''), fc.boolean(), fc.nat({ max: 2 }), (msgid, w1, id, w2, phase, swap, stepShape) => {
        const idBytes = (n: number, w: typeof w1) => uintIn(n, w);
        const handle: Array<[string, number[]]> = [
          ['InstanceId', idBytes(id, w2)],
          ['EventName', [...encode(phase)]],
        ];
        const ordered = swap ? [...handle].reverse() : handle;
        const handleParams = [0x82, ...ordered.flatMap(([k, v]) => [...encode(k), ...v])];
        const he = request(idBytes(msgid, w1), 'plugin.HandleEvent', handleParams);
        expect(decodeHotRequest(he)).toEqual(decoder.decode(he));

        const stepEntries: Array<[string, number[]]> = stepShape === 0 ? [['EventId', idBytes(id, w2)]] : [['EventId', idBytes(id, w2)], ['Data', [0xc0]]];
        const stepOrdered = swap ? [...stepEntries].reverse() : stepEntries;
        const stepParams = [0x80 | stepOrdered.length, ...stepOrdered.flatMap(([k, v]) => [...encode(k), ...v])];
        const step = request(idBytes(msgid, w1), 'plugin.Step', stepParams);
        expect(decodeHotRequest(step)).toEqual(decoder.decode(step));
      }),
      { numRuns: 500 },
    );
  });

  it('gives up on everything else, which the general decoder then reads', () => {
    const misses: Uint8Array[] = [
      Uint8Array.from(encode([0, 1, 'plugin.Step', [{ EventId: 1, Data: 'a header value' }]])),
      Uint8Array.from(encode([0, 1, 'plugin.StepMultiMap', [{ EventId: 1, Data: { a: ['1'] } }]])),
      Uint8Array.from(encode([0, 1, 'plugin.HandleEvent', [{ InstanceId: 1, EventName: 'accèss' }]])),
      Uint8Array.from(encode([0, 1, 'plugin.HandleEvent', [{ InstanceId: -1, EventName: 'access' }]])),
      Uint8Array.from(encode([0, 2 ** 53, 'plugin.HandleEvent', [{ InstanceId: 1, EventName: 'access' }]])),
      // a uint64 past 2^53 - 1 is not an exact number: the general decoder's business
      request([0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0], 'plugin.HandleEvent', mapBytes([['InstanceId', 1], ['EventName', 'access']])),
      request([0x01], 'plugin.Step', [0x81, ...encode('EventId'), 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 1]),
      Uint8Array.from(encode([0, 1, 'plugin.HandleEvent', [{ InstanceId: 1, EventName: 'access', Extra: true }]])),
      Uint8Array.from(encode([0, 1, 'plugin.HandleEvent', [{ InstanceId: 1 }]])),
      Uint8Array.from(encode([0, 1, 'plugin.HandleEvent', [{ InstanceId: 1, EventName: 'access' }, 'more']])),
      Uint8Array.from(encode([0, 1, 'plugin.Step', [{ Data: null }]])),
      Uint8Array.from(encode([0, 1, 'plugin.GetStatus', []])),
      Uint8Array.from(encode([1, 1, null, { Data: 'ret', EventId: 1 }])),
      Uint8Array.from([0x94, 0x00, 0x01, ...encode('plugin.Step'), 0x91, ...mapBytes([['EventId', 1], ['EventId', 2]])]),
    ];
    for (const m of misses) expect(decodeHotRequest(m)).toBeUndefined();
    // cut short or with a byte too many: not a whole message of the shape
    const whole = Uint8Array.from(encode([0, 7, 'plugin.HandleEvent', [{ InstanceId: 3, EventName: 'access' }]]));
    expect(decodeHotRequest(whole)).toEqual([0, 7, 'plugin.HandleEvent', [{ InstanceId: 3, EventName: 'access' }]]);
    for (let n = 0; n < whole.length; n++) expect(decodeHotRequest(whole.subarray(0, n))).toBeUndefined();
    expect(decodeHotRequest(Uint8Array.from([...whole, 0xc0]))).toBeUndefined();
  });

  it('is what the server framer tries first, with the general decoder behind it', () => {
    const framer = new MessageFramer(1024, undefined, decodeHotRequest);
    const messages = [
      [0, 1, 'plugin.HandleEvent', [{ InstanceId: 0, EventName: 'access' }]],
      [0, 2, 'plugin.Step', [{ EventId: 5, Data: { 'x-a': ['1', '2'] } }]],
      [0, 3, 'plugin.Step', [{ EventId: 5 }]],
    ];
    const out: unknown[] = [];
    framer.push(Buffer.concat(messages.map((m) => Buffer.from(encode(m)))), (m) => out.push(m));
    expect(out).toEqual(messages);
  });
});

describe('the hot path and the Lua-string decoder behind it', () => {
  // the framer's general decoder keeps a str's bytes (lua-strings.ts): for the ASCII the hot
  // path accepts both give the same; anything else is the general decoder's alone
  it('agree on every message the hot path reads, and a phase name with raw bytes goes behind', () => {
    const lua = new LuaStringDecoder();
    fc.assert(
      fc.property(id53, id53, fc.constantFrom('access', 'rewrite', 'response', 'log'), (msgid, id, phase) => {
        const he = Uint8Array.from(encode([0, msgid, 'plugin.HandleEvent', [{ InstanceId: id, EventName: phase }]]));
        expect(decodeHotRequest(he)).toEqual(lua.decode(he));
        const step = Uint8Array.from(encode([0, msgid, 'plugin.Step', [{ EventId: id }]]));
        expect(decodeHotRequest(step)).toEqual(lua.decode(step));
      }),
      { numRuns: 200 },
    );
    const raw = Uint8Array.from([0x94, 0x00, 0x01, ...encode('plugin.HandleEvent'), 0x91, 0x82, ...encode('InstanceId'), 0x01, ...encode('EventName'), 0xa4, 0x61, 0x63, 0x63, 0xfc]);
    expect(decodeHotRequest(raw)).toBeUndefined();
    const out: unknown[] = [];
    new MessageFramer(1024, undefined, decodeHotRequest).push(raw, (m) => out.push(m));
    expect(out).toEqual([[0, 1, 'plugin.HandleEvent', [{ InstanceId: 1, EventName: 'acc\udcfc' }]]]);
  });
});

describe('encodeRetAnswer and decodeRetAnswer', () => {
  it('writes what @msgpack/msgpack decodes as [1, msgid, nil, {Data: "ret", EventId}], and reads it back', () => {
    fc.assert(
      fc.property(id53, id53, (msgid, eventId) => {
        const bytes = encodeRetAnswer(msgid, eventId)!;
        expect(decoder.decode(bytes)).toEqual([1, msgid, null, { Data: 'ret', EventId: eventId }]);
        expect(decodeRetAnswer(bytes)).toEqual(decoder.decode(bytes));
        for (let n = 0; n < bytes.length; n++) expect(decodeRetAnswer(bytes.subarray(0, n))).toBeUndefined();
        // the same bytes as the general encoder's (which picks the smallest width too)
        expect(Buffer.from(bytes)).toEqual(Buffer.from(new Encoder().encode([1, msgid, null, { Data: 'ret', EventId: eventId }])));
      }),
      { numRuns: 300 },
    );
    for (const other of [
      [1, 1, null, { Data: 'rets', EventId: 1 }],
      [1, 1, 'err', { Data: 'ret', EventId: 1 }],
      [1, 1, null, { Data: { Method: 'kong.request.get_header', Args: ['x'] }, EventId: 1 }],
      [1, 1, null, { Data: 'ret', EventId: -1 }],
      [1, 1, null, { Data: 'ret', EventId: 1, More: 1 }],
      [0, 1, 'plugin.Step', [{ EventId: 1 }]],
    ]) {
      expect(decodeRetAnswer(Uint8Array.from(encode(other)))).toBeUndefined();
    }
    expect(encodeRetAnswer(2 ** 53, 1)).toBeUndefined();
    expect(encodeRetAnswer(1, 2 ** 53)).toBeUndefined();
    expect(encodeRetAnswer(1, -1)).toBeUndefined();
  });
});
