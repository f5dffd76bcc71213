/**
 * Lua strings through the plugin server's codec keep their bytes (plugins/shared/raw-string.ts,
 * plugins/server/lua-strings.ts): Kong packs any bytes as a msgpack `str`, and what a plugin
 * sends back must be those bytes again. Valid UTF-8 decodes and encodes as @msgpack/msgpack does.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageFramer } from '../../plugins/server/framing';
import { LuaStringDecoder, LuaStringEncoder } from '../../plugins/server/lua-strings';
import { decodeLuaString, rawBytes } from '../../plugins/shared/raw-string';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function strictDecode(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

const hasLoneSurrogate = (s: string): boolean => /\p{Cs}/u.test(s);

/** A msgpack `str` of exactly these bytes, in the smallest header (what lua-MessagePack writes). */
function strOf(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  const head = n < 32 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : n < 0x10000 ? [0xda, n >> 8, n & 0xff] : [0xdb, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return Uint8Array.from([...head, ...bytes]);
}

/** Bytes biased towards UTF-8's edges: leads, continuations, C0/C1/F5.. and ASCII. */
const edgyBytes = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 0xff }), fc.constantFrom(0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff)),
  { maxLength: 600 },
).map((a) => Uint8Array.from(a));

const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 600 }), edgyBytes);
/** Any valid UTF-8, through strings of every code point (and long enough for the native path). */
const validString = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme-ascii', maxLength: 300 }));

