/**
 * Strings that are not UTF-8, as Kong sends them: a Lua string is bytes and Kong packs it as a
 * MessagePack `str` whatever they are (a raw request target in `$request`, an upstream header in
 * Latin-1). The project's plugin server keeps those bytes (plugins/server/lua-strings.ts), so
 * fingerprints tell such targets apart and a replay repeats the upstream's header bytes.
 *
 * kong-pdk's server decodes `str` as lenient UTF-8 (U+FFFD for invalid bytes, overlong forms
 * folded): under TEST_PLUGIN_SERVER=kong-pdk these tests assert that lossy behaviour instead,
 * the limit plugins/idempotency/README.md documents for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { luaBytes, luaString } from '../../harness';
import { closeAllStores } from '../../../plugins/shared/store';
import { Cluster, LATIN1_DISPOSITION, TestUpstream, freshKey, post, problemOf, startNode, type Node } from './env';

const lossless = TEST_PLUGIN_SERVER === 'project';

/** A request target with raw bytes, as the harness holds a Lua string. */
const target = (prefix: string, bytes: number[]): string => prefix + luaString(Uint8Array.from(bytes));

let upstream: TestUpstream;
let node: Node;
let api: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'raw-bytes', config: { strategy: 'memory' } });
  node = await startNode(cluster);
});
afterAll(async () => {
  await node?.close();
  await closeAllStores();
  await upstream?.close();
});

describe(`request targets that are not UTF-8 (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it.each([
    ['a raw byte: /a\\xFC then /a\\xFD', [0x2f, 0x61, 0xfc], [0x2f, 0x61, 0xfd]],
    ['an overlong form: /\\xC1\\x81 then /A', [0x2f, 0xc1, 0x81], [0x2f, 0x41]],
  ])('%s with the same key', async (_name, firstBytes, secondBytes) => {
    const key = freshKey();
    const first = await node.request(post(target(api, firstBytes), key));
    expect(first.status).toBe(201);
    // the upstream got the client's bytes (route prefix stripped) whichever server: Kong proxies them
    expect([...luaBytes(first.upstreamRequest?.path ?? '')]).toEqual(firstBytes);
    expect([...upstream.seen.at(-1)!.url].map((c) => c.charCodeAt(0))).toEqual(firstBytes);
    const second = await node.request(post(target(api, secondBytes), key));
    if (lossless) {
      expect(second.status).toBe(422);
      expect(problemOf(second).status).toBe(422);
      expect(second.upstreamRequest).toBeUndefined();
    } else {
      // lossy decoding gave both targets one fingerprint: the first one's replay
      expect(second.status).toBe(201);
      expect(second.headers.first('idempotent-replayed')).toBe('true');
    }
  });
});

describe(`upstream header values that are not UTF-8 (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it('replays a Latin-1 header value byte for byte', async () => {
    const key = freshKey();
    const first = await node.request(post(`${api}/latin1`, key));
    expect(first.status).toBe(201);
    expect(luaBytes(first.headers.first('content-disposition') ?? '')).toEqual(LATIN1_DISPOSITION);
    expect(first.headers.first('x-utf8')).toBe('café');

    const replay = await node.request(post(`${api}/latin1`, key));
    expect(replay.status).toBe(201);
    expect(replay.headers.first('idempotent-replayed')).toBe('true');
    expect(replay.upstreamRequest).toBeUndefined();
    expect(replay.headers.first('x-utf8')).toBe('café');
    const replayed = luaBytes(replay.headers.first('content-disposition') ?? '');
    if (lossless) expect(replayed).toEqual(LATIN1_DISPOSITION);
    // each E9 came back as U+FFFD's bytes EF BF BD
    else expect(replayed).toEqual(Buffer.from('attachment; filename="r\ufffdsum\ufffd.pdf"', 'utf8'));
  });
});
