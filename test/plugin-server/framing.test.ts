/**
 * The plugin server's MessagePack framing, byte by byte: several messages in one chunk, one
 * message over many chunks, every split point, every MessagePack type, bounds.
 */
import { encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { FramingError, MessageFramer } from '../../plugins/server/framing';

function feed(framer: MessageFramer, chunks: Uint8Array[]): unknown[] {
  const out: unknown[] = [];
  for (const c of chunks) framer.push(c, (m) => out.push(m));
  return out;
}

const bytes = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)));

/** Messages covering every MessagePack format the encoder produces, plus ext and bin. */
const MESSAGES: unknown[] = [
  [0, 1, 'plugin.HandleEvent', [{ InstanceId: 0, EventName: 'access' }]],
  [0, 2, 'plugin.Step', [{ EventId: 7, Data: 'x'.repeat(40) }]], // str8
  [0, 3, 'plugin.Step', [{ EventId: 8, Data: 'y'.repeat(300) }]], // str16
  [0, 4, 'plugin.Step', [{ EventId: 9, Data: 'z'.repeat(70_000) }]], // str32
  [0, 5, 'plugin.Step', [{ EventId: 10, Data: new Uint8Array(20).fill(1) }]], // bin8
  [0, 6, 'plugin.Step', [{ EventId: 11, Data: new Uint8Array(300).fill(2) }]], // bin16
  [0, 7, 'plugin.Step', [{ EventId: 12, Data: new Uint8Array(70_000).fill(3) }]], // bin32
  [0, 8, 'plugin.StepMultiMap', [{ EventId: 13, Data: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`h${i}`, [`v${i}`]])) }]], // map16
  [0, 9, 'plugin.Step', [{ EventId: 14, Data: Array.from({ length: 20 }, (_, i) => i * 1000) }]], // array16, uint16
  [0, 10, 'plugin.Step', [{ EventId: 15, Data: [null, true, false, -1, -200, -70_000, -5_000_000_000, 255, 70_000, 5_000_000_000, 1.5, 0.25] }]],
  [2, 'serverPid', 123],
  [0, 11, 'plugin.Step', [{ EventId: 16, Data: new Date(1_700_000_000_000) }]], // timestamp ext (fixext8)
];

/** Binary values come back as Buffers (views of the bytes received), as kong-pdk's decoder gives them. */
function asDecoded(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(asDecoded);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asDecoded(v)]));
  return value;
}

describe('MessageFramer', () => {
  const encoded = MESSAGES.map((m) => Buffer.from(encode(m)));
  const DECODED = MESSAGES.map(asDecoded);
  const all = bytes(...encoded);

  it('yields every message of one chunk holding several, in order', () => {
    const out = feed(new MessageFramer(), [all]) as any[];
    expect(out).toEqual(DECODED);
    expect(Buffer.isBuffer(out[4][3][0].Data)).toBe(true);
  });

  it('yields the same messages whatever byte the stream is cut at', () => {
    // every cut of the small messages; cuts around every message boundary of the whole stream
    const small = bytes(...encoded.filter((e) => e.length < 1000));
    const smallMessages = DECODED.filter((_, i) => encoded[i].length < 1000);
    for (let cut = 0; cut <= small.length; cut++) {
      const framer = new MessageFramer();
      expect(feed(framer, [small.subarray(0, cut), small.subarray(cut)])).toEqual(smallMessages);
      expect(framer.buffered).toBe(0);
    }
    let boundary = 0;
    for (const e of encoded) {
      boundary += e.length;
      for (const cut of [boundary - 2, boundary - 1, boundary, boundary + 1, boundary + 2].filter((c) => c > 0 && c < all.length)) {
        // re-encoded, each message gives back its bytes (a cheap exact comparison for the large ones)
        const out = feed(new MessageFramer(), [all.subarray(0, cut), all.subarray(cut)]);
        expect(out.length).toBe(encoded.length);
        out.forEach((m, i) => expect(Buffer.from(encode(m)).equals(encoded[i])).toBe(true));
      }
    }
  });

  it('yields one message fed one byte at a time, only once it is complete', () => {
    const framer = new MessageFramer();
    const msg = encoded[7];
    const out: unknown[] = [];
    for (let i = 0; i < msg.length; i++) {
      framer.push(msg.subarray(i, i + 1), (m) => out.push(m));
      expect(out.length).toBe(i === msg.length - 1 ? 1 : 0);
    }
    expect(out).toEqual([DECODED[7]]);
    expect(framer.buffered).toBe(0);
  });

  it('reassembles a 4 MB raw body sent in 64 KB reads, with messages before and after it in the same reads', () => {
    const body = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const big = [0, 20, 'plugin.Step', [{ EventId: 1, Data: body }]];
    const stream = bytes(encoded[0], Buffer.from(encode(big)), encoded[1]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 65_536) chunks.push(stream.subarray(i, i + 65_536));
    const framer = new MessageFramer();
    const out = feed(framer, chunks) as any[];
    expect(out.length).toBe(3);
    expect(out[0]).toEqual(DECODED[0]);
    expect(Buffer.from(out[1][3][0].Data).equals(body)).toBe(true);
    expect(out[2]).toEqual(DECODED[1]);
    expect(framer.buffered).toBe(0);
  });

  it('never lets later bytes overwrite a binary value already handed out', () => {
    const withBin = Buffer.from(encode([0, 1, 'plugin.Step', [{ EventId: 1, Data: Buffer.from('first body') }]]));
    const next = Buffer.from(encode([0, 2, 'plugin.Step', [{ EventId: 2, Data: Buffer.from('second body, longer') }]]));
    const framer = new MessageFramer();
    const out: any[] = [];
    // first message complete plus half of the next one, then the rest
    framer.push(bytes(withBin, next.subarray(0, 10)), (m) => out.push(m));
    framer.push(next.subarray(10), (m) => out.push(m));
    framer.push(bytes(withBin.subarray(0, 5)), (m) => out.push(m));
    framer.push(withBin.subarray(5), (m) => out.push(m));
    expect(out.map((m) => Buffer.from(m[3][0].Data).toString())).toEqual(['first body', 'second body, longer', 'first body']);
  });

  it('rejects a byte that cannot start a MessagePack object (0xc1)', () => {
    expect(() => feed(new MessageFramer(), [Buffer.from([0x94, 0x00, 0xc1])])).toThrow(FramingError);
    expect(() => feed(new MessageFramer(), [Buffer.from([0x94, 0x00, 0xc1])])).toThrow('invalid MessagePack type byte 0xc1');
  });

  it('refuses a message larger than its bound, as soon as a header announces it or the bytes exceed it', () => {
    // a bin32 header announcing 1 GB: refused before any payload arrives
    expect(() => feed(new MessageFramer(1024), [Buffer.from([0x91, 0xc6, 0x40, 0x00, 0x00, 0x00])])).toThrow('message larger than 1024 bytes');
    // an array of 100k nils arriving in pieces: refused once 1024 bytes are held
    const framer = new MessageFramer(1024);
    const head = Buffer.from([0xdd, 0x00, 0x01, 0x86, 0xa0]);
    expect(() => feed(framer, [head, Buffer.alloc(500, 0xc0), Buffer.alloc(500, 0xc0), Buffer.alloc(500, 0xc0)])).toThrow(FramingError);
    // a message of exactly the bound passes
    const exact = Buffer.from(encode('a'.repeat(1024 - 3)));
    expect(exact.length).toBe(1024);
    expect(feed(new MessageFramer(1024), [exact.subarray(0, 100), exact.subarray(100)])).toEqual(['a'.repeat(1021)]);
  });
});
