/**
 * MessagePack framing for the plugin-server socket. Kong writes one message per RPC, but a read
 * may hold several messages, or a fraction of one (a large raw body arrives over many reads).
 * kong-pdk's listener re-decodes the concatenation of every chunk after each "insufficient
 * data" exception (quadratic for large messages) and throws on a chunk holding more than one
 * message. Here the framer walks the type bytes itself to find where a message ends, resumes
 * that walk where the previous chunk stopped (each byte is looked at once), and decodes exactly
 * one message's bytes at a time. Strings decode byte for byte (./lua-strings.ts).
 */
import type { Decoder } from '@msgpack/msgpack';
import { LuaStringDecoder } from './lua-strings';

/** Largest message accepted; a connection sending more is closed (bounded memory per connection). */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** Fixed header size by type byte for 0xc0–0xdf; 0 = variable (length field), -1 = never used. */
const FIXED_HEAD: Record<number, number> = {
  0xc0: 1, 0xc2: 1, 0xc3: 1,
  0xca: 5, 0xcb: 9,
  0xcc: 2, 0xcd: 3, 0xce: 5, 0xcf: 9,
  0xd0: 2, 0xd1: 3, 0xd2: 5, 0xd3: 9,
  0xd4: 3, 0xd5: 4, 0xd6: 6, 0xd7: 10, 0xd8: 18,
};

function readLength(b: Uint8Array, at: number, size: number): number {
  if (size === 1) return b[at];
  if (size === 2) return (b[at] << 8) | b[at + 1];
  return b[at] * 0x1000000 + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
}

/**
 * Splits a byte stream into MessagePack messages. Decoded `bin` values are views of the bytes
 * received (as with kong-pdk): those bytes are never written again.
 */
export class MessageFramer {
  /** Bytes of an incomplete message (it always starts at offset 0), or undefined. */
  private buf: Buffer | undefined;
  private len = 0;
  /** Where the walk resumes (a header boundary) and how many objects the message still owes. */
  private pos = 0;
  private owed = 0;

  constructor(
    readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
    private readonly decoder: Decoder = new LuaStringDecoder(),
    /** Tried first on each whole message: its result unless undefined (plugins/server/hot-messages.ts). */
    private readonly fastPath?: (bytes: Uint8Array) => unknown,
  ) {}

  /** Bytes held for a message not yet complete. */
  get buffered(): number {
    return this.len;
  }

  /** Feeds one chunk; `onMessage` gets every message it completes, in order. Throws FramingError. */
  push(chunk: Uint8Array, onMessage: (message: unknown) => void): void {
    if (this.buf === undefined) {
      this.drain(chunk, chunk.length, 0, onMessage);
      return;
    }
    this.append(chunk);
    this.drain(this.buf, this.len, 0, onMessage);
  }

  /** Decodes every complete message of `bytes[start, end)`; keeps the incomplete tail. */
  private drain(bytes: Uint8Array, end: number, start: number, onMessage: (message: unknown) => void): void {
    let from = start;
    for (;;) {
      if (this.owed === 0) {
        if (from >= end) break;
        this.pos = from;
        this.owed = 1;
      }
      this.walk(bytes, end, from);
      if (this.owed > 0) break;
      onMessage(this.decode(bytes.subarray(from, this.pos)));
      from = this.pos;
    }
    if (this.owed === 0) {
      this.buf = undefined;
      this.len = 0;
      this.pos = 0;
      return;
    }
    if (bytes === this.buf && from === 0) return;
    // keep the tail in fresh memory: messages already decoded may hold views of `bytes`
    const tail = bytes.subarray(from, end);
    const kept = Buffer.allocUnsafe(Math.max(4096, tail.length * 2));
    kept.set(tail, 0);
    this.buf = kept;
    this.len = tail.length;
    this.pos -= from;
  }

  private append(chunk: Uint8Array): void {
    const buf = this.buf as Buffer;
    const need = this.len + chunk.length;
    if (need > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
      grown.set(buf.subarray(0, this.len), 0);
      this.buf = grown;
    }
    (this.buf as Buffer).set(chunk, this.len);
    this.len = need;
  }

  /** Advances `pos` over whole objects while `owed` > 0 and the bytes are there. */
  private walk(b: Uint8Array, end: number, messageStart: number): void {
    let pos = this.pos;
    let owed = this.owed;
    while (owed > 0 && pos < end) {
      const t = b[pos];
      let head = 1;
      let payload = 0;
      let children = 0;
      if (t <= 0x7f || t >= 0xe0) {
        // fixint
      } else if (t <= 0x8f) children = 2 * (t & 0x0f);
      else if (t <= 0x9f) children = t & 0x0f;
      else if (t <= 0xbf) payload = t & 0x1f;
      else {
        const fixed = FIXED_HEAD[t];
        if (fixed !== undefined) head = fixed;
        else {
          // bin/str/ext 8-16-32 (length field) and array/map 16-32 (count field)
          let size: number;
          let extra = 0;
          let kind: 'payload' | 'array' | 'map';
          switch (t) {
            case 0xc4: case 0xd9: size = 1; kind = 'payload'; break;
            case 0xc5: case 0xda: size = 2; kind = 'payload'; break;
            case 0xc6: case 0xdb: size = 4; kind = 'payload'; break;
            case 0xc7: size = 1; extra = 1; kind = 'payload'; break;
            case 0xc8: size = 2; extra = 1; kind = 'payload'; break;
            case 0xc9: size = 4; extra = 1; kind = 'payload'; break;
            case 0xdc: size = 2; kind = 'array'; break;
            case 0xdd: size = 4; kind = 'array'; break;
            case 0xde: size = 2; kind = 'map'; break;
            case 0xdf: size = 4; kind = 'map'; break;
            default:
              throw new FramingError(`invalid MessagePack type byte 0x${t.toString(16)} at offset ${pos - messageStart} of a message`);
          }
          if (pos + 1 + size > end) break;
          const n = readLength(b, pos + 1, size);
          head = 1 + size + extra;
          if (kind === 'payload') payload = n;
          else children = kind === 'array' ? n : 2 * n;
        }
      }
      const next = pos + head + payload;
      if (next - messageStart > this.maxMessageBytes) {
        throw new FramingError(`message larger than ${this.maxMessageBytes} bytes`);
      }
      if (next > end) break;
      pos = next;
      owed += children - 1;
    }
    if (owed > 0 && end - messageStart > this.maxMessageBytes) {
      throw new FramingError(`message larger than ${this.maxMessageBytes} bytes`);
    }
    this.pos = pos;
    this.owed = owed;
  }

  private decode(bytes: Uint8Array): unknown {
    const hot = this.fastPath?.(bytes);
    if (hot !== undefined) return hot;
    try {
      return this.decoder.decode(bytes);
    } catch (e) {
      throw new FramingError(`undecodable MessagePack message: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
