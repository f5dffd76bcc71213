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
import { HeaderList, httpUpstream, luaBytes, luaString, type UpstreamTransport } from '../../harness';
import { closeAllStores } from '../../../plugins/shared/store';
import { Cluster, LATIN1_DISPOSITION, TestUpstream, freshKey, post, problemOf, startNode, type Node } from './env';

const lossless = TEST_PLUGIN_SERVER === 'project';

/** A request target with raw bytes, as the harness holds a Lua string. */
const target = (prefix: string, bytes: number[]): string => prefix + luaString(Uint8Array.from(bytes));

let upstream: TestUpstream;
const rawTargets: Buffer[] = [];

/**
 * Node's HTTP parser answers 400 to a raw byte >= 0x80 in a request target, so such requests are
 * answered here (201), their target's bytes kept; the others go to the real upstream.
 */
const upstreamTransport: UpstreamTransport = (req) => {
  if (/^[\x00-\x7f]*$/.test(req.path)) return httpUpstream(req);
  rawTargets.push(luaBytes(req.path));
  return Promise.resolve({ status: 201, headers: HeaderList.from([['Content-Type', 'application/json']]), body: Buffer.from('{"n":1}') });
};
let node: Node;
let api: string;

beforeAll(async () => {
  upstream = new TestUpstream();
  await upstream.start();
  const cluster = new Cluster(upstream.port);
  api = cluster.route({ name: 'raw-bytes', config: { strategy: 'memory' } });
  node = await startNode(cluster, { upstream: upstreamTransport });
});
afterAll(async () => {
  await node?.close();
  await closeAllStores();
  await upstream?.close();
});

describe(`request targets that are not UTF-8 (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  // kongPdkReplays: whether kong-pdk's lenient decoder makes the two targets one string. Its JS
  // decoder (strings up to 200 bytes) reads F8..FF as Latin-1, so \xFC and \xFD stay apart
  // there, but \xFC and the UTF-8 of "ü" do not, nor an overlong "A" and "A"; longer strings go
  // through TextDecoder, which makes every invalid byte U+FFFD.
  const long = [0x2f, ...Buffer.alloc(250, 0x61)];
  it.each([
    ['a raw byte: /a\\xFC then /a\\xFD', [0x2f, 0x61, 0xfc], [0x2f, 0x61, 0xfd], false],
    ['a raw byte in a long target: /aaa…\\xFC then /aaa…\\xFD', [...long, 0xfc], [...long, 0xfd], true],
    ['a raw byte: /a\\xFC then /aü (C3 BC)', [0x2f, 0x61, 0xfc], [0x2f, 0x61, 0xc3, 0xbc], true],
    ['an overlong form: /\\xC1\\x81 then /A', [0x2f, 0xc1, 0x81], [0x2f, 0x41], true],
  ])('%s with the same key', async (_name, firstBytes, secondBytes, kongPdkReplays) => {
    const key = freshKey();
    const first = await node.request(post(target(api, firstBytes), key));
    expect(first.status).toBe(201);
    // the upstream got the client's bytes (route prefix stripped) whichever server: Kong proxies them
    expect(rawTargets.at(-1)).toEqual(Buffer.from(firstBytes));
    const second = await node.request(post(target(api, secondBytes), key));
    if (lossless || !kongPdkReplays) {
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
    // not the upstream's bytes: the lenient decoder even took "su" and "pd" as E9's continuation bytes
    else expect(replayed).not.toEqual(LATIN1_DISPOSITION);
  });
});
