/**
 * An event id the signature does not cover (github's X-GitHub-Delivery, shopify's
 * X-Shopify-Event-Id, `custom` with `id_header` outside `signed_content`, any configured
 * `dedup.id_header`) is remembered together with the verified body: a replayed body under a new id
 * cannot make a genuine later event with that id a duplicate, while the sender's own retries (same
 * id, same body) still are. Ids the signature covers (custom with {id} in its template, Standard
 * Webhooks' webhook-id, a JSON field of the body) stay keyed on the id alone.
 * Found by review: the record was keyed on the id header alone, so anyone holding one genuine
 * delivery could replay it with the id of an event not sent yet (sequential ids are common); the
 * replay verified, its id was recorded as processed for `dedup.ttl`, and the genuine event was
 * answered 200 + Webhook-Duplicate and never reached the upstream.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { githubHeader, newWhsec, standardHeaders } from './signing';

const T = 1_700_000_000;
const SECRET = 'acme-webhook-secret';

function sign(ts: number, body: string): string {
  return `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
}

function delivery(path: string, id: string, ts: number, body: string) {
  return post(path, [['X-Signature', sign(ts, body)], ['X-Timestamp', String(ts)], ['X-Event-Id', id]], body);
}

const CUSTOM = {
  signature_header: 'X-Signature',
  signature_prefix: 'sha256=',
  timestamp_header: 'X-Timestamp',
  id_header: 'X-Event-Id',
  signed_content: '{timestamp}.{body}',
};

let env: WebhookEnv;
let route: string;

beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('acme-burn', { scheme: 'custom', secrets: [SECRET], custom: CUSTOM, dedup: { enabled: true } });
});
afterAll(async () => env?.close());

describe('dedup with an id the signature does not cover', () => {
  it('a replayed delivery carrying the next id must not make the genuine next delivery a duplicate', async () => {
    env.setClock(T);
    const first = '{"type":"invoice.paid","invoice":"in_1001"}';
    const ok1 = await env.request(delivery(route, 'evt_1001', T, first));
    expect(ok1.source).toBe('service');

    // attacker: the captured first delivery, byte for byte, with the next id
    env.setClock(T + 5);
    const replay = await env.request(delivery(route, 'evt_1002', T, first));
    expect(replay.source).toBe('service'); // replays within tolerance pass: documented

    // the sender's genuine evt_1002
    env.setClock(T + 10);
    const second = '{"type":"invoice.paid","invoice":"in_1002"}';
    const before = env.upstream.hits.length;
    const genuine = await env.request(delivery(route, 'evt_1002', T + 10, second));
    expect(genuine.headers.first('webhook-duplicate'), 'genuine evt_1002 dropped as a duplicate of the replay').toBeUndefined();
    expect(genuine.source).toBe('service');
    expect(env.upstream.hits.slice(before).map((h) => h.body.toString())).toContain(second);
  });

  it('control: a genuine retry (same id, same body) is still a duplicate', async () => {
    env.setClock(T + 20);
    const body = '{"type":"invoice.paid","invoice":"in_2001"}';
    expect((await env.request(delivery(route, 'evt_2001', T + 20, body))).source).toBe('service');
    env.setClock(T + 40);
    const retry = await env.request(delivery(route, 'evt_2001', T + 40, body));
    expect(retry.headers.first('webhook-duplicate')).toBe('true');
    expect(retry.upstreamRequest).toBeUndefined();
  });

  it('github: a replayed body under a future X-GitHub-Delivery does not burn it; the real retry is a duplicate', async () => {
    const gh = env.route('github-burn', { scheme: 'github', secrets: ['gh'], dedup: { enabled: true } });
    const captured = '{"action":"opened","number":1}';
    const future = randomUUID();
    const deliver = (id: string, body: string) => post(gh, [['X-Hub-Signature-256', githubHeader('gh', body)], ['X-GitHub-Delivery', id]], body);
    expect((await env.request(deliver(randomUUID(), captured))).source).toBe('service');
    expect((await env.request(deliver(future, captured))).source).toBe('service'); // the replay
    const genuineBody = '{"action":"opened","number":2}';
    const genuine = await env.request(deliver(future, genuineBody));
    expect(genuine.source).toBe('service');
    expect(genuine.headers.first('webhook-duplicate')).toBeUndefined();
    const retry = await env.request(deliver(future, genuineBody));
    expect(retry.headers.first('webhook-duplicate')).toBe('true');
  });

  it('a configured dedup.id_header is bound to the body even on a scheme that signs its own id', async () => {
    const secret = newWhsec();
    const path = env.route('standard-configured-id', { secrets: [secret], dedup: { enabled: true, id_header: 'X-Event-Id' } });
    env.setClock(T);
    const send = (webhookId: string, eventId: string, body: string) =>
      env.request(post(path, [...standardHeaders(secret, webhookId, T, body), ['X-Event-Id', eventId]], body));
    const captured = '{"n":1}';
    expect((await send('msg_a', 'evt_a', captured)).source).toBe('service');
    expect((await send('msg_a', 'evt_next', captured)).source).toBe('service'); // the replay, X-Event-Id changed
    const genuine = await send('msg_b', 'evt_next', '{"n":2}');
    expect(genuine.source).toBe('service');
    expect(genuine.headers.first('webhook-duplicate')).toBeUndefined();
    expect((await send('msg_b', 'evt_next', '{"n":2}')).headers.first('webhook-duplicate')).toBe('true');
  });

  it('an id the signature covers ({id} in the custom template) is keyed on the id alone', async () => {
    const signed = env.route('acme-signed-id', {
      scheme: 'custom',
      secrets: [SECRET],
      custom: { ...CUSTOM, signed_content: '{id}.{timestamp}.{body}' },
      dedup: { enabled: true },
    });
    const sendSigned = (id: string, ts: number, body: string) =>
      env.request(
        post(signed, [['X-Signature', `sha256=${createHmac('sha256', SECRET).update(`${id}.${ts}.${body}`).digest('hex')}`], ['X-Timestamp', String(ts)], ['X-Event-Id', id]], body),
      );
    env.setClock(T);
    expect((await sendSigned('evt_s1', T, '{"v":1}')).source).toBe('service');
    // the sender itself, under the same signed id, with a body that changed between attempts
    const again = await sendSigned('evt_s1', T + 1, '{"v":1,"attempt":2}');
    expect(again.headers.first('webhook-duplicate')).toBe('true');
  });
});
