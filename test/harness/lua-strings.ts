/**
 * The harness holds a Lua string (bytes) as the JavaScript string the project's plugin server
 * decodes it to: valid UTF-8 as itself, each byte of an invalid sequence as the lone surrogate
 * U+DC80 + (byte − 0x80) ("surrogateescape", plugins/shared/raw-string.ts). So a `str` it packs is
 * exactly the bytes Kong's lua-MessagePack would pack for that Lua string, and a `str` a plugin
 * server sends back is kept as the bytes Kong's unpacker would give Lua.
 *
 * Node's HTTP parser and writer hold header values (and the request target) as Latin-1, one char
 * per byte: {@link fromLatin1} / {@link toLatin1} convert at those edges.
 */
import { decodeLuaString, rawBytes } from '../../plugins/shared/raw-string';

const ASCII = /^[\x00-\x7f]*$/;

/** The harness string for a Lua string's bytes (`luaString(Buffer.from('/a\xfc', 'latin1'))`). */
export function luaString(bytes: Uint8Array): string {
  return decodeLuaString(bytes);
}

/** The bytes of a Lua string the harness holds: what Kong would send or write for it. */
export function luaBytes(s: string): Buffer {
  return rawBytes(s);
}

/** The harness string for bytes Node read as Latin-1 (`rawHeaders`, `req.url`). */
export function fromLatin1(s: string): string {
  return ASCII.test(s) ? s : decodeLuaString(Buffer.from(s, 'latin1'));
}

/** The bytes of a harness string as Latin-1, for Node's HTTP writers (one byte per char). */
export function toLatin1(s: string): string {
  return ASCII.test(s) ? s : rawBytes(s).toString('latin1');
}
