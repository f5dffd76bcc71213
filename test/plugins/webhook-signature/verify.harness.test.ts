/**
 * Verification through the real plugin server with KongSim playing Kong 3.4.2 and a real loopback
 * upstream: every provider's published vector, rotation, the tolerance on both sides (the plugin's
 * clock set through KONG_PLUGINS_TEST_CLOCK_FILE), bodies beyond nginx's default 8 KiB buffer,
 * 413 over the maximum, missing and malformed headers, and one delivery end to end over HTTP.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KongHttpFront, type SimResult } from '../../harness';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import {
  VECTORS,
  githubHeader,
  jsonBodyOfSize,
  newWhsec,
  shopifyHeader,
  slackHeader,
  standardHeaders,
  stripeHeader,
} from './signing';

const T = 1_700_000_000;
/** What operators set per the max_body_size docs: nginx keeps bodies up to 1 MiB in memory. */
const BUFFER_1M = 1048576;

let env: WebhookEnv;
const secret = newWhsec();
let standard: string;
let small: string;
let routes: Record<string, string>;

/** Every route marks what it passes, so that `passed` and `refused` also prove the marker a
 *  fail-closed guard reads is set, for each scheme, exactly when a delivery verified. */
const markedRoute = (name: string, config: Record<string, unknown>) => env.route(name, { ...config, mark_passed: true });

beforeAll(async () => {
  env = await startWebhookEnv({ clientBodyBufferSize: BUFFER_1M });
  standard = markedRoute('standard', { secrets: [secret] });
  small = markedRoute('small', { secrets: [secret], max_body_size: 1000 });
  const sw = VECTORS.standard_webhooks.vectors;
  routes = {
    sw1: markedRoute('sw1', { secrets: [sw[0]!.secret] }),
    sw2: markedRoute('sw2', { secrets: [sw[1]!.secret] }),
    swUnpadded: markedRoute('sw-unpadded', { secrets: [sw[4]!.secret] }),
    github: markedRoute('github', { scheme: 'github', secrets: [VECTORS.github.vectors[0]!.secret] }),
    slack: markedRoute('slack', { scheme: 'slack', secrets: [VECTORS.slack.vectors[0]!.signing_secret] }),
    stripe: markedRoute('stripe', { scheme: 'stripe', secrets: [VECTORS.stripe.vectors[0]!.secret] }),
    stripeRotated: markedRoute('stripe-rotated', { scheme: 'stripe', secrets: [VECTORS.stripe.vectors[1]!.secret] }),
    shopify: markedRoute('shopify', { scheme: 'shopify', secrets: [VECTORS.shopify.vectors[0]!.secret] }),
  };
});
afterAll(async () => env?.close());
afterEach(() => env.setClock(undefined));

function passed(res: SimResult, body?: string | Buffer): void {
  expect(res.status, res.text()).toBe(200);
  expect(res.source).toBe('service');
  expect(res.state.shared.webhook_signature_passed).toBe(true);
  if (body !== undefined) expect(res.upstreamRequest!.body.equals(Buffer.from(body))).toBe(true);
}

function refused(res: SimResult, status: number, message: string): void {
  expect(res.status).toBe(status);
  expect(res.json()).toEqual({ message });
  expect(res.upstreamRequest).toBeUndefined();
  expect(res.state.shared.webhook_signature_passed).toBeUndefined();
}

