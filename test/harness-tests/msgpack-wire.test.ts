import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgpackFramingError, MsgpackStreamDecoder, encodeMsgpack, luaBytes, luaString, msgpackObjectEnd } from '../harness';

/** Whether a value holds a map key `__proto__` anywhere (refused by the decoder: see below). */
function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.keys(value).some((k) => k === '__proto__' || hasProtoKey((value as Record<string, unknown>)[k]));
}

// framing is under test here; a `__proto__` key is a decoding question, tested on its own
const payload = fc.jsonValue().filter((v) => !hasProtoKey(v));

const rpcMessage = fc.oneof(
  fc.tuple(fc.constant(0), fc.nat(), fc.string(), fc.array(payload, { maxLength: 3 })),
  fc.tuple(fc.constant(1), fc.nat(), fc.constant(null), payload),
  fc.tuple(fc.constant(1), fc.nat(), fc.string({ minLength: 1 }), fc.constant(null)),
);

describe('MessagePack framing on the plugin-server socket', () => {
  it('decodes several messages in one chunk and messages split across chunks, at any split points', () => {
    fc.assert(
      fc.property(fc.array(rpcMessage, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (messages, cuts) => {
        const bytes = Buffer.concat(messages.map((m) => Buffer.from(encode(m))));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const decoder = new MsgpackStreamDecoder();
        const out: unknown[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...decoder.push(bytes.subarray(prev, p)));
          prev = p;
        }
        // framing is what is under test: each message must decode as it does on its own
        expect(out).toEqual(messages.map((m) => decode(encode(m))));
        expect(decoder.buffered).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a map key __proto__ as an own entry, as Kong\'s lua-MessagePack takes it', () => {
    // a plugin answering a client's `__proto__` header back (kong.response.exit headers…)
    const bytes = encodeMsgpack([1, 0, null, JSON.parse('{"a": 2, "__proto__": {"b": 1}}')]);
    const [message] = new MsgpackStreamDecoder().push(bytes) as Array<[number, number, null, Record<string, unknown>]>;
    expect(Object.keys(message![3])).toEqual(['a', '__proto__']);
    expect(Object.getPrototypeOf(message![3])).toBe(Object.prototype);
    expect((message![3] as { b?: unknown }).b).toBeUndefined();
  });

  it('knows an object is incomplete down to its last byte', () => {
    const bytes = encodeMsgpack([1, 7, null, { Data: { Method: 'kong.request.get_header', Args: ['x'] }, EventId: 3 }]);
    for (let n = 0; n < bytes.length; n++) expect(msgpackObjectEnd(bytes.subarray(0, n), 0)).toBe(-1);
    expect(msgpackObjectEnd(bytes, 0)).toBe(bytes.length);
  });

  it('turns msgpack bin into Buffers and leaves undefined keys out, as Lua nil', () => {
    const bytes = encodeMsgpack({ EventId: 1, Data: undefined, Raw: Buffer.from('hi') });
    const [decoded] = new MsgpackStreamDecoder().push(bytes) as Array<Record<string, unknown>>;
    expect(Object.keys(decoded)).toEqual(['EventId', 'Raw']);
    expect(Buffer.isBuffer(decoded.Raw)).toBe(true);
    expect((decoded.Raw as Buffer).toString()).toBe('hi');
  });

  // lua-MessagePack packs a Lua string as `str` whatever its bytes; the harness holds one as its
  // surrogateescape decoding (harness/lua-strings.ts), so it must pack exactly those bytes, and
  // keep the bytes of a `str` a plugin server sends.
  it('packs and unpacks strings as Lua bytes, valid UTF-8 or not', () => {
    const target = luaString(Buffer.from('/a\xfc', 'latin1'));
    expect([...encodeMsgpack(target)]).toEqual([0xa3, 0x2f, 0x61, 0xfc]);
    expect([...encodeMsgpack('é')]).toEqual([0xa2, 0xc3, 0xa9]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const n = bytes.length;
        const head = n < 32 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : [0xda, n >> 8, n & 0xff];
        const wire = Buffer.from([...head, ...bytes]);
        const [s] = new MsgpackStreamDecoder().push(wire) as string[];
        expect(luaBytes(s!).equals(Buffer.from(bytes))).toBe(true);
        expect(encodeMsgpack(s).equals(wire)).toBe(true);
      }),
    );
  });

  it('rejects a byte that never starts a MessagePack object', () => {
    expect(() => new MsgpackStreamDecoder().push(Buffer.from([0xc1]))).toThrow(MsgpackFramingError);
  });
});
