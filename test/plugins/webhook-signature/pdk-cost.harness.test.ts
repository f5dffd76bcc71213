/**
 * What a delivery costs in PDK round trips (each one a unix-socket exchange with Kong), the
 * passed-marker for a later guard, failing closed, and what happens on Kong 3.4 when nginx
 * buffered the body to a file — all through the real plugin server, KongSim strict on PDK use.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { phaseCalls, post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { jsonBodyOfSize, newWhsec, standardHeaders } from './signing';

const T = 1_700_000_000;
const secret = newWhsec();
const body = '{"cost":1}';

let env: WebhookEnv;
let route: string;
let marked: string;

beforeAll(async () => {
  env = await startWebhookEnv();
  route = env.route('cost', { secrets: [secret] });
  marked = env.route('marked', { secrets: [secret], mark_passed: true });
});
afterAll(async () => env?.close());
afterEach(() => env.setClock(undefined));

describe('PDK round trips', () => {
  it('a verified delivery: getHeaders, getRawBody — 3 round trips in access, 1 in log (no call)', async () => {
    env.setClock(T);
    await env.request(post(route, standardHeaders(secret, 'msg_warm', T, body), body)); // starts the instance
    const res = await env.request(post(route, standardHeaders(secret, 'msg_cost', T, body), body));
    expect(res.status).toBe(200);
    expect(phaseCalls(res, 'access')).toEqual(['kong.request.get_headers', 'kong.request.get_raw_body']);
    // without dedup there is no claim to settle: the log event asks Kong nothing
    expect(phaseCalls(res, 'log')).toEqual([]);
    const byPhase = (phase: string) => res.events.filter((e) => e.phase === phase).reduce((n, e) => n + e.roundTrips, 0);
    expect(byPhase('access')).toBe(3);
    expect(byPhase('log')).toBe(1);
    expect(res.roundTrips).toBe(4);
  });

  it('with mark_passed (a fail-closed guard behind it): the marker is one more call in access, the last', async () => {
    env.setClock(T);
    const res = await env.request(post(marked, standardHeaders(secret, 'msg_cost_m', T, body), body));
    expect(res.status).toBe(200);
    expect(phaseCalls(res, 'access')).toEqual(['kong.request.get_headers', 'kong.request.get_raw_body', 'kong.ctx.shared.set']);
    expect(res.calls.find((c) => c.method === 'kong.ctx.shared.set')!.args).toEqual(['webhook_signature_passed', true]);
  });

  it('a refusal on the headers: getHeaders and one exit, the body is never transferred', async () => {
    env.setClock(T);
    const res = await env.request(post(route, standardHeaders(secret, 'msg_old', T - 301, body), body));
    expect(res.status).toBe(401);
    expect(phaseCalls(res, 'access')).toEqual(['kong.request.get_headers', 'kong.response.exit']);
    expect(res.calls[1]!.args).toEqual([401, { message: 'Timestamp outside the tolerance zone (too old)' }]);
  });

  it('a bad signature: getHeaders, getRawBody, one exit', async () => {
    env.setClock(T);
    const res = await env.request(post(route, standardHeaders(newWhsec(), 'msg_bad', T, body), body));
    expect(res.status).toBe(401);
    expect(phaseCalls(res, 'access')).toEqual(['kong.request.get_headers', 'kong.request.get_raw_body', 'kong.response.exit']);
  });
});

describe('passed marker for a later guard', () => {
  it('with mark_passed, is set in kong.ctx.shared only when the delivery verified', async () => {
    env.setClock(T);
    const ok = await env.request(post(marked, standardHeaders(secret, 'msg_m', T, body), body));
    expect(ok.status).toBe(200);
    expect(ok.state.shared.webhook_signature_passed).toBe(true);
    const bad = await env.request(post(marked, standardHeaders(secret, 'msg_m', T, body), `${body} `));
    expect(bad.status).toBe(401);
    expect(bad.state.shared.webhook_signature_passed).toBeUndefined();
  });

  it('without mark_passed (the default), is never set', async () => {
    env.setClock(T);
    const ok = await env.request(post(route, standardHeaders(secret, 'msg_unmarked', T, body), body));
    expect(ok.status).toBe(200);
    expect(ok.state.shared.webhook_signature_passed).toBeUndefined();
  });
});

describe('fail closed', () => {
  it('an internal error answers 500 with Kong text, logs it once, and never proxies', async () => {
    writeFileSync(env.clockFile, 'not-a-number');
    const hits = env.upstream.hits.length;
    const res = await env.request(post(marked, standardHeaders(secret, 'msg_err', T, body), body));
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
    expect(env.upstream.hits.length).toBe(hits);
    expect(res.state.shared.webhook_signature_passed).toBeUndefined();
    const logged = res.kongLog.filter((l) => l.message.includes('[webhook-signature] access handler failed'));
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe('err');
    expect(logged[0]!.message).toContain('does not hold epoch seconds');
  });

  it('a config Kong accepts but the plugin cannot use answers 500 and logs why, never the secrets', async () => {
    const broken = env.route('broken', {
      scheme: 'custom',
      secrets: ['zz-not-hex-secret'],
      secret_encoding: 'hex',
      custom: { signature_header: 'X-Sig', signed_content: '{id}.{body}' },
    });
    const res = await env.request(post(broken, [['X-Sig', 'abc']], body));
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
    expect(res.upstreamRequest).toBeUndefined();
    const line = res.kongLog.find((l) => l.message.includes('invalid configuration'));
    expect(line?.message).toContain('secrets[0]: is not hex');
    expect(line?.message).toContain('custom.signed_content: {id} needs custom.id_header');
    expect(JSON.stringify(res.kongLog)).not.toContain('zz-not-hex-secret');
  });
});

describe("Kong 3.4 and nginx's client body buffer (default 8 KiB)", () => {
  it('a body nginx buffered to a file cannot be read: Kong fails the request with 500, nothing is proxied', async () => {
    const small = await startWebhookEnv({ strict: { allow: ['lua-error'] } });
    try {
      const path = small.route('default-buffer', { secrets: [secret] });
      small.setClock(T);
      const fits = jsonBodyOfSize(8192);
      expect((await small.request(post(path, standardHeaders(secret, 'msg_fit', T, fits), fits))).status).toBe(200);
      const spilled = jsonBodyOfSize(8193);
      const res = await small.request(post(path, standardHeaders(secret, 'msg_spill', T, spilled), spilled));
      expect(res.status).toBe(500);
      expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
      expect(res.upstreamRequest).toBeUndefined();
      expect(res.violations.map((v) => v.kind)).toEqual(['lua-error']);
      expect(res.calls.find((c) => c.method === 'kong.request.get_raw_body')?.outcome).toBe('lua-error');
    } finally {
      await small.close();
    }
  });
});

describe("Kong 3.9 and nginx's default 8 KiB client body buffer", () => {
  it('reads a body nginx buffered to a file, with max_body_size as the limit: large deliveries verify', async () => {
    const k39 = await startWebhookEnv({ kongVersion: '3.9.1' });
    try {
      const path = k39.route('default-buffer-39', { secrets: [secret], max_body_size: 128 * 1024 });
      k39.setClock(T);
      const spilled = jsonBodyOfSize(64 * 1024);
      const res = await k39.request(post(path, standardHeaders(secret, 'msg_spill_39', T, spilled), spilled));
      expect(res.status).toBe(200);
      expect(res.upstreamRequest?.body.equals(Buffer.from(spilled))).toBe(true);
      expect(res.calls.find((c) => c.method === 'kong.request.get_raw_body')?.args).toEqual([128 * 1024]);
      // Tampered, the same large body is refused: it was really read and checked.
      const tampered = `${spilled.slice(0, -2)} }`;
      const bad = await k39.request(post(path, standardHeaders(secret, 'msg_spill_39b', T, spilled), tampered));
      expect(bad.status).toBe(401);
      // Past max_body_size: 413 on the declared size, the body never read.
      const over = jsonBodyOfSize(128 * 1024 + 1);
      const big = await k39.request(post(path, standardHeaders(secret, 'msg_over_39', T, over), over));
      expect(big.status).toBe(413);
      expect(big.calls.map((c) => c.method)).not.toContain('kong.request.get_raw_body');
    } finally {
      await k39.close();
    }
  });
});
