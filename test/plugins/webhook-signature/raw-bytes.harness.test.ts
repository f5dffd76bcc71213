/**
 * A delivery id that is not UTF-8 (a sender writing Latin-1 bytes into `webhook-id`). The sender
 * signs the header's bytes, and Kong hands the plugin server those bytes as a MessagePack `str`.
 * The project's plugin server keeps them (plugins/server/lua-strings.ts), so the plugin must sign
 * and de-duplicate the bytes too: as UTF-8, every invalid byte would be EF BF BD, the signature
 * would never match, and two ids differing only in such bytes would be one event (the second
 * answered as a duplicate, never delivered).
 *
 * kong-pdk's server decodes `str` as lenient UTF-8, so there the signed bytes are lost before the
 * plugin sees them: under TEST_PLUGIN_SERVER=kong-pdk these deliveries are refused (401), the
 * limit plugins/server/README.md describes.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luaString } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { newWhsec } from './signing';

const lossless = TEST_PLUGIN_SERVER === 'project';
const secret = newWhsec();
let env: WebhookEnv;
let route: string;

beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('raw-id', { secrets: [secret], dedup: { enabled: true } });
});
afterAll(async () => env?.close());

/** Standard Webhooks headers for an id given as bytes, signed over those bytes as the sender does. */
function delivery(idBytes: number[], body: string): Array<[string, string]> {
  const ts = Math.floor(Date.now() / 1000);
  const id = Buffer.from(idBytes);
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(id).update(`.${ts}.`).update(body).digest('base64');
  return [
    ['webhook-id', luaString(id)],
    ['webhook-timestamp', String(ts)],
    ['webhook-signature', `v1,${mac}`],
  ];
}

const evt = (...tail: number[]) => [...Buffer.from('evt_'), ...tail];

describe(`a webhook-id that is not UTF-8 (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it('verifies against the bytes the sender signed', async () => {
    const body = '{"type":"a"}';
    const res = await env.request(post(route, delivery(evt(0xe9, 0x31, 0x32), body), body));
    if (lossless) {
      expect(res.status, res.text()).toBe(200);
      expect(res.upstreamRequest).toBeDefined();
    } else {
      expect(res.status).toBe(401);
      expect(res.upstreamRequest).toBeUndefined();
    }
  });

  it('keeps two ids that differ only in invalid bytes apart: both delivered, then each a duplicate', async () => {
    if (!lossless) return; // kong-pdk refuses both at the signature (above)
    const body = '{"type":"b"}';
    for (const tail of [0xfc, 0xfd]) {
      const res = await env.request(post(route, delivery(evt(0x62, tail), body), body));
      expect(res.status, res.text()).toBe(200);
      expect(res.headers.first('webhook-duplicate')).toBeUndefined();
      expect(res.upstreamRequest).toBeDefined();
    }
    const again = await env.request(post(route, delivery(evt(0x62, 0xfd), body), body));
    expect(again.status).toBe(200);
    expect(again.headers.first('webhook-duplicate')).toBe('true');
    expect(again.upstreamRequest).toBeUndefined();
  });
});