describe("providers' published vectors", () => {
  const sw = VECTORS.standard_webhooks.vectors;
  const swRequest = (path: string, v: (typeof sw)[number], signature: string) =>
    post(path, [['webhook-id', v['webhook-id']], ['webhook-timestamp', String(v['webhook-timestamp'])], ['webhook-signature', signature]], v.body);

  it.each([
    ['sw1', 0, 'expected_signature'],
    ['sw2', 1, 'expected_signature'],
    ['swUnpadded', 4, 'expected_signature'],
    ['sw1', 3, 'presented_signature'],
  ] as const)('Standard Webhooks %s vector #%i', async (route, index, field) => {
    const v = sw[index]!;
    env.setClock(v['webhook-timestamp']);
    passed(await env.request(swRequest(routes[route]!, v, String(v[field]))), v.body);
  });

  it('Standard Webhooks: the official invalid signature is refused', async () => {
    const v = sw[2]!;
    env.setClock(v['webhook-timestamp']);
    refused(await env.request(swRequest(routes.sw1!, v, String(v.presented_signature))), 401, 'No matching signature');
  });

  it('GitHub', async () => {
    const v = VECTORS.github.vectors[0]!;
    passed(await env.request(post(routes.github!, [['X-Hub-Signature-256', v.expected_header]], v.body)), v.body);
  });

  it('Slack', async () => {
    const v = VECTORS.slack.vectors[0]!;
    env.setClock(Number(v['X-Slack-Request-Timestamp']));
    const headers: Array<[string, string]> = [['X-Slack-Signature', v.expected_header], ['X-Slack-Request-Timestamp', v['X-Slack-Request-Timestamp']]];
    passed(await env.request(post(routes.slack!, headers, v.body, 'application/x-www-form-urlencoded')), v.body);
  });

  it('Stripe, and Stripe during a secret roll (two v1 entries)', async () => {
    const [one, two] = VECTORS.stripe.vectors;
    env.setClock(one!.t);
    passed(await env.request(post(routes.stripe!, [['Stripe-Signature', String(one!.expected_header)]], one!.body)), one!.body);
    passed(await env.request(post(routes.stripeRotated!, [['Stripe-Signature', String(two!.header)]], two!.body)), two!.body);
  });

  it('Shopify', async () => {
    const v = VECTORS.shopify.vectors[0]!;
    passed(await env.request(post(routes.shopify!, [['X-Shopify-Hmac-Sha256', v.expected_header]], v.body)), v.body);
  });
});

describe('rotation', () => {
  it('two secrets configured, two signatures in the header: either one is enough', async () => {
    const next = newWhsec();
    const both = markedRoute('rotation', { secrets: [secret, next] });
    const body = '{"rotate":true}';
    env.setClock(T);
    passed(await env.request(post(both, standardHeaders([secret, next], 'msg_rot', T, body), body)));
    passed(await env.request(post(both, standardHeaders([next], 'msg_rot', T, body), body)));
    passed(await env.request(post(both, standardHeaders([newWhsec(), secret], 'msg_rot', T, body), body)));
    refused(await env.request(post(both, standardHeaders([newWhsec(), newWhsec()], 'msg_rot', T, body), body)), 401, 'No matching signature');
  });
});

describe('timestamp tolerance (300 s) on both sides', () => {
  const body = '{"t":1}';
  it.each([
    [T - 300, 200, undefined],
    [T + 300, 200, undefined],
    [T - 301, 401, 'Timestamp outside the tolerance zone (too old)'],
    [T + 301, 401, 'Timestamp outside the tolerance zone (in the future)'],
  ])('signed at %i, gateway clock at T', async (ts, status, message) => {
    env.setClock(T);
    const res = await env.request(post(standard, standardHeaders(secret, 'msg_ts', ts, body), body));
    if (message) refused(res, status, message);
    else passed(res);
  });

  it('a configured tolerance applies to Stripe and Slack too', async () => {
    const stripeRoute = markedRoute('stripe-60', { scheme: 'stripe', secrets: ['whsec_x'], tolerance: 60 });
    const slackRoute = markedRoute('slack-60', { scheme: 'slack', secrets: ['slack'], tolerance: 60 });
    env.setClock(T);
    passed(await env.request(post(stripeRoute, [['Stripe-Signature', stripeHeader(['whsec_x'], T - 60, body)]], body)));
    refused(await env.request(post(stripeRoute, [['Stripe-Signature', stripeHeader(['whsec_x'], T + 61, body)]], body)), 401, 'Timestamp outside the tolerance zone (in the future)');
    passed(await env.request(post(slackRoute, [['X-Slack-Signature', slackHeader('slack', T + 60, body)], ['X-Slack-Request-Timestamp', String(T + 60)]], body)));
    refused(
      await env.request(post(slackRoute, [['X-Slack-Signature', slackHeader('slack', T - 61, body)], ['X-Slack-Request-Timestamp', String(T - 61)]], body)),
      401,
      'Timestamp outside the tolerance zone (too old)',
    );
  });
});

