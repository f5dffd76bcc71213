/**
 * A circuit breaker is not an access control: when it cannot work (internal error, unusable
 * config) the request goes on as if the plugin were absent, and the problem is logged.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakerConfig, breakerLog, burst, startBreakerEnv, type BreakerEnv } from './harness-env';

let env: BreakerEnv;
beforeAll(async () => {
  env = await startBreakerEnv();
});
afterAll(async () => env?.close());

describe('fail open', () => {
  it('an internal error lets the request through and is logged, in access and in log', async () => {
    const api = env.api('broken-clock', { config: breakerConfig() });
    await env.get(api.path);
    writeFileSync(env.clockFile, 'not-a-number');
    try {
      const res = await env.get(api.path);
      expect(res.status).toBe(200);
      expect(res.upstreamRequest).toBeDefined();
      const lines = breakerLog(res);
      expect(lines.map((l) => l.level)).toEqual(['err', 'err']);
      expect(lines[0]!.message).toMatch(/^\[circuit-breaker\] access failed, the request goes on without the breaker: Error: .*does not hold epoch seconds/);
      expect(lines[1]!.message).toMatch(/^\[circuit-breaker\] log failed, the request goes on without the breaker: /);
    } finally {
      env.setClock(env.now());
    }
    expect((await env.get(api.path)).status).toBe(200);
  });

  it('a config Kong accepts but the plugin cannot use breaks nothing, and says why (at most once a minute)', async () => {
    const api = env.api('bad-config', { config: breakerConfig({ failure_status_ranges: [{ from: 599, to: 500 }], max_open_duration_ms: 10 }) });
    env.upstream.set('bad-config', { status: 500 });
    const first = await env.get(api.path);
    expect(first.status).toBe(500);
    expect(breakerLog(first)).toEqual([
      {
        level: 'err',
        message:
          '[circuit-breaker] invalid configuration, no circuit is broken: failure_status_ranges[0]: from (599) is greater than to (500); max_open_duration_ms: 10 is less than open_duration_ms (30000)',
      },
    ]);
    const more = await Promise.all([1, 2, 3, 4, 5, 6].map(() => env.get(api.path)));
    expect(more.map((r) => r.status)).toEqual(Array(6).fill(500));
    expect(more.flatMap(breakerLog)).toEqual([]);
    expect(env.upstream.hits('bad-config')).toBe(7);
    env.advance(60_000);
    expect(breakerLog(await env.get(api.path))).toHaveLength(1);
  });

  it('a request on a route without circuit-breaker is untouched', async () => {
    const plain = env.api('plain');
    env.upstream.set('plain', { status: 500 });
    expect(await burst(env, plain.path, 6)).toEqual(Array(6).fill(500));
  });
});
