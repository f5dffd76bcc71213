/**
 * Recovering on its own, through the real plugin server and a real loopback upstream: half-open
 * after the open duration (the plugin clock is moved, nothing waits), exactly N probes while
 * half-open, closing when they succeed, reopening when one fails with a growing open duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakerConfig, breakerLog, burst, startBreakerEnv, type Api, type BreakerEnv } from './harness-env';

let env: BreakerEnv;
beforeAll(async () => {
  env = await startBreakerEnv();
});
afterAll(async () => env?.close());

async function tripped(name: string, extra: Record<string, unknown> = {}): Promise<Api> {
  const api = env.api(name, { config: breakerConfig(extra) });
  env.upstream.set(name, { status: 500 });
  await burst(env, api.path, 4);
  expect((await env.get(api.path)).status).toBe(503);
  return api;
}

describe('half-open', () => {
  it('lets exactly the configured number of probes through; the others get 503 half_open', async () => {
    const api = await tripped('probes', { half_open_probes: 2 });
    const hitsWhileOpen = env.upstream.hits('probes');
    env.upstream.set('probes', { status: 200, hold: true });
    env.advance(30_000);

    const first = env.get(api.path);
    const second = env.get(api.path);
    await env.upstream.heldCount('probes', 2);
    const others = await Promise.all([env.get(api.path), env.get(api.path), env.get(api.path)]);
    for (const r of others) {
      expect(r.status).toBe(503);
      expect(r.headers.first('x-circuit-breaker-state')).toBe('half_open');
      expect(r.headers.first('retry-after')).toBe('1');
    }
    expect(env.upstream.hits('probes')).toBe(hitsWhileOpen + 2);

    env.upstream.release('probes');
    const probes = await Promise.all([first, second]);
    expect(probes.map((r) => r.status)).toEqual([200, 200]);
    const logged = probes.flatMap(breakerLog).map((l) => `${l.level} ${l.message}`);
    expect(logged).toEqual([
      `notice [circuit-breaker] circuit half-open for service ${api.service.id} (probes): open for 30000 ms; letting 2 probe requests through`,
      `notice [circuit-breaker] circuit closed for service ${api.service.id} (probes): 2 probe requests succeeded`,
    ]);

    env.upstream.set('probes', { status: 200 });
    expect(await burst(env, api.path, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(env.upstream.hits('probes')).toBe(hitsWhileOpen + 7);
  });

  it('closes after a successful probe, with an empty window: old failures do not reopen it', async () => {
    const api = await tripped('close');
    env.upstream.set('close', { status: 200 });
    env.advance(29_999);
    expect((await env.get(api.path)).status).toBe(503);
    env.advance(1);
    const probe = await env.get(api.path);
    expect(probe.status).toBe(200);
    expect(breakerLog(probe).map((l) => l.message)).toEqual([
      expect.stringContaining('circuit half-open'),
      expect.stringContaining('circuit closed'),
    ]);
    env.upstream.set('close', { status: 500 });
    expect(await burst(env, api.path, 4)).toEqual([500, 500, 500, 500]); // needs 4 new failures
    expect((await env.get(api.path)).status).toBe(503);
  });

  it('reopens when a probe fails', async () => {
    const api = await tripped('reopen');
    const hits = env.upstream.hits('reopen');
    env.advance(30_000);
    const probe = await env.get(api.path);
    expect(probe.status).toBe(500);
    expect(env.upstream.hits('reopen')).toBe(hits + 1);
    expect(breakerLog(probe)[1]).toEqual({
      level: 'warn',
      message: `[circuit-breaker] circuit opened again for service ${api.service.id} (reopen): half-open probe failed: status 500; requests get 503 for 30000 ms`,
    });
    const refused = await env.get(api.path);
    expect(refused.headers.first('x-circuit-breaker-state')).toBe('open');
    expect(refused.headers.first('retry-after')).toBe('30');
    expect(env.upstream.hits('reopen')).toBe(hits + 1);
  });

  it('the open duration grows after each failed probe up to the cap, and starts over once closed', async () => {
    const api = await tripped('growth', { open_duration_ms: 10_000, open_duration_multiplier: 2, max_open_duration_ms: 25_000 });
    const retryAfter = async () => (await env.get(api.path)).headers.first('retry-after');
    expect(await retryAfter()).toBe('10');
    const seen: Array<string | undefined> = [];
    for (const wait of [10_000, 20_000, 25_000]) {
      env.advance(wait);
      expect((await env.get(api.path)).status).toBe(500); // the probe fails
      seen.push(await retryAfter());
    }
    expect(seen).toEqual(['20', '25', '25']);

    env.upstream.set('growth', { status: 200 });
    env.advance(25_000);
    expect((await env.get(api.path)).status).toBe(200);
    env.upstream.set('growth', { status: 500 });
    await burst(env, api.path, 4);
    expect(await retryAfter()).toBe('10');
  });

  it('a probe refused by a plugin running after the breaker gives its place back', async () => {
    const api = await tripped('probe-exit');
    env.upstream.set('probe-exit', { status: 200 });
    env.advance(30_000);
    const exited = await env.get(api.path, [['X-Terminate-After', '418']]);
    expect(exited.status).toBe(418);
    const probe = await env.get(api.path);
    expect(probe.status).toBe(200);
    expect(breakerLog(probe).map((l) => l.message)).toEqual([expect.stringContaining('circuit closed')]);
  });
});
