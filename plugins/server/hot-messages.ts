/**
 * The two requests Kong sends for every event, and the answer that ends most of them, read and
 * written without the general MessagePack codec:
 *
 *   [0, msgid, "plugin.HandleEvent", [{InstanceId: n, EventName: "access"}]]
 *   [0, msgid, "plugin.Step", [{EventId: n}]]            (Data nil: a PDK call that returned nothing)
 *   [1, msgid, nil, {Data: "ret", EventId: n}]
 *
 * @msgpack/msgpack spends ~0.5-0.6 µs decoding each request and ~0.25 µs encoding the answer (a
 * DataView and string decoding per message), a tenth of what a zero-call event costs the whole
 * server. These functions recognise the exact byte shapes (keys in either order, the integer
 * widths Kong's lua-MessagePack uses) and give up — undefined — on anything else, which the
 * general codec then handles: a Step carrying Data, a non-ASCII phase, a 64-bit integer.
 * test/plugin-server/hot-messages.test.ts checks them against @msgpack/msgpack byte for byte, and
 * against the framer's Lua-string decoder (lua-strings.ts): the hot path reads ASCII only, where
 * the two agree; a phase name with other bytes is the general decoder's, which keeps them.
 */

const HANDLE_EVENT = bytesOf('plugin.HandleEvent');
const STEP = bytesOf('plugin.Step');
const INSTANCE_ID = bytesOf('InstanceId');
const EVENT_NAME = bytesOf('EventName');
const EVENT_ID = bytesOf('EventId');
const DATA = bytesOf('Data');
/** fixarray(4) 1 nil … of the answer, before the msgid; and fixmap(2) "Data" "ret" "EventId" after the error slot. */
const RET_BODY = Uint8Array.from([0x82, 0xa4, ...DATA, 0xa3, ...bytesOf('ret'), 0xa7, ...EVENT_ID]);

function bytesOf(ascii: string): number[] {
  return [...ascii].map((c) => c.charCodeAt(0));
}

/** A reading position over one message; `ok` turns false at the first surprise. */
class Reader {
  pos = 0;
  ok = true;

  constructor(readonly b: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.b.length) {
      this.ok = false;
      return 0;
    }
    return this.b[this.pos++]!;
  }

  /** A non-negative integer in fixint, uint8, uint16, uint32 or uint64 form, up to 2^53 - 1. */
  uint(): number {
    const t = this.byte();
    if (t <= 0x7f) return t;
    const b = this.b;
    const p = this.pos;
    if (t === 0xcc && p + 1 <= b.length) {
      this.pos = p + 1;
      return b[p]!;
    }
    if (t === 0xcd && p + 2 <= b.length) {
      this.pos = p + 2;
      return (b[p]! << 8) | b[p + 1]!;
    }
    if (t === 0xce && p + 4 <= b.length) {
      this.pos = p + 4;
      return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    }
    // instance and event ids start at a random point below 2^52 (id-base.ts)
    if (t === 0xcf && p + 8 <= b.length && b[p] === 0 && b[p + 1]! <= 0x1f) {
      this.pos = p + 8;
      const high = b[p + 1]! * 0x10000 + ((b[p + 2]! << 8) | b[p + 3]!);
      return high * 0x100000000 + (b[p + 4]! * 0x1000000 + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!));
    }
    this.ok = false;
    return 0;
  }

  /** Whether a fixstr with exactly these bytes comes next (consumed when it does). */
  fixstr(expected: readonly number[]): boolean {
    const b = this.b;
    const p = this.pos;
    if (p >= b.length || b[p] !== (0xa0 | expected.length) || p + 1 + expected.length > b.length) return false;
    for (let i = 0; i < expected.length; i++) if (b[p + 1 + i] !== expected[i]) return false;
    this.pos = p + 1 + expected.length;
    return true;
  }

  /** A short ASCII fixstr (phase names); anything else is a surprise. */
  asciiFixstr(): string {
    const t = this.byte();
    if (t < 0xa0 || t > 0xbf) {
      this.ok = false;
      return '';
    }
    const n = t & 0x1f;
    const b = this.b;
    const p = this.pos;
    if (p + n > b.length) {
      this.ok = false;
      return '';
    }
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = b[p + i]!;
      if (c >= 0x80) {
        this.ok = false;
        return '';
      }
      s += String.fromCharCode(c);
    }
    this.pos = p + n;
    return s;
  }
}

