/**
 * End to end over real HTTP: a client talks to the harness's Kong front, circuit-breaker runs in
 * the real plugin server, and a real loopback upstream fails, slows down, then recovers. Kong runs
 * the log phase after the response is sent, so each step waits for the front to settle (the
 * breaker learns a request's outcome in its log phase).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongHttpFront } from '../../harness';
import { breakerConfig, startBreakerEnv, type Api, type BreakerEnv } from './harness-env';

let env: BreakerEnv;
let front: KongHttpFront;
let base: string;
let api: Api;

beforeAll(async () => {
  env = await startBreakerEnv({ kongVersion: '3.4.2' });
  api = env.api('orders', {
    config: breakerConfig({ slow_call_threshold_ms: 500, open_duration_ms: 10_000, open_duration_multiplier: 3, max_open_duration_ms: 60_000 }),
  });
  front = new KongHttpFront(env.sim);
  base = await front.listen();
});
afterAll(async () => {
  await front?.close();
  await env?.close();
});

async function get(): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(`${base}${api.path}/42`);
  const out = { status: res.status, headers: res.headers, body: await res.text() };
  await front.settled();
  return out;
}

describe('circuit-breaker over HTTP', () => {
  it('opens on failures, stays open on a slow probe, closes once the upstream recovers', async () => {
    env.upstream.set('orders', { status: 500 });
    const failing: number[] = [];
    for (let i = 0; i < 4; i++) failing.push((await get()).status);
    expect(failing).toEqual([500, 500, 500, 500]);

    const refused = await get();
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ message: 'The upstream server is currently unavailable' });
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(refused.headers.get('x-circuit-breaker-state')).toBe('open');
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(env.upstream.hits('orders')).toBe(4);

    env.upstream.set('orders', { status: 200, delayMs: 1200 }); // answering again, but slowly
    env.advance(10_000);
    const slowProbe = await get();
    expect(slowProbe.status).toBe(200);
    const reopened = await get();
    expect(reopened.status).toBe(503);
    expect(reopened.headers.get('retry-after')).toBe('30');

    env.upstream.set('orders', { status: 200 });
    env.advance(30_000);
    const probe = await get();
    expect(probe.status).toBe(200);
    const after: number[] = [];
    for (let i = 0; i < 3; i++) after.push((await get()).status);
    expect(after).toEqual([200, 200, 200]);
    expect(env.upstream.hits('orders')).toBe(4 + 1 + 1 + 3);

    const lines = front.results.flatMap((r) => r.kongLog).filter((l) => l.message.startsWith('[circuit-breaker]'));
    expect(lines.map((l) => l.message.replace(/ for service \S+ \(orders\)/, '').replace(/: .*/, ''))).toEqual([
      '[circuit-breaker] circuit opened',
      '[circuit-breaker] circuit half-open',
      '[circuit-breaker] circuit opened again',
      '[circuit-breaker] circuit half-open',
      '[circuit-breaker] circuit closed',
    ]);
  });
});
