/**
 * MessagePack framing for the plugin-server socket. Kong reads one MessagePack object at a
 * time from a stream (kong/runloop/plugin_servers/rpc/mp_rpc.lua: `mp_unpacker` over
 * `c:receiveany(4096)`), so a chunk may hold several messages or a fraction of one. We
 * measure each object's length ourselves instead of relying on a decoder's "insufficient
 * data" exception (the hack kong-pdk's listener.js uses), so partial and concatenated
 * messages are both handled exactly.
 */
import { LuaStringDecoder, LuaStringEncoder } from '../../plugins/server/lua-strings';

// One encoder and one decoder for the process: building them per message (what the module-level
// encode()/decode() do) was a visible share of a benchmark's Kong-side CPU. Strings are Lua
// strings, bytes kept both ways (./lua-strings.ts): lua-MessagePack packs any bytes as `str`.
const encoder = new LuaStringEncoder(undefined, undefined, undefined, undefined, undefined, undefined, true);
const decoder = new LuaStringDecoder();

/** Thrown for bytes that can never start a MessagePack object (0xc1 is "never used"). */
export class MsgpackFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MsgpackFramingError';
  }
}

function readUint(buf: Uint8Array, at: number, size: 1 | 2 | 4): number {
  if (size === 1) return buf[at];
  if (size === 2) return (buf[at] << 8) | buf[at + 1];
  return buf[at] * 0x1000000 + ((buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]);
}

/** Header length, payload bytes and the number of nested objects that follow, for one type byte. */
interface Head {
  head: number;
  payload: number;
  children: number;
}

function describe(buf: Uint8Array, at: number): Head | undefined {
  const b = buf[at];
  const need = (n: number): boolean => at + n <= buf.length;
  if (b <= 0x7f || b >= 0xe0) return { head: 1, payload: 0, children: 0 };
  if (b >= 0x80 && b <= 0x8f) return { head: 1, payload: 0, children: 2 * (b & 0x0f) };
  if (b >= 0x90 && b <= 0x9f) return { head: 1, payload: 0, children: b & 0x0f };
  if (b >= 0xa0 && b <= 0xbf) return { head: 1, payload: b & 0x1f, children: 0 };
  switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return { head: 1, payload: 0, children: 0 };
    case 0xc4:
    case 0xd9:
      return need(2) ? { head: 2, payload: readUint(buf, at + 1, 1), children: 0 } : undefined;
    case 0xc5:
    case 0xda:
      return need(3) ? { head: 3, payload: readUint(buf, at + 1, 2), children: 0 } : undefined;
    case 0xc6:
    case 0xdb:
      return need(5) ? { head: 5, payload: readUint(buf, at + 1, 4), children: 0 } : undefined;
    case 0xc7:
      return need(2) ? { head: 3, payload: readUint(buf, at + 1, 1), children: 0 } : undefined;
    case 0xc8:
      return need(3) ? { head: 4, payload: readUint(buf, at + 1, 2), children: 0 } : undefined;
    case 0xc9:
      return need(5) ? { head: 6, payload: readUint(buf, at + 1, 4), children: 0 } : undefined;
    case 0xca:
      return { head: 5, payload: 0, children: 0 };
    case 0xcb:
      return { head: 9, payload: 0, children: 0 };
    case 0xcc:
    case 0xd0:
      return { head: 2, payload: 0, children: 0 };
    case 0xcd:
    case 0xd1:
      return { head: 3, payload: 0, children: 0 };
    case 0xce:
    case 0xd2:
      return { head: 5, payload: 0, children: 0 };
    case 0xcf:
    case 0xd3:
      return { head: 9, payload: 0, children: 0 };
    case 0xd4:
      return { head: 3, payload: 0, children: 0 };
    case 0xd5:
      return { head: 4, payload: 0, children: 0 };
    case 0xd6:
      return { head: 6, payload: 0, children: 0 };
    case 0xd7:
      return { head: 10, payload: 0, children: 0 };
    case 0xd8:
      return { head: 18, payload: 0, children: 0 };
    case 0xdc:
      return need(3) ? { head: 3, payload: 0, children: readUint(buf, at + 1, 2) } : undefined;
    case 0xdd:
      return need(5) ? { head: 5, payload: 0, children: readUint(buf, at + 1, 4) } : undefined;
    case 0xde:
      return need(3) ? { head: 3, payload: 0, children: 2 * readUint(buf, at + 1, 2) } : undefined;
    case 0xdf:
      return need(5) ? { head: 5, payload: 0, children: 2 * readUint(buf, at + 1, 4) } : undefined;
    default:
      throw new MsgpackFramingError(`invalid MessagePack type byte 0x${b.toString(16)} at offset ${at}`);
  }
}

/**
 * End offset of the MessagePack object starting at `offset`, or -1 when the buffer does not
 * hold all of it yet.
 */
export function msgpackObjectEnd(buf: Uint8Array, offset: number): number {
  let pos = offset;
  let pending = 1;
  while (pending > 0) {
    if (pos >= buf.length) return -1;
    const d = describe(buf, pos);
    if (!d) return -1;
    pos += d.head + d.payload;
    if (pos > buf.length) return -1;
    pending += d.children - 1;
  }
  return pos;
}

/**
 * Turns msgpack `bin` values (decoded as Uint8Array views) into Buffers, recursively, in place:
 * the decoder's arrays and objects are this module's own, and rebuilding every one of them was a
 * visible share of a benchmark's Kong-side CPU.
 */
function withBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v !== null && typeof v === 'object') value[i] = withBuffers(v);
    }
  } else if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v !== null && typeof v === 'object') o[k] = withBuffers(v);
    }
  }
  return value;
}

/**
 * Accumulates stream chunks and yields every complete message, in order. It keeps `chunk` and
 * hands out Buffers that are views of it: the caller must not write into a chunk once pushed
 * (socket 'data' chunks are never reused by Node).
 */
export class MsgpackStreamDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): unknown[] {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    const out: unknown[] = [];
    let start = 0;
    for (;;) {
      const end = msgpackObjectEnd(this.pending, start);
      if (end < 0) break;
      out.push(withBuffers(decoder.decode(this.pending.subarray(start, end))));
      start = end;
    }
    this.pending = start === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(start);
    return out;
  }

  /** Bytes received that do not yet form a whole message. */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Encodes as Lua's MessagePack does for the values Kong sends: `undefined` keys are left out (nil). */
export function encodeMsgpack(value: unknown): Buffer {
  const bytes = encoder.encode(value); // a copy, not a view of the encoder's reused buffer
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
