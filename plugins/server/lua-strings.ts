/**
 * @msgpack/msgpack's Decoder and Encoder with Lua strings kept byte for byte
 * (plugins/shared/raw-string.ts): a `str` from Kong decodes with surrogateescape instead of
 * lenient UTF-8, and a string going to Kong encodes escaped bytes back as themselves. kong-pdk's
 * server decodes leniently; this is one of this server's differences (README).
 *
 * The library has no hook for string decoding, so the two methods are replaced on subclasses
 * (they are private in its typings): checked at load, so a release that renames them fails
 * the server's start instead of silently decoding lossily again. For valid UTF-8 the library's own
 * code path runs on encoding, and decoding gives the same strings.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';
import { decodeLuaString, encodeLuaStringInto, isWellFormed, luaStringByteLength } from '../shared/raw-string';

/** What the replacement methods use of the library's private state (2.8.x). */
interface DecoderInternals {
  bytes: Uint8Array;
  pos: number;
  maxStrLength: number;
  stateIsMapKey(): boolean;
  decodeUtf8String(byteLength: number, headerOffset: number): string;
}

interface EncoderInternals {
  bytes: Uint8Array;
  pos: number;
  ensureBufferSizeToWrite(n: number): void;
  writeStringHeader(byteLength: number): void;
  encodeString(s: string): void;
}

function method<T>(proto: object, name: string): T {
  const m = (proto as Record<string, unknown>)[name];
  if (typeof m !== 'function') throw new Error(`@msgpack/msgpack has no ${name}: lossless Lua strings need updating for this release`);
  return m as T;
}

const baseDecodeString = method<DecoderInternals['decodeUtf8String']>(Decoder.prototype, 'decodeUtf8String');
method(Decoder.prototype, 'stateIsMapKey');
const baseEncodeString = method<EncoderInternals['encodeString']>(Encoder.prototype, 'encodeString');
method(Encoder.prototype, 'ensureBufferSizeToWrite');
method(Encoder.prototype, 'writeStringHeader');

/** Map keys Kong sends (field names, header names) repeat: cached as the library does, ASCII only. */
const KEY_CACHE_MAX_LENGTH = 16;
const KEYS_PER_LENGTH = 16;

class KeyCache {
  private readonly byLength: Array<Array<{ bytes: Uint8Array; str: string }>> = [];

  constructor() {
    for (let i = 0; i < KEY_CACHE_MAX_LENGTH; i++) this.byLength.push([]);
  }

  decode(bytes: Uint8Array, offset: number, length: number): string {
    const records = this.byLength[length - 1]!;
    next: for (const record of records) {
      const b = record.bytes;
      for (let j = 0; j < length; j++) if (b[j] !== bytes[offset + j]) continue next;
      return record.str;
    }
    for (let j = 0; j < length; j++) if (bytes[offset + j]! >= 0x80) return decodeLuaString(bytes, offset, length);
    const str = decodeLuaString(bytes, offset, length);
    // a copy: Buffer#slice would be a view keeping the whole received chunk alive
    const record = { bytes: Uint8Array.prototype.slice.call(bytes, offset, offset + length), str };
    if (records.length >= KEYS_PER_LENGTH) records[(Math.random() * records.length) | 0] = record;
    else records.push(record);
    return str;
  }
}

export class LuaStringDecoder extends Decoder {
  /** Map keys already seen: Kong's field and header names repeat. */
  readonly keyCache = new KeyCache();
}

(LuaStringDecoder.prototype as unknown as DecoderInternals).decodeUtf8String = function (
  this: DecoderInternals & { keyCache: KeyCache },
  byteLength: number,
  headerOffset: number,
): string {
  const offset = this.pos + headerOffset;
  // too long, or not all there: the library throws its own errors
  if (byteLength > this.maxStrLength || this.bytes.byteLength < offset + byteLength) {
    return baseDecodeString.call(this, byteLength, headerOffset);
  }
  const s =
    byteLength > 0 && byteLength <= KEY_CACHE_MAX_LENGTH && this.stateIsMapKey()
      ? this.keyCache.decode(this.bytes, offset, byteLength)
      : decodeLuaString(this.bytes, offset, byteLength);
  this.pos = offset + byteLength;
  return s;
};

export class LuaStringEncoder extends Encoder {}

(LuaStringEncoder.prototype as unknown as EncoderInternals).encodeString = function (this: EncoderInternals, s: string): void {
  if (isWellFormed(s)) {
    baseEncodeString.call(this, s);
    return;
  }
  const byteLength = luaStringByteLength(s);
  this.ensureBufferSizeToWrite(5 + byteLength);
  this.writeStringHeader(byteLength);
  this.pos = encodeLuaStringInto(s, this.bytes, this.pos);
};
