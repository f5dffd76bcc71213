/**
 * A header named `__proto__` on a delivery (test/plugins/jwt-claims/proto-key.harness.test.ts
 * tells the story): Kong packs the request's headers as a map with that key, which the project's
 * server used to refuse by closing Kong's connection, so Kong forwarded an unsigned delivery.
 * The plugin must answer as it would without the header; kong-pdk's server exits instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { newWhsec, standardHeaders } from './signing';

const ours = TEST_PLUGIN_SERVER === 'project';
const secret = newWhsec();
let env: WebhookEnv;
let route: string;

beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('proto', { secrets: [secret], dedup: { enabled: true } });
});
afterAll(async () => env?.close());

const body = '{"type":"invoice.paid"}';
const now = () => Math.floor(Date.now() / 1000);

describe(`a delivery with a \`__proto__\` header (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  if (ours) {
    it('is refused unsigned, and with a wrong signature', async () => {
      const unsigned = await env.request(post(route, [['__proto__', 'x']], body));
      expect(unsigned.status).toBe(401);
      const wrong = standardHeaders(newWhsec(), 'msg_proto_1', now(), body);
      const forged = await env.request(post(route, [...wrong, ['__proto__', 'x']], body));
      expect(forged.status).toBe(401);
      expect(env.upstream.hits).toEqual([]);
    });

    it('is delivered once when signed, then answered as a duplicate', async () => {
      const headers: Array<[string, string]> = [['__proto__', '{"polluted":1}'], ...standardHeaders(secret, 'msg_proto_2', now(), body)];
      const first = await env.request(post(route, headers, body));
      expect(first.status, first.text()).toBe(200);
      expect(env.upstream.hits).toHaveLength(1);
      const again = await env.request(post(route, headers, body));
      expect(again.status).toBe(200);
      expect(again.headers.first('webhook-duplicate')).toBe('true');
      expect(env.upstream.hits).toHaveLength(1);
      expect(again.kongLog.filter((l) => /no data/.test(l.message))).toEqual([]);
    });
  } else {
    it('kong-pdk: the server exits, and the unsigned delivery reaches the upstream', async () => {
      const res = await env.request(post(route, [['__proto__', 'x']], body));
      expect(res.status).toBe(200);
      expect(env.upstream.hits).toHaveLength(1);
      expect(await env.nodes[0]!.server.exitsWithin(5000)).toBe(true);
    });
  }
});