describe('decodeLuaString / rawBytes', () => {
  it('round-trips any bytes: rawBytes(decode(b)) is b', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        expect(Buffer.compare(rawBytes(decodeLuaString(b)), Buffer.from(b))).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes valid UTF-8 as the strict decoder does, and escapes (only) where it would fail', () => {
    fc.assert(
      fc.property(bytesArb, (b) => {
        const s = decodeLuaString(b);
        const valid = strictDecode(b);
        if (valid !== undefined) expect(s).toBe(valid);
        else expect(hasLoneSurrogate(s)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(validString, (s) => {
        const b = Buffer.from(s, 'utf8');
        expect(decodeLuaString(b)).toBe(s);
        expect(Buffer.compare(rawBytes(s), b)).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('is injective: different bytes never decode to the same string', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb, (a, b) => {
        fc.pre(Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0);
        expect(decodeLuaString(a)).not.toBe(decodeLuaString(b));
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['a raw Latin-1 byte', [0x2f, 0x61, 0xfc], '/a\udcfc'],
    ['an overlong "A"', [0x2f, 0xc1, 0x81], '/\udcc1\udc81'],
    ['an overlong NUL (E0 80 80)', [0xe0, 0x80, 0x80], '\udce0\udc80\udc80'],
    ['an overlong 4-byte form (F0 80 80 80)', [0xf0, 0x80, 0x80, 0x80], '\udcf0\udc80\udc80\udc80'],
    ['an encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80], '\udced\udca0\udc80'],
    ['a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80], '\udcf4\udc90\udc80\udc80'],
    ['a truncated sequence then ASCII', [0xe2, 0x82, 0x41], '\udce2\udc82A'],
    ['a truncated sequence at the end', [0x41, 0xf0, 0x9f, 0x92], 'A\udcf0\udc9f\udc92'],
    ['F5 and FF', [0xf5, 0xff], '\udcf5\udcff'],
    ['valid 2-, 3-, 4-byte forms', [0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x92, 0x80], 'é€💀'],
    ['a leading BOM, kept', [0xef, 0xbb, 0xbf, 0x41], '\ufeffA'],
  ])('%s', (_name, bytes, expected) => {
    const b = Uint8Array.from(bytes);
    expect(decodeLuaString(b)).toBe(expected);
    expect([...rawBytes(expected)]).toEqual(bytes);
    // the same past the native decoder's threshold
    const long = Uint8Array.from([...Buffer.alloc(300, 0x61), ...bytes]);
    expect(decodeLuaString(long)).toBe('a'.repeat(300) + expected);
  });

  it('writes lone surrogates other than U+DC80..U+DCFF as U+FFFD, as Buffer does', () => {
    expect([...rawBytes('\ud800x')]).toEqual([0xef, 0xbf, 0xbd, 0x78]);
    expect([...rawBytes('\udc7f')]).toEqual([0xef, 0xbf, 0xbd]);
    // the low half of a pair is not an escape: 💀 is D83D DC80
    expect([...rawBytes('\ud83d\udc80\udc80')]).toEqual([0xf0, 0x9f, 0x92, 0x80, 0x80]);
  });
});

describe('LuaStringDecoder / LuaStringEncoder', () => {
  const lib = new Decoder();
  const libEncoder = new Encoder();
  const decoder = new LuaStringDecoder();
  const encoder = new LuaStringEncoder();

  it('decodes str values and map keys of any bytes, and encodes them back to the same message', () => {
    fc.assert(
      fc.property(bytesArb, bytesArb.map((b) => b.subarray(0, 20)), (value, key) => {
        // [1, 2, {key: value}] as lua-MessagePack writes it
        const message = Uint8Array.from([0x93, 0x01, 0x02, 0x81, ...strOf(key), ...strOf(value)]);
        const decoded = decoder.decode(message) as [number, number, Record<string, string>];
        const [k, v] = Object.entries(decoded[2])[0]!;
        expect(k).toBe(decodeLuaString(key));
        expect(v).toBe(decodeLuaString(value));
        expect(Buffer.compare(Buffer.from(encoder.encode(decoded)), Buffer.from(message))).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives what @msgpack/msgpack gives for valid strings, both ways (a `__proto__` key aside, below)', () => {
    const key = fc.oneof({ weight: 1, arbitrary: fc.constant('__proto__') }, { weight: 9, arbitrary: validString });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, validString), { maxLength: 5 }), (pairs) => {
        // Object.fromEntries defines every key as an own property, `__proto__` included
        const value = [pairs.map(([a]) => a), Object.fromEntries(pairs)];
        const bytes = libEncoder.encode(value);
        expect(Buffer.compare(Buffer.from(encoder.encode(value)), Buffer.from(bytes))).toBe(0);
        const decoded = decoder.decode(bytes) as [string[], Record<string, string>];
        expect(Object.entries(decoded[1])).toEqual(Object.entries(value[1]!));
        expect(Object.getPrototypeOf(decoded[1])).toBe(Object.prototype);
        if (!pairs.some(([k]) => k === '__proto__')) expect(decoded).toEqual(lib.decode(bytes));
      }),
      { numRuns: 500 },
    );
  });

  describe('a `__proto__` key, which any client can send as a header or query argument', () => {
    const proto = strOf(Uint8Array.from(Buffer.from('__proto__')));
    const str = (s: string) => strOf(Uint8Array.from(Buffer.from(s)));
    // [2, {a: "1", __proto__: {polluted: "yes"}, b: ["x", "y"]}, {__proto__: "z"}] as Kong writes it
    const message = Uint8Array.from([
      0x93, 0x02,
      0x83, ...str('a'), ...str('1'), ...proto, 0x81, ...str('polluted'), ...str('yes'), ...str('b'), 0x92, ...str('x'), ...str('y'),
      0x81, ...proto, ...str('z'),
    ]);

    it('is refused by @msgpack/msgpack itself (why the decoder handles it)', () => {
      expect(() => lib.decode(message)).toThrow(/__proto__ is not allowed/);
    });

    it('decodes as an own property in its place, never as the prototype, and encodes back to the same bytes', () => {
      const [, map, single] = decoder.decode(message) as [number, Record<string, unknown>, Record<string, unknown>];
      expect(Object.keys(map)).toEqual(['a', '__proto__', 'b']);
      expect(Object.getOwnPropertyDescriptor(map, '__proto__')).toEqual({ value: { polluted: 'yes' }, enumerable: true, writable: true, configurable: true });
      expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
      expect((map as { polluted?: unknown }).polluted).toBeUndefined();
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(Object.keys(single)).toEqual(['__proto__']);
      expect(Object.getOwnPropertyDescriptor(single, '__proto__')?.value).toBe('z');
      expect(Buffer.compare(Buffer.from(encoder.encode([2, map, single])), Buffer.from(message))).toBe(0);
    });

    it('is an ordinary string as a value, an array item, or a key of another spelling', () => {
      const bytes = Uint8Array.from([0x93, ...proto, 0x81, ...str('k'), ...proto, 0x81, ...str('__proto_'), ...str('v')]);
      expect(decoder.decode(bytes)).toEqual(['__proto__', { k: '__proto__' }, { __proto_: 'v' }]);
    });

    it('leaves nothing behind for the next message', () => {
      decoder.decode(message);
      expect(decoder.protoMaps).toEqual([]);
      expect(() => decoder.decode(Uint8Array.from([0x81, ...proto]))).toThrow(); // the value is missing
      expect(decoder.protoMaps).toEqual([]);
      expect(decoder.decode(Uint8Array.from([0x81, ...str('a'), ...str('b')]))).toEqual({ a: 'b' });
    });

    it('is read through the framer, which is how the server gets it', () => {
      const got: unknown[] = [];
      new MessageFramer().push(Uint8Array.from([0x91, 0x81, ...proto, ...str('1')]), (m) => got.push(m));
      expect(Object.keys((got[0] as Array<Record<string, unknown>>)[0]!)).toEqual(['__proto__']);
    });

    it('decodes whole messages only: the streaming forms would hand out the stand-in', () => {
      expect(() => (decoder.decodeMulti as (b: Uint8Array) => unknown)(message)).toThrow(/whole messages only/);
    });
  });

  it('keeps the library errors for truncated and oversized strings', () => {
    expect(() => decoder.decode(Uint8Array.from([0xa3, 0x41]))).toThrow(/Insufficient data/);
    const small = new LuaStringDecoder(undefined, undefined, 2);
    expect(() => small.decode(Uint8Array.from([0xa3, 0x41, 0x42, 0x43]))).toThrow(/Max length exceeded/);
  });

  it('is what the framer decodes with', () => {
    const got: unknown[] = [];
    new MessageFramer().push(Uint8Array.from([0x92, ...strOf(Uint8Array.from([0x2f, 0xc1, 0x81])), ...strOf(Uint8Array.from([0x2f, 0x41]))]), (m) => got.push(m));
    expect(got).toEqual([['/\udcc1\udc81', '/A']]);
  });
});
