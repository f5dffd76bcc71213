/**
 * Opening the circuit, through the real plugin server and a real loopback upstream: the minimum
 * volume, the threshold, what counts as a failure (statuses, Kong's timeouts and connection
 * errors, slow calls), and the 503 that then answers without reaching the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort } from '../../support/ports';
import { breakerConfig, breakerLog, burst, startBreakerEnv, type BreakerEnv } from './harness-env';

let env: BreakerEnv;
beforeAll(async () => {
  env = await startBreakerEnv();
});
afterAll(async () => env?.close());


describe('opening', () => {
  it('stays closed below the minimum volume, opens once it is reached, then answers 503 without the upstream', async () => {
    const api = env.api('volume', { config: breakerConfig({ minimum_requests: 5 }) });
    env.upstream.set('volume', { status: 500 });
    expect(await burst(env, api.path, 4)).toEqual([500, 500, 500, 500]);
    const fifth = await env.get(api.path);
    expect(fifth.status).toBe(500);
    expect(env.upstream.hits('volume')).toBe(5);
    expect(breakerLog(fifth)).toEqual([
      {
        level: 'warn',
        message: `[circuit-breaker] circuit opened for service ${api.service.id} (volume): 5 of 5 calls failed (100%) in the last 60000 ms; last: status 500; requests get 503 for 30000 ms`,
      },
    ]);

    env.upstream.set('volume', { status: 200 }); // recovered, but the circuit is open
    const refused = await env.get(api.path);
    expect(refused.status).toBe(503);
    expect(refused.json()).toEqual({ message: 'The upstream server is currently unavailable' });
    expect(refused.headers.first('content-type')).toBe('application/json; charset=utf-8');
    expect(refused.headers.first('x-circuit-breaker-state')).toBe('open');
    expect(refused.headers.first('retry-after')).toBe('30');
    expect(refused.source).toBe('exit');
    expect(refused.upstreamRequest).toBeUndefined();
    expect(await burst(env, api.path, 5)).toEqual([503, 503, 503, 503, 503]);
    expect(env.upstream.hits('volume')).toBe(5);
  });

  it('opens only when the failure percentage exceeds the threshold', async () => {
    const api = env.api('threshold', { config: breakerConfig({ minimum_requests: 4, error_threshold_percentage: 50 }) });
    env.upstream.set('threshold', { status: 200 });
    await burst(env, api.path, 2);
    env.upstream.set('threshold', { status: 503 });
    expect(await burst(env, api.path, 2)).toEqual([503, 503]); // 2 of 4: 50 %, not above
    expect((await env.get(api.path)).status).toBe(503); // 3 of 5: 60 %
    expect(env.upstream.hits('threshold')).toBe(5);
    const refused = await env.get(api.path);
    expect(refused.headers.first('x-circuit-breaker-state')).toBe('open');
    expect(env.upstream.hits('threshold')).toBe(5);
  });

  it('decides when a failure is counted: a success reaching the minimum does not open, the next failure does', async () => {
    const api = env.api('decide-on-failure', { config: breakerConfig({ minimum_requests: 4, error_threshold_percentage: 50 }) });
    env.upstream.set('decide-on-failure', { status: 500 });
    expect(await burst(env, api.path, 3)).toEqual([500, 500, 500]); // 3 calls: below the minimum
    env.upstream.set('decide-on-failure', { status: 200 });
    expect((await env.get(api.path)).status).toBe(200); // 3 of 4 failed (75 %), but a success
    env.upstream.set('decide-on-failure', { status: 500 });
    const failure = await env.get(api.path);
    expect(failure.status).toBe(500);
    expect(breakerLog(failure).map((l) => l.message)).toEqual([expect.stringContaining('4 of 5 calls failed (80%)')]);
    expect((await env.get(api.path)).status).toBe(503);
    expect(env.upstream.hits('decide-on-failure')).toBe(5);
  });

  it('Retry-After is the time left, counted on the plugin clock', async () => {
    const api = env.api('retry', { config: breakerConfig({ open_duration_ms: 45000 }) });
    env.upstream.set('retry', { status: 500 });
    await burst(env, api.path, 4);
    expect((await env.get(api.path)).headers.first('retry-after')).toBe('45');
    env.advance(12_500);
    expect((await env.get(api.path)).headers.first('retry-after')).toBe('33');
    env.advance(32_000);
    expect((await env.get(api.path)).headers.first('retry-after')).toBe('1');
  });

  it('client errors other than 429 do not count; 429 does', async () => {
    const api = env.api('client-errors', { config: breakerConfig() });
    env.upstream.set('client-errors', { status: 404 });
    expect(await burst(env, api.path, 8)).toEqual(Array(8).fill(404));
    env.upstream.set('client-errors', { status: 429 });
    await burst(env, api.path, 8); // 8 of 16 failed: 50 %
    expect((await env.get(api.path)).status).toBe(429); // 9 of 17
    expect((await env.get(api.path)).status).toBe(503);
    expect(env.upstream.hits('client-errors')).toBe(17);
  });
});

describe('what counts as a failure', () => {
  it("Kong's connection errors (502) open the circuit", async () => {
    const api = env.api('refused', { config: breakerConfig(), port: await closedPort() });
    expect(await burst(env, api.path, 5)).toEqual([502, 502, 502, 502, 503]);
  });

  it("Kong's upstream timeouts (504) open the circuit", async () => {
    const api = env.api('timeouts', { config: breakerConfig(), readTimeoutMs: 100 });
    env.upstream.set('timeouts', { status: 200, delayMs: 2000 });
    expect(await burst(env, api.path, 5)).toEqual([504, 504, 504, 504, 503]);
    expect(env.upstream.hits('timeouts')).toBe(4);
  });

  it("502/504 left out of the ranges: Kong's own still count, the upstream's answers do not", async () => {
    const ranges = { failure_status_ranges: [{ from: 500, to: 500 }] };
    const own = env.api('own-502', { config: breakerConfig(ranges), port: await closedPort() });
    const first = await env.get(own.path);
    expect(first.calls.filter((c) => c.phase === 'log').map((c) => c.method)).toEqual(['kong.log.serialize', 'kong.response.get_source']);
    expect(await burst(env, own.path, 4)).toEqual([502, 502, 502, 503]);

    const theirs = env.api('their-502', { config: breakerConfig(ranges) });
    env.upstream.set('their-502', { status: 502 });
    expect(await burst(env, theirs.path, 10)).toEqual(Array(10).fill(502));
    expect(env.upstream.hits('their-502')).toBe(10);
  });

  // With a response handler on the route Kong proxies through a buffering subrequest, and its
  // 502/504 come back through the response phase (kong/init.lua Kong.response): the log phase
  // sees the same request, counted once.
  it("under buffered proxying, Kong's own 502 and 504 still count, once each", async () => {
    const ranges = { failure_status_ranges: [{ from: 500, to: 500 }] };
    const buffering = [{ name: 'buffering' }];
    const refused = env.api('buffered-502', { config: breakerConfig(ranges), port: await closedPort(), routePlugins: buffering });
    const first = await env.get(refused.path);
    expect(first.status).toBe(502);
    expect(first.state.bufferedStatus).toBe(502);
    expect(first.calls.filter((c) => c.phase === 'log').map((c) => c.method)).toEqual(['kong.log.serialize', 'kong.response.get_source']);
    expect(await burst(env, refused.path, 4)).toEqual([502, 502, 502, 503]);

    const slow = env.api('buffered-504', { config: breakerConfig(ranges), readTimeoutMs: 100, routePlugins: buffering });
    env.upstream.set('buffered-504', { status: 200, delayMs: 2000 });
    expect(await burst(env, slow.path, 5)).toEqual([504, 504, 504, 504, 503]);
    expect(env.upstream.hits('buffered-504')).toBe(4);
  });

  it('slow calls count when a threshold is set', async () => {
    const slow = env.api('slow', { config: breakerConfig({ slow_call_threshold_ms: 100 }) });
    env.upstream.set('slow', { status: 200, delayMs: 300 });
    expect(await burst(env, slow.path, 3)).toEqual([200, 200, 200]);
    const fourth = await env.get(slow.path);
    expect(fourth.status).toBe(200); // the client got its answer; the breaker counted it slow
    expect(breakerLog(fourth)[0]?.message).toMatch(/4 of 4 calls failed \(100%\) .*; last: slow call \(\d+ ms\);/);
    const refused = await env.get(slow.path);
    expect(refused.status).toBe(503);
    expect(env.upstream.hits('slow')).toBe(4);

    const unset = env.api('slow-unset', { config: breakerConfig() });
    env.upstream.set('slow-unset', { status: 200, delayMs: 300 });
    expect(await burst(env, unset.path, 5)).toEqual([200, 200, 200, 200, 200]);
  });
});