/** `[{InstanceId, EventName}]`, keys in either order. */
function handleEventParams(r: Reader): Record<string, unknown> | undefined {
  if (r.byte() !== 0x91 || r.byte() !== 0x82) return undefined;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < 2; i++) {
    if (r.fixstr(INSTANCE_ID) && !('InstanceId' in out)) out.InstanceId = r.uint();
    else if (r.fixstr(EVENT_NAME) && !('EventName' in out)) out.EventName = r.asciiFixstr();
    else return undefined;
  }
  return r.ok ? out : undefined;
}

/** `[{EventId}]` or `[{EventId, Data: nil}]`, keys in either order. */
function stepParams(r: Reader): Record<string, unknown> | undefined {
  if (r.byte() !== 0x91) return undefined;
  const t = r.byte();
  if (t !== 0x81 && t !== 0x82) return undefined;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < (t & 0x0f); i++) {
    if (r.fixstr(EVENT_ID) && !('EventId' in out)) out.EventId = r.uint();
    else if (r.fixstr(DATA) && !('Data' in out) && r.byte() === 0xc0) out.Data = null;
    else return undefined;
  }
  return r.ok && 'EventId' in out ? out : undefined;
}

/**
 * The decoded request when `bytes` (one whole message) is a HandleEvent or a Step without Data,
 * exactly as the general decoder would give it; undefined otherwise.
 */
export function decodeHotRequest(bytes: Uint8Array): unknown[] | undefined {
  const r = new Reader(bytes);
  if (r.byte() !== 0x94 || r.byte() !== 0x00) return undefined;
  const msgid = r.uint();
  if (!r.ok) return undefined;
  let method: string;
  let params: Record<string, unknown> | undefined;
  if (r.fixstr(HANDLE_EVENT)) {
    method = 'plugin.HandleEvent';
    params = handleEventParams(r);
  } else if (r.fixstr(STEP)) {
    method = 'plugin.Step';
    params = stepParams(r);
  } else {
    return undefined;
  }
  if (params === undefined || !r.ok || r.pos !== bytes.length) return undefined;
  return [0, msgid, method, [params]];
}

/** A non-negative integer in MessagePack's smallest form, up to 2^53 - 1; undefined beyond. */
export function uintBytes(n: number): number[] | undefined {
  if (!Number.isSafeInteger(n) || n < 0) return undefined;
  if (n <= 0x7f) return [n];
  if (n <= 0xff) return [0xcc, n];
  if (n <= 0xffff) return [0xcd, n >> 8, n & 0xff];
  if (n <= 0xffffffff) return [0xce, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const high = Math.floor(n / 0x100000000);
  const low = n >>> 0;
  return [0xcf, 0, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff];
}

/** `[1, msgid, nil, {Data: "ret", EventId: eventId}]` as bytes, or undefined for ids it does not cover. */
export function encodeRetAnswer(msgid: number, eventId: number): Uint8Array | undefined {
  const id = uintBytes(msgid);
  const ev = uintBytes(eventId);
  if (id === undefined || ev === undefined) return undefined;
  const out = new Uint8Array(2 + id.length + 1 + RET_BODY.length + ev.length);
  let p = 0;
  out[p++] = 0x94;
  out[p++] = 0x01;
  for (const x of id) out[p++] = x;
  out[p++] = 0xc0;
  out.set(RET_BODY, p);
  p += RET_BODY.length;
  for (const x of ev) out[p++] = x;
  return out;
}

/**
 * Reads `[1, msgid, nil, {Data: "ret", EventId}]` — Kong's side of the exchange (the benchmark's
 * driver): the decoded answer, or undefined for any other message.
 */
export function decodeRetAnswer(bytes: Uint8Array): unknown[] | undefined {
  const r = new Reader(bytes);
  if (r.byte() !== 0x94 || r.byte() !== 0x01) return undefined;
  const msgid = r.uint();
  if (!r.ok || r.pos + RET_BODY.length + 1 > bytes.length || r.byte() !== 0xc0) return undefined;
  for (let i = 0; i < RET_BODY.length; i++) if (bytes[r.pos + i] !== RET_BODY[i]) return undefined;
  r.pos += RET_BODY.length;
  const eventId = r.uint();
  return r.ok && r.pos === bytes.length ? [1, msgid, null, { Data: 'ret', EventId: eventId }] : undefined;
}
