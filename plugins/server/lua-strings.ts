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
  /** Arrays and maps being decoded; a map's state holds the object its entries go into. */
  stack: Array<{ map?: Record<string, unknown> }>;
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
if (!Array.isArray((new Decoder() as unknown as DecoderInternals).stack)) {
  throw new Error('@msgpack/msgpack has no decoding stack: `__proto__` keys need updating for this release');
}
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

/**
 * A Lua table key `__proto__` is an ordinary key, and any client can send one: a header (Kong
 * sets `underscores_in_headers on`), a query argument, an upstream's response header. The library
 * refuses such a message ("The key __proto__ is not allowed"), which closes Kong's connection:
 * Kong logs the RPC error and proxies the request without the plugin's verdict. kong-pdk's server
 * throws it from its socket listener and exits. Here the key decodes as an own property, as
 * JSON.parse gives it, never as the object's prototype: the library gets a stand-in key no Lua
 * string decodes to (a lone high surrogate; escaped bytes are low ones), and `decode` renames it.
 */
const PROTO_KEY = Uint8Array.from(Buffer.from('__proto__', 'latin1'));
const PROTO_STAND_IN = '\ud800__proto__';

function isProtoKey(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < PROTO_KEY.length; i++) if (bytes[offset + i] !== PROTO_KEY[i]) return false;
  return true;
}

/** `map`'s stand-in key as an own `__proto__`, in the same place among its keys. */
function restoreProtoKey(map: Record<string, unknown>): void {
  const keys = Object.keys(map);
  const values = keys.map((k) => map[k]);
  for (const k of keys) delete map[k];
  keys.forEach((k, i) => {
    if (k === PROTO_STAND_IN) Object.defineProperty(map, '__proto__', { value: values[i], enumerable: true, writable: true, configurable: true });
    else map[k] = values[i];
  });
}

export class LuaStringDecoder extends Decoder {
  /** Map keys already seen: Kong's field and header names repeat. */
  readonly keyCache = new KeyCache();
  /** Maps of the message being decoded that hold the `__proto__` stand-in. */
  readonly protoMaps: Array<Record<string, unknown>> = [];

  override decode(buffer: Parameters<Decoder['decode']>[0]): unknown {
    this.protoMaps.length = 0;
    try {
      const value = super.decode(buffer);
      for (const map of this.protoMaps) restoreProtoKey(map);
      return value;
    } finally {
      this.protoMaps.length = 0;
    }
  }

  // The stand-in is renamed by decode() only: the streaming forms would hand it out.
  override decodeMulti(): never {
    throw new Error('LuaStringDecoder decodes whole messages only (decode)');
  }

  override decodeAsync(): never {
    throw new Error('LuaStringDecoder decodes whole messages only (decode)');
  }

  override decodeArrayStream(): never {
    throw new Error('LuaStringDecoder decodes whole messages only (decode)');
  }

  override decodeStream(): never {
    throw new Error('LuaStringDecoder decodes whole messages only (decode)');
  }
}

(LuaStringDecoder.prototype as unknown as DecoderInternals).decodeUtf8String = function (
  this: DecoderInternals & { keyCache: KeyCache; protoMaps: Array<Record<string, unknown>> },
  byteLength: number,
  headerOffset: number,
): string {
  const offset = this.pos + headerOffset;
  // too long, or not all there: the library throws its own errors
  if (byteLength > this.maxStrLength || this.bytes.byteLength < offset + byteLength) {
    return baseDecodeString.call(this, byteLength, headerOffset);
  }
  if (byteLength === PROTO_KEY.length && isProtoKey(this.bytes, offset) && this.stateIsMapKey()) {
    this.protoMaps.push(this.stack[this.stack.length - 1]!.map!);
    this.pos = offset + byteLength;
    return PROTO_STAND_IN;
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
