/**
 * Whatever else a delivery carries, webhook-signature decides: an unsigned one never reaches the
 * upstream, a signed one always does, and every event is answered (an RPC error in Kong's log
 * would mean Kong forwarded it without the plugin). Properties over arbitrary extra headers and
 * query arguments (test/plugins/fuzz-names.ts).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { headers, query } from '../fuzz-names';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { newWhsec, standardHeaders } from './signing';

const secret = newWhsec();
/** What the scheme and the body read: another value there is another delivery. */
const READ = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'webhook_id', 'webhook_timestamp', 'webhook_signature', 'content-type', 'content-length', 'transfer-encoding', 'content-encoding', 'host'];
let env: WebhookEnv;
let route: string;
let seq = 0;

beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('any', { secrets: [secret], dedup: { enabled: true } });
});
afterAll(async () => env?.close());

function expectAnswered(res: SimResult): void {
  expect(res.kongLog.filter((l) => l.plugin === undefined && (l.level === 'err' || l.level === 'crit')).map((l) => l.message)).toEqual([]);
  expect(env.nodes[0]!.server.running).toBe(true);
}

const body = '{"type":"invoice.paid"}';

describe(`webhook-signature on any delivery (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it('refuses every unsigned delivery, whatever else it carries', async () => {
    const before = env.upstream.hits.length;
    await fc.assert(
      fc.asyncProperty(headers(), query(), async (extra, q) => {
        const res = await env.request(post(q ? `${route}?${q}` : route, extra, body));
        expect(res.status, JSON.stringify({ extra, q, kongLog: res.kongLog })).toBe(401);
        expectAnswered(res);
      }),
      { numRuns: 150 },
    );
    expect(env.upstream.hits.length).toBe(before);
  });

  it('delivers every signed delivery once, whatever else it carries', async () => {
    await fc.assert(
      fc.asyncProperty(headers(READ), query(), async (extra, q) => {
        const before = env.upstream.hits.length;
        const signed = standardHeaders(secret, `msg_any_${seq++}`, Math.floor(Date.now() / 1000), body);
        const res = await env.request(post(q ? `${route}?${q}` : route, [...extra, ...signed], body));
        expect(res.status, JSON.stringify({ extra, q, body: res.text() })).toBe(200);
        expect(env.upstream.hits.length).toBe(before + 1);
        expectAnswered(res);
      }),
      { numRuns: 150 },
    );
  });
});
