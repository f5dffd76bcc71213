/**
 * `scheme: shopify` de-duplicates on X-Shopify-Event-Id, the header Shopify's own guidance names
 * ("the same value across more than one webhook indicates a duplicate",
 * shopify.dev/docs/apps/build/webhooks/ignore-duplicates): two verified webhooks of one event are
 * one delivery, the second answered 200 + Webhook-Duplicate without reaching the upstream, whatever
 * their X-Shopify-Webhook-Id. A verified webhook without X-Shopify-Event-Id gets 400, as a missing
 * event id header does with every scheme. Found by review: the default was X-Shopify-Webhook-Id,
 * so duplicate webhooks of one event carrying new webhook ids were all forwarded (double
 * fulfilment, double stock movements) with nothing logged.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';

const SECRET = 'shpss_shopify_app_secret';
const hmac = (body: string) => createHmac('sha256', SECRET).update(body).digest('base64');

let env: WebhookEnv;
let route: string;

beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('shopify-event-dedup', { scheme: 'shopify', secrets: [SECRET], dedup: { enabled: true } });
});
afterAll(async () => env?.close());

const body = '{"id":820982911946154508,"email":"jon@example.com","financial_status":"paid"}';
const webhook = (webhookId: string, eventId?: string) =>
  post(
    route,
    [
      ['X-Shopify-Hmac-Sha256', hmac(body)],
      ['X-Shopify-Topic', 'orders/paid'],
      ['X-Shopify-Webhook-Id', webhookId],
      ...(eventId === undefined ? [] : ([['X-Shopify-Event-Id', eventId]] as Array<[string, string]>)),
    ],
    body,
  );

describe('shopify de-duplication', () => {
  it('two webhooks with the same X-Shopify-Event-Id are one event', async () => {
    const eventId = randomUUID();
    const first = await env.request(webhook(randomUUID(), eventId));
    expect(first.source).toBe('service');
    const again = await env.request(webhook(randomUUID(), eventId));
    expect(again.headers.first('webhook-duplicate'), 'the same Shopify event was forwarded twice').toBe('true');
    expect(again.upstreamRequest).toBeUndefined();
  });

  it('the same X-Shopify-Webhook-Id on two events is two events, both forwarded', async () => {
    const webhookId = randomUUID();
    expect((await env.request(webhook(webhookId, randomUUID()))).source).toBe('service');
    const other = await env.request(webhook(webhookId, randomUUID()));
    expect(other.source).toBe('service');
    expect(other.headers.first('webhook-duplicate')).toBeUndefined();
  });

  it('a verified webhook without X-Shopify-Event-Id is 400 and never forwarded', async () => {
    const res = await env.request(webhook(randomUUID()));
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: 'Missing webhook event id (x-shopify-event-id header)' });
    expect(res.upstreamRequest).toBeUndefined();
  });
});
