import { decode, encode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgpackFramingError, MsgpackStreamDecoder, encodeMsgpack, msgpackObjectEnd } from '../harness';

const rpcMessage = fc.oneof(
  fc.tuple(fc.constant(0), fc.nat(), fc.string(), fc.array(fc.jsonValue(), { maxLength: 3 })),
  fc.tuple(fc.constant(1), fc.nat(), fc.constant(null), fc.jsonValue()),
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

  it('rejects a byte that never starts a MessagePack object', () => {
    expect(() => new MsgpackStreamDecoder().push(Buffer.from([0xc1]))).toThrow(MsgpackFramingError);
  });
});
