/**
 * A stored response, as bytes for the store: a 4-byte big-endian length, that many bytes of JSON
 * metadata (format version, request fingerprint, status, headers), then the body exactly as the
 * upstream sent it (binary-safe, no base64 inflation).
 *
 * Headers kept are those a replay must repeat. Dropped: hop-by-hop headers (RFC 9110 §7.6.1, and
 * any listed in Connection), framing Kong recomputes on `exit` (Content-Length), and what Kong or
 * nginx add to every response themselves (Date, Server, Via, X-Kong-*), which the replay gets
 * fresh.
 */
import type { HeaderValues, MultiMap } from '../shared/pdk';
import { luaTable, multiValues } from '../shared/pdk';

export interface StoredResponse {
  fingerprint: string;
  status: number;
  /** [name, values] in the order Kong listed them; names lower-cased. */
  headers: Array<[string, string[]]>;
  body: Buffer;
}

const FORMAT_VERSION = 1;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);
const SET_BY_KONG = new Set(['content-length', 'date', 'server', 'via']);

/** The upstream response headers worth replaying. */
export function replayableHeaders(headers: MultiMap): Array<[string, string[]]> {
  const lower: Array<[string, string[]]> = Object.entries(headers).map(([k, v]) => [k.toLowerCase(), multiValues(v)]);
  const listedInConnection = new Set(
    lower
      .filter(([k]) => k === 'connection')
      .flatMap(([, v]) => v.flatMap((s) => s.split(',')))
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return lower.filter(
    ([name]) => !HOP_BY_HOP.has(name) && !SET_BY_KONG.has(name) && !name.startsWith('x-kong-') && !listedInConnection.has(name),
  );
}

export function encodeResponse(record: StoredResponse): Buffer {
  const meta = Buffer.from(
    JSON.stringify({ v: FORMAT_VERSION, fp: record.fingerprint, status: record.status, headers: record.headers }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32BE(meta.length, 0);
  return Buffer.concat([length, meta, record.body]);
}

/** The record, or undefined when the bytes are not one (another format version, corruption). */
export function decodeResponse(bytes: Buffer): StoredResponse | undefined {
  if (bytes.length < 4) return undefined;
  const metaLength = bytes.readUInt32BE(0);
  if (4 + metaLength > bytes.length) return undefined;
  let meta: { v?: unknown; fp?: unknown; status?: unknown; headers?: unknown };
  try {
    meta = JSON.parse(bytes.subarray(4, 4 + metaLength).toString('utf8')) as typeof meta;
  } catch {
    return undefined;
  }
  if (meta.v !== FORMAT_VERSION || typeof meta.fp !== 'string' || typeof meta.status !== 'number' || !Array.isArray(meta.headers)) {
    return undefined;
  }
  return {
    fingerprint: meta.fp,
    status: meta.status,
    headers: meta.headers as Array<[string, string[]]>,
    body: bytes.subarray(4 + metaLength),
  };
}

/** Headers for `kong.response.exit` replaying a record: the stored ones plus the replay marker. */
export function replayHeaders(record: StoredResponse): HeaderValues {
  const out: HeaderValues = luaTable();
  for (const [name, values] of record.headers) {
    const existing = out[name];
    out[name] = existing === undefined ? [...values] : [...multiValues(existing), ...values];
  }
  delete out['idempotent-replayed'];
  out['Idempotent-Replayed'] = 'true';
  return out;
}
