/**
 * De-duplication through the real plugin server, KongSim playing Kong 3.4.2 and a real loopback
 * upstream: in memory on one node, and across two plugin-server processes (two Kong nodes)
 * sharing one real redis-server. A processed delivery is answered 200 + Webhook-Duplicate without
 * reaching the upstream, one in progress 409, an upstream failure frees the id for the retry, and
 * a store outage follows `fault_tolerant`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimRequest, SimResult } from '../../harness';
import { RedisServer } from '../../support/redis-server';
import { phaseCalls, post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { githubHeader, newWhsec, standardHeaders, stripeHeader, svixHeaders } from './signing';

const T = 1_700_000_000;
const secret = newWhsec();
let seq = 0;
const uniqueId = (prefix = 'msg') => `${prefix}_${process.pid}_${++seq}`;

function delivery(path: string, id: string, body = `{"event":"${id}"}`, ts = T) {
  return post(path, standardHeaders(secret, id, ts, body), body);
}

/** Sends `req` while the upstream holds requests; resolves once it is held there (until env.upstream.open()). */
async function heldAtUpstream(env: WebhookEnv, req: SimRequest, node?: number): Promise<{ result: Promise<SimResult> }> {
  env.upstream.hold();
  const before = env.upstream.hits.length;
  const result = env.request(req, node);
  await env.upstream.arrived(before + 1);
  return { result };
}

function proxied(res: SimResult): void {
  expect(res.status, res.text()).toBe(200);
  expect(res.source).toBe('service');
  expect(res.headers.first('webhook-duplicate')).toBeUndefined();
}

function duplicate(res: SimResult): void {
  expect(res.status).toBe(200);
  expect(res.source).toBe('exit');
  expect(res.headers.first('webhook-duplicate')).toBe('true');
  expect(res.json()).toEqual({ message: 'Webhook delivery already processed' });
  expect(res.upstreamRequest).toBeUndefined();
  expect(res.state.shared.webhook_signature_passed).toBeUndefined();
}