describe('bodies', () => {
  it.each([8193, 65536, 200000])('%i bytes verify over the raw body and reach the upstream intact', async (size) => {
    const body = jsonBodyOfSize(size);
    env.setClock(T);
    passed(await env.request(post(standard, standardHeaders(secret, `msg_${size}`, T, body), body)), body);
  });

  it('binary bodies are signed as bytes (no UTF-8 round trip)', async () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x7b]);
    const route = markedRoute('binary', { scheme: 'github', secrets: ['bin'] });
    passed(await env.request(post(route, [['X-Hub-Signature-256', githubHeader('bin', body)]], body)), body);
  });

  it('over max_body_size by Content-Length: 413 before the body is read', async () => {
    const body = jsonBodyOfSize(1001);
    env.setClock(T);
    const res = await env.request(post(small, standardHeaders(secret, 'msg_big', T, body), body));
    refused(res, 413, 'Request body too large');
    expect(res.calls.map((c) => c.method)).not.toContain('kong.request.get_raw_body');
  });

  it('over max_body_size without Content-Length (chunked): 413 once read', async () => {
    const body = jsonBodyOfSize(1001);
    env.setClock(T);
    const res = await env.request(post(small, [['Transfer-Encoding', 'chunked'], ...standardHeaders(secret, 'msg_big', T, body)], body));
    refused(res, 413, 'Request body too large');
    expect(res.calls.map((c) => c.method)).toContain('kong.request.get_raw_body');
  });

  it('exactly max_body_size passes', async () => {
    const body = jsonBodyOfSize(1000);
    env.setClock(T);
    passed(await env.request(post(small, standardHeaders(secret, 'msg_1000', T, body), body)));
  });
});

describe('missing and malformed headers', () => {
  const body = '{"h":1}';
  const good = () => standardHeaders(secret, 'msg_h', T, body);
  it.each([
    ['no webhook-id', (h: Array<[string, string]>) => h.filter(([k]) => k !== 'webhook-id'), 'Missing webhook-id header'],
    ['no webhook-timestamp', (h: Array<[string, string]>) => h.filter(([k]) => k !== 'webhook-timestamp'), 'Missing webhook-timestamp header'],
    ['no webhook-signature', (h: Array<[string, string]>) => h.filter(([k]) => k !== 'webhook-signature'), 'Missing webhook-signature header'],
    ['timestamp not an integer', (h: Array<[string, string]>) => h.map(([k, v]) => [k, k === 'webhook-timestamp' ? `${v}.5` : v] as [string, string]), 'Malformed webhook-timestamp header'],
    ['signature sent twice', (h: Array<[string, string]>) => [...h, h[2]!], 'Malformed webhook-signature header'],
    ['truncated signature', (h: Array<[string, string]>) => h.map(([k, v]) => [k, k === 'webhook-signature' ? v.slice(0, 20) : v] as [string, string]), 'Malformed webhook-signature header'],
    ['only v1a (ed25519)', (h: Array<[string, string]>) => h.map(([k, v]) => [k, k === 'webhook-signature' ? v.replace('v1,', 'v1a,') : v] as [string, string]), 'No signature of a supported version in webhook-signature header'],
  ])('%s', async (_, edit, message) => {
    env.setClock(T);
    const res = await env.request(post(standard, edit(good()), body));
    refused(res, 401, message);
    expect(res.text()).not.toContain(secret);
  });

  it('messages never carry the expected signature', async () => {
    env.setClock(T);
    const expected = standardHeaders(secret, 'msg_h', T, body)[2]![1].slice(3);
    const res = await env.request(post(standard, standardHeaders(newWhsec(), 'msg_h', T, body), body));
    refused(res, 401, 'No matching signature');
    expect(res.text()).not.toContain(expected);
    expect(JSON.stringify(res.kongLog)).not.toContain(expected);
  });

  it('each scheme names its own header', async () => {
    const gh = markedRoute('gh-headers', { scheme: 'github', secrets: ['s'] });
    const sh = markedRoute('sh-headers', { scheme: 'shopify', secrets: ['s'] });
    refused(await env.request(post(gh, [], body)), 401, 'Missing X-Hub-Signature-256 header');
    refused(await env.request(post(gh, [['X-Hub-Signature-256', 'md5=abc']], body)), 401, 'Malformed X-Hub-Signature-256 header');
    refused(await env.request(post(sh, [['X-Shopify-Hmac-Sha256', shopifyHeader('other', body)]], body)), 401, 'No matching signature');
  });
});

describe('end to end over HTTP (KongHttpFront, real upstream)', () => {
  it('a 64 KiB Standard Webhooks delivery from a real HTTP client reaches the upstream byte for byte', async () => {
    const front = new KongHttpFront(env.nodes[0]!.sim);
    const url = await front.listen();
    try {
      const body = jsonBodyOfSize(65536);
      env.setClock(T);
      const headers = Object.fromEntries([...standardHeaders(secret, 'msg_http', T, body), ['content-type', 'application/json']]);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${url}${standard}`, { method: 'POST', headers, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(200);
      const hit = env.upstream.hits[env.upstream.hits.length - 1]!;
      expect(hit.body.toString('utf8')).toBe(body);
      expect(hit.headers['webhook-id']).toBe('msg_http');
    } finally {
      await front.close();
    }
  });
});
