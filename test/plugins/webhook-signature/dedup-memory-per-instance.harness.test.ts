/**
 * In memory, every plugin instance (every de-duplication namespace) has its own store with the
 * whole `dedup.memory` bounds: deliveries on one route can only evict that route's own records,
 * never the processed events of another route, while instances sharing a `dedup.namespace` still
 * share one store. Found by review: all instances with equal bounds drew from one LRU, so a busy
 * or attacker-driven route (one captured GitHub delivery replayed under fresh delivery ids verifies
 * every time) evicted, for example, the Stripe route's processed events, and Stripe's retries then
 * reached the payment upstream again.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';

const T = 1_700_000_000;
const memory = { max_entries: 2, max_bytes: 1048576 };

let env: WebhookEnv;
let stripeRoute: string;
let githubRoute: string;

beforeAll(async () => {
  env = await startWebhookEnv();
  stripeRoute = env.route('stripe-shared-lru', { scheme: 'stripe', secrets: ['whsec_stripe'], dedup: { enabled: true, memory } });
  githubRoute = env.route('github-shared-lru', { scheme: 'github', secrets: ['gh-secret'], dedup: { enabled: true, memory } });
});
afterAll(async () => env?.close());

const stripeSig = (t: number, body: string) => `t=${t},v1=${createHmac('sha256', 'whsec_stripe').update(`${t}.${body}`).digest('hex')}`;
const githubSig = (body: string) => `sha256=${createHmac('sha256', 'gh-secret').update(body).digest('hex')}`;

describe('memory de-duplication across routes', () => {
  it("GitHub traffic on one route does not make the Stripe route forget its processed events", async () => {
    env.setClock(T);
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event', type: 'invoice.paid' });
    expect((await env.request(post(stripeRoute, [['Stripe-Signature', stripeSig(T, body)]], body))).source).toBe('service');

    // deliveries on ANOTHER route (another sender): a replayed GitHub body with fresh delivery ids,
    // well past that route's own bound of 2
    const gh = '{"zen":"Design for failure."}';
    for (let i = 0; i < 5; i++) {
      const res = await env.request(post(githubRoute, [['X-Hub-Signature-256', githubSig(gh)], ['X-GitHub-Delivery', randomUUID()]], gh));
      expect(res.source).toBe('service');
    }

    // Stripe retries the same event
    env.setClock(T + 60);
    const retry = await env.request(post(stripeRoute, [['Stripe-Signature', stripeSig(T + 60, body)]], body));
    expect(retry.headers.first('webhook-duplicate'), 'the Stripe event was forwarded a second time').toBe('true');
    expect(retry.upstreamRequest).toBeUndefined();
  });

  it('control: a route still evicts its own records beyond its own bound', async () => {
    env.setClock(T + 120);
    const send = (body: string, t = T + 120) => env.request(post(stripeRoute, [['Stripe-Signature', stripeSig(t, body)]], body));
    const first = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event' });
    expect((await send(first)).source).toBe('service');
    for (let i = 0; i < 2; i++) expect((await send(JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event' }))).source).toBe('service');
    const again = await send(first, T + 121);
    expect(again.source, 'max_entries 2 held a third record').toBe('service');
    expect(again.headers.first('webhook-duplicate')).toBeUndefined();
  });

  it('instances sharing a dedup.namespace still share one store', async () => {
    env.setClock(T + 180);
    const a = env.route('shared-ns-a', { scheme: 'stripe', secrets: ['whsec_stripe'], dedup: { enabled: true, memory, namespace: 'payments' } });
    const b = env.route('shared-ns-b', { scheme: 'stripe', secrets: ['whsec_stripe'], dedup: { enabled: true, memory, namespace: 'payments' } });
    const body = JSON.stringify({ id: `evt_${randomUUID()}`, object: 'event' });
    expect((await env.request(post(a, [['Stripe-Signature', stripeSig(T + 180, body)]], body))).source).toBe('service');
    const other = await env.request(post(b, [['Stripe-Signature', stripeSig(T + 181, body)]], body));
    expect(other.headers.first('webhook-duplicate')).toBe('true');
  });
});