describe('in memory, one node', () => {
  let env: WebhookEnv;
  let route: string;
  /** in_flight_ttl 3 s: its log phases stop asking 3 s after the server started (held-claims.ts). */
  let quiet: string;
  let startedAt = 0;
  const pastStartupWindow = async () => {
    const left = startedAt + 3050 - Date.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  };

  beforeAll(async () => {
    env = await startWebhookEnv();
    startedAt = Date.now();
    route = env.route('memory', { secrets: [secret], dedup: { enabled: true } });
    quiet = env.route('memory-quiet', { secrets: [secret], dedup: { enabled: true, in_flight_ttl: 3 } });
  });
  afterAll(async () => env?.close());
  afterEach(() => {
    env.upstream.status = 200;
    env.upstream.open();
  });

  it('a processed delivery is answered 200 + Webhook-Duplicate and never reaches the upstream again', async () => {
    env.setClock(T);
    const id = uniqueId();
    proxied(await env.request(delivery(route, id)));
    const hits = env.upstream.hits.length;
    duplicate(await env.request(delivery(route, id)));
    duplicate(await env.request(delivery(route, id)));
    expect(env.upstream.hits.length).toBe(hits);
    proxied(await env.request(delivery(route, uniqueId())));
  });

  it("a delivery with Svix's header names is de-duplicated by its signed svix-id", async () => {
    env.setClock(T);
    const id = uniqueId();
    const body = `{"event":"${id}"}`;
    proxied(await env.request(post(route, svixHeaders(secret, id, T, body), body)));
    const hits = env.upstream.hits.length;
    duplicate(await env.request(post(route, svixHeaders(secret, id, T, body), body)));
    // the same event under the standard names is the same event id
    duplicate(await env.request(delivery(route, id, body)));
    expect(env.upstream.hits.length).toBe(hits);
  });

  it('a duplicate still in progress gets 409 with Retry-After; once it finished, duplicates get 200', async () => {
    env.setClock(T);
    const id = uniqueId();
    const first = (await heldAtUpstream(env, delivery(route, id))).result;
    const second = await env.request(delivery(route, id));
    expect(second.status).toBe(409);
    expect(second.json()).toEqual({ message: 'Webhook delivery already in progress' });
    expect(Number(second.headers.first('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(second.headers.first('retry-after'))).toBeLessThanOrEqual(120);
    expect(second.upstreamRequest).toBeUndefined();
    env.upstream.open();
    proxied(await first);
    duplicate(await env.request(delivery(route, id)));
  });

  it('an upstream failure releases the id: the retry is processed, then remembered', async () => {
    env.setClock(T);
    const id = uniqueId();
    env.upstream.status = 503;
    const failed = await env.request(delivery(route, id));
    expect(failed.status).toBe(503);
    expect(failed.source).toBe('service');
    env.upstream.status = 200;
    proxied(await env.request(delivery(route, id)));
    duplicate(await env.request(delivery(route, id)));
  });

  it('a request that fails verification never claims the id', async () => {
    env.setClock(T);
    const id = uniqueId();
    const forged = post(route, standardHeaders(newWhsec(), id, T, '{}'), '{}');
    expect((await env.request(forged)).status).toBe(401);
    proxied(await env.request(delivery(route, id)));
  });

  it('ids are kept per plugin instance unless a namespace is shared', async () => {
    env.setClock(T);
    const other = env.route('memory-other', { secrets: [secret], dedup: { enabled: true } });
    const sharedA = env.route('memory-shared-a', { secrets: [secret], dedup: { enabled: true, namespace: 'acme' } });
    const sharedB = env.route('memory-shared-b', { secrets: [secret], dedup: { enabled: true, namespace: 'acme' } });
    const id = uniqueId();
    proxied(await env.request(delivery(route, id)));
    proxied(await env.request(delivery(other, id)));
    proxied(await env.request(delivery(sharedA, id)));
    duplicate(await env.request(delivery(sharedB, id)));
  });

  it("Stripe: the event id comes from the body, so a retry signed at a new time is still a duplicate", async () => {
    const stripeRoute = env.route('stripe-dedup', { scheme: 'stripe', secrets: ['whsec_s'], dedup: { enabled: true } });
    const id = uniqueId('evt');
    const body = JSON.stringify({ id, object: 'event', type: 'invoice.paid' });
    env.setClock(T);
    proxied(await env.request(post(stripeRoute, [['Stripe-Signature', stripeHeader(['whsec_s'], T, body)]], body)));
    env.setClock(T + 3600);
    duplicate(await env.request(post(stripeRoute, [['Stripe-Signature', stripeHeader(['whsec_s'], T + 3600, body)]], body)));
    const noId = '{"object":"event"}';
    const res = await env.request(post(stripeRoute, [['Stripe-Signature', stripeHeader(['whsec_s'], T + 3600, noId)]], noId));
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: 'Missing webhook event id (JSON field id)' });
  });

  it('GitHub: by X-GitHub-Delivery; a verified delivery without it is 400', async () => {
    const gh = env.route('github-dedup', { scheme: 'github', secrets: ['gh'], dedup: { enabled: true } });
    const body = '{"zen":"Keep it logically awesome."}';
    const id = uniqueId('guid');
    const headers: Array<[string, string]> = [['X-Hub-Signature-256', githubHeader('gh', body)]];
    proxied(await env.request(post(gh, [...headers, ['X-GitHub-Delivery', id]], body)));
    duplicate(await env.request(post(gh, [...headers, ['X-GitHub-Delivery', id]], body)));
    const res = await env.request(post(gh, headers, body));
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: 'Missing webhook event id (x-github-delivery header)' });
  });

  it('PDK round trips: a claimed delivery adds one ctx call in access, status and source in log; a duplicate none in log', async () => {
    await pastStartupWindow();
    env.setClock(T);
    const id = uniqueId();
    const res = await env.request(delivery(quiet, id));
    proxied(res);
    expect(phaseCalls(res, 'access')).toEqual(['kong.request.get_headers', 'kong.request.get_raw_body', 'kong.ctx.shared.set']);
    expect(phaseCalls(res, 'log')).toEqual(['kong.ctx.shared.get', 'kong.response.get_status', 'kong.response.get_source']);
    expect(res.state.shared.webhook_signature_claim).toMatchObject({ key: expect.any(String), token: expect.any(String) });
    const dup = await env.request(delivery(quiet, id));
    expect(phaseCalls(dup, 'access')).toEqual(['kong.request.get_headers', 'kong.request.get_raw_body', 'kong.response.exit']);
    expect(phaseCalls(dup, 'log')).toEqual([]);
  });

  it('for in_flight_ttl after the plugin server started, a duplicate\'s log asks all the same', async () => {
    env.setClock(T);
    // `route` keeps the default in_flight_ttl (120 s): this server is younger than that.
    expect(Date.now() - startedAt).toBeLessThan(120_000);
    const id = uniqueId();
    proxied(await env.request(delivery(route, id)));
    const dup = await env.request(delivery(route, id));
    duplicate(dup);
    expect(phaseCalls(dup, 'log')).toEqual(['kong.ctx.shared.get']);
  });

  it('while a delivery holds a claim, the others ask for theirs in log; the holder alone settles', async () => {
    await pastStartupWindow();
    env.setClock(T);
    const other = uniqueId();
    proxied(await env.request(delivery(quiet, other)));
    const held = uniqueId();
    const holder = (await heldAtUpstream(env, delivery(route, held))).result;
    const dup = await env.request(delivery(quiet, other));
    duplicate(dup);
    expect(phaseCalls(dup, 'log')).toEqual(['kong.ctx.shared.get']);
    // The held id is still in progress for its duplicates: nobody else settled it.
    expect((await env.request(delivery(route, held))).status).toBe(409);
    env.upstream.open();
    proxied(await holder);
    const after = await env.request(delivery(quiet, other));
    duplicate(after);
    expect(phaseCalls(after, 'log')).toEqual([]);
    duplicate(await env.request(delivery(route, held)));
  });
});

