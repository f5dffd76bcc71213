/**
 * A header named `__proto__`, from the client or from the upstream
 * (test/plugins/jwt-claims/proto-key.harness.test.ts tells the story). Kong packs request and
 * response headers as maps with that key, which the project's server used to refuse by closing
 * Kong's connection: the request went upstream without the plugin (a retried key ran twice), and
 * a response carrying the header was never stored. The header must be an ordinary one: the key
 * still deduplicates, and a replay gives the upstream's `__proto__` header back (as `--proto--`,
 * Kong's spelling), from either store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeaderList, type UpstreamTransport } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { RedisServer } from '../../support/redis-server';
import { closeAllStores } from '../../../plugins/shared/store';
import { Cluster, freshKey, post, startNode, type Node } from './env';

const ours = TEST_PLUGIN_SERVER === 'project';
let redis: RedisServer;
let node: Node;
let upstreamHits = 0;
const routes: Record<string, string> = {};

/** Every answer carries a `__proto__` header, as an upstream may send one. */
const upstream: UpstreamTransport = async () => {
  upstreamHits++;
  return {
    status: 201,
    headers: HeaderList.from([['Content-Type', 'application/json'], ['__proto__', 'from-upstream'], ['X-Hit', String(upstreamHits)]]),
    body: Buffer.from(`{"hit":${upstreamHits}}`),
  };
};

beforeAll(async () => {
  if (ours) redis = await RedisServer.start();
  const cluster = new Cluster(9);
  routes.memory = cluster.route({ name: 'proto-memory', config: { strategy: 'memory' } });
  if (ours) routes.redis = cluster.route({ name: 'proto-redis', config: { strategy: 'redis', redis: { host: '127.0.0.1', port: redis.port } } });
  node = await startNode(cluster, { upstream });
});
afterAll(async () => {
  await node?.close();
  await closeAllStores();
  await redis?.close();
});

describe(`\`__proto__\` headers (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  if (ours) {
    describe.each(['memory', 'redis'])('on the %s store', (store) => {
      it("stores a response carrying one, and replays it, the client's own one aside", async () => {
        const key = freshKey();
        const request = post(`${routes[store]}/pay`, key, '{"amount":1}', [['__proto__', 'from-client']]);
        const first = await node.request(request);
        expect(first.status, first.text()).toBe(201);
        expect(first.upstreamRequest?.headers.exactValues('__proto__')).toEqual(['from-client']);
        const hit = first.headers.first('x-hit');

        const replay = await node.request(request);
        expect(replay.status, replay.text()).toBe(201);
        expect(replay.upstreamRequest).toBeUndefined();
        expect(replay.headers.first('idempotent-replayed')).toBe('true');
        expect(replay.headers.first('x-hit')).toBe(hit);
        // written back through ngx.header, which turns `_` into `-` in every name it sets
        // (lua_transform_underscores_in_response_headers): Kong's doing, for any such header
        expect(replay.headers.exactValues('--proto--')).toEqual(['from-upstream']);
        expect(replay.text()).toBe(first.text());
        expect(replay.kongLog.filter((l) => /no data/.test(l.message))).toEqual([]);
      });

      it('still refuses the key with another payload (422)', async () => {
        const key = freshKey();
        const extra: Array<[string, string]> = [['__proto__', 'x']];
        expect((await node.request(post(`${routes[store]}/pay`, key, '{"amount":1}', extra))).status).toBe(201);
        const other = await node.request(post(`${routes[store]}/pay`, key, '{"amount":2}', extra));
        expect(other.status).toBe(422);
        expect(other.upstreamRequest).toBeUndefined();
      });
    });
  } else {
    it('kong-pdk: the server exits, and a retried key reaches the upstream again', async () => {
      const key = freshKey();
      const request = post(`${routes.memory}/pay`, key, '{"amount":1}', [['__proto__', 'from-client']]);
      const before = upstreamHits;
      await node.request(request);
      await node.request(request);
      expect(upstreamHits - before).toBe(2);
      expect(await node.server.exitsWithin(5000)).toBe(true);
    });
  }
});
