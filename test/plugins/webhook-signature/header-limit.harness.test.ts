/**
 * Every header a scheme reads must be sent exactly once (README, "Header rules"), also past the 100
 * headers Kong hands a plugin by default: get_headers truncates silently, so a second webhook-id
 * after 100 others went unseen and reached the upstream beside the verified one. The plugin asks
 * for up to 1000 and refuses a delivery with more, which it could only judge on a part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { newWhsec, standardHeaders } from './signing';

const T = 1_700_000_000;
const secret = newWhsec();
let env: WebhookEnv;
let route: string;
beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('header-limit', { secrets: [secret] });
});
afterAll(async () => env?.close());

const filler = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`x-filler-${i}`, 'x'] as [string, string]);

describe('a scheme header sent twice', () => {
  it('control: sent twice among few headers, 401 Malformed', async () => {
    env.setClock(T);
    const body = '{"a":1}';
    const h = standardHeaders(secret, 'msg_dup_ctl', T, body);
    const res = await env.request(post(route, [...h, ['webhook-id', 'msg_other']], body));
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Malformed webhook-id header' });
  });

  it('sent twice with the second copy after 100 other headers: still 401 Malformed, never proxied', async () => {
    env.setClock(T);
    const body = '{"a":1}';
    const h = standardHeaders(secret, 'msg_dup', T, body);
    const res = await env.request(post(route, [...h, ...filler(100), ['webhook-id', 'msg_other']], body));
    expect(res.upstreamRequest, 'forwarded with two webhook-id values').toBeUndefined();
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: 'Malformed webhook-id header' });
  });

  it('1000 headers or more: 400, never judged on the part Kong hands over', async () => {
    env.setClock(T);
    const body = '{"a":1}';
    const res = await env.request(post(route, [...standardHeaders(secret, 'msg_many', T, body), ...filler(1000)], body));
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: 'Too many request headers' });
    expect(res.upstreamRequest).toBeUndefined();
  });
});