describe('memory store on two nodes', () => {
  it('is per node: the other node processes the delivery again (use redis for a cluster)', async () => {
    const env = await startWebhookEnv({ nodes: 2 });
    try {
      const route = env.route('two-nodes-memory', { secrets: [secret], dedup: { enabled: true } });
      env.setClock(T);
      const id = uniqueId();
      proxied(await env.request(delivery(route, id), 0));
      proxied(await env.request(delivery(route, id), 1));
      duplicate(await env.request(delivery(route, id), 0));
    } finally {
      await env.close();
    }
  });
});

describe('redis, two Kong nodes (two plugin-server processes) sharing one redis-server', () => {
  let redis: RedisServer;
  let env: WebhookEnv;
  let shared: string;
  let strict: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    env = await startWebhookEnv({ nodes: 2 });
    const dedup = (faultTolerant: boolean) => ({
      enabled: true,
      strategy: 'redis',
      fault_tolerant: faultTolerant,
      redis: { host: '127.0.0.1', port: redis.port, timeout: 500 },
    });
    shared = env.route('redis-tolerant', { secrets: [secret], dedup: dedup(true), mark_passed: true });
    strict = env.route('redis-strict', { secrets: [secret], dedup: dedup(false), mark_passed: true });
  });
  afterAll(async () => {
    await env?.close();
    await redis?.close();
  });
  afterEach(async () => {
    env.upstream.status = 200;
    env.upstream.open();
    if (!redis.running) {
      await redis.start();
      await storeBackOnEveryNode();
    }
  });

  /** After an outage each plugin server reconnects on its own schedule (the store's backoff):
   *  wait for the condition, bounded, rather than for a guessed delay. */
  async function storeBackOnEveryNode(): Promise<void> {
    env.setClock(T);
    for (let node = 0; node < env.nodes.length; node++) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const res = await env.request(delivery(strict, uniqueId('probe')), node);
        if (res.status === 200) break;
        if (Date.now() > deadline) throw new Error(`node ${node}: store still unavailable (${res.status} ${res.text()})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  it('a delivery processed by one node is a duplicate on the other', async () => {
    env.setClock(T);
    const id = uniqueId();
    proxied(await env.request(delivery(shared, id), 0));
    duplicate(await env.request(delivery(shared, id), 1));
    duplicate(await env.request(delivery(shared, id), 0));
  });

  it('in progress on one node: 409 on the other; released on failure: the retry goes through on either', async () => {
    env.setClock(T);
    const id = uniqueId();
    const first = (await heldAtUpstream(env, delivery(shared, id), 0)).result;
    expect((await env.request(delivery(shared, id), 1)).status).toBe(409);
    env.upstream.status = 500;
    env.upstream.open();
    expect((await first).status).toBe(500);
    env.upstream.status = 200;
    proxied(await env.request(delivery(shared, id), 1));
    duplicate(await env.request(delivery(shared, id), 0));
  });

  it('a plugin server restarted while a delivery is at the upstream: its successor records the outcome, the retry is a duplicate', async () => {
    env.setClock(T);
    const id = uniqueId();
    const first = (await heldAtUpstream(env, delivery(shared, id), 0)).result;
    // Kong restarts a crashed plugin server, and kong reload replaces it: the delivery's log
    // phase then runs on a process that never saw its access phase.
    const pid = env.nodes[0]!.server.pid;
    await env.nodes[0]!.server.restart();
    expect(env.nodes[0]!.server.pid).not.toBe(pid);
    env.upstream.open();
    const done = await first;
    proxied(done);
    expect(phaseCalls(done, 'log')).toEqual(['kong.ctx.shared.get', 'kong.response.get_status', 'kong.response.get_source']);
    duplicate(await env.request(delivery(shared, id), 0));
    duplicate(await env.request(delivery(shared, id), 1));
  });

  it('redis down, fault_tolerant true: verified deliveries are proxied without de-duplication, and it is logged', async () => {
    env.setClock(T);
    const id = uniqueId();
    await redis.stop();
    const first = await env.request(delivery(shared, id), 0);
    proxied(first);
    expect(first.state.shared.webhook_signature_passed).toBe(true);
    expect(first.kongLog.some((l) => l.level === 'warn' && l.message.includes('de-duplication store unavailable, proxying without de-duplication'))).toBe(true);
    proxied(await env.request(delivery(shared, id), 1));
    // forged deliveries are still refused
    expect((await env.request(post(shared, standardHeaders(newWhsec(), id, T, '{}'), '{}'), 0)).status).toBe(401);
  });

  it('redis down, fault_tolerant false: 503, never proxied', async () => {
    env.setClock(T);
    await redis.stop();
    const hits = env.upstream.hits.length;
    const res = await env.request(delivery(strict, uniqueId()), 1);
    expect(res.status).toBe(503);
    expect(res.json()).toEqual({ message: 'Webhook de-duplication unavailable' });
    expect(res.state.shared.webhook_signature_passed).toBeUndefined();
    expect(env.upstream.hits.length).toBe(hits);
    expect(res.kongLog.some((l) => l.level === 'err' && l.message.includes('de-duplication store unavailable'))).toBe(true);
  });

  it('redis lost while the upstream works: the delivery is answered, the failure to record it is logged', async () => {
    env.setClock(T);
    const pending = (await heldAtUpstream(env, delivery(strict, uniqueId()), 0)).result;
    await redis.stop();
    env.upstream.open();
    const res = await pending;
    proxied(res);
    expect(res.kongLog.some((l) => l.level === 'err' && l.message.includes('outcome (status 200) not recorded'))).toBe(true);
  });
});
