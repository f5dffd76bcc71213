/**
 * One registry per process, shared by the server and the plugins even when the metrics module is
 * loaded twice (here: the TypeScript source and the compiled copy in dist/, two distinct module
 * instances); counting needs no endpoint; the server's counters in-process, on their own
 * registry, driven by a real EventTable.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness';
import * as source from '../../plugins/shared/metrics';
import { EventTable, type Conn } from '../../plugins/server/events';
import { PluginInstance } from '../../plugins/server/instances';
import { Logger } from '../../plugins/server/logger';
import { ServerMetrics } from '../../plugins/server/metrics';
import type { LoadedPlugin } from '../../plugins/server/plugin-loader';
import { Scrape } from '../plugins/metrics/scrape';

const compiledPath = path.join(REPO_ROOT, 'dist', 'plugins', 'shared', 'metrics.js');
const compiled = createRequire(__filename)(compiledPath) as typeof source;

describe('the process registry', () => {
  it('is one object, with one set of metrics, for every copy of the module', async () => {
    expect(compiled.metricsRegistry).not.toBe(source.metricsRegistry); // really two module instances
    expect(compiled.metricsRegistry()).toBe(source.metricsRegistry());
    expect(compiled.webhookMetrics()).toBe(source.webhookMetrics());

    const before = new Scrape(await source.metricsRegistry().metrics());
    compiled.webhookMetrics().verified('github');
    source.webhookMetrics().refused('github', 'duplicate');
    compiled.jwtClaimsMetrics().rejected('expired');
    const after = new Scrape(await compiled.metricsRegistry().metrics());
    expect((after.value('kong_js_webhook_verified_total', { scheme: 'github' }) ?? 0) - (before.value('kong_js_webhook_verified_total', { scheme: 'github' }) ?? 0)).toBe(1);
    expect(after.value('kong_js_webhook_duplicates_total', { scheme: 'github' })).toBe((before.value('kong_js_webhook_duplicates_total', { scheme: 'github' }) ?? 0) + 1);
    expect(after.value('kong_js_jwt_claims_rejections_total', { reason: 'expired' })).toBe((before.value('kong_js_jwt_claims_rejections_total', { reason: 'expired' }) ?? 0) + 1);
  });

  it('serves the circuit breakers registered through either copy (one gauge, one source)', async () => {
    compiled.circuitBreakerMetrics().trackBreakers(() => [{ breaker: 'service:s1', name: 'orders', config: 'abcdef012345', state: 'open' }]);
    const s = new Scrape(await source.metricsRegistry().metrics());
    expect(s.series('kong_js_circuit_breaker_state').map((x) => `${x.labels.breaker} ${x.labels.state}=${x.value}`)).toEqual([
      'service:s1 closed=0',
      'service:s1 open=1',
      'service:s1 half_open=0',
    ]);
    source.circuitBreakerMetrics().trackBreakers(() => {
      throw new Error('unreadable clock');
    });
    // a failing source shows no breaker; the rest of the scrape still works
    const failed = new Scrape(await source.metricsRegistry().metrics());
    expect(failed.series('kong_js_circuit_breaker_state')).toEqual([]);
    expect(failed.declares('kong_js_webhook_verified_total')).toBe(true);
    source.circuitBreakerMetrics().trackBreakers(() => []);
  });

  it('hands the drained transitions back unchanged while counting them', () => {
    const drained = [{ from: 'closed' as const, to: 'open' as const, atMs: 1, reason: 'r' }];
    expect(source.circuitBreakerMetrics().transitions(drained)).toBe(drained);
  });
});

describe('ServerMetrics with a real EventTable', () => {
  class FakeConn implements Conn {
    closed = false;
    readonly sent: unknown[] = [];
    send(_msgid: number, _error: string | null, result: unknown): void {
      this.sent.push(result);
    }
  }

  const plugin: LoadedPlugin = {
    name: 'probe',
    path: '/probe.js',
    cls: class {} as never,
    phases: ['access', 'log'],
    priority: 0,
    version: '1.2.3',
    schema: [],
    mtime: 0,
    loadTime: 0,
    lastStartInstance: 0,
    lastCloseInstance: 0,
  };

  it('counts by plugin, phase and outcome; an unknown phase under "other"; no duration for a dropped event', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics(registry, [plugin]);
    const log = new Logger('error', () => undefined);
    const events = new EventTable({ maxEvents: 10, eventTimeoutMs: 1000, log, observer: metrics });
    metrics.watch({ events, instances: { size: 1 } as never, maxEvents: 10, connections: () => 0 });
    const object = {
      access: async (kong: { request: { getHeader(n: string): Promise<unknown> } }) => {
        await kong.request.getHeader('x');
      },
      log: () => undefined,
    };
    const instance = new PluginInstance(0, plugin, {}, object as never, Date.now());
    const conn = new FakeConn();

    events.start(instance, 'log', conn, 1); // returns at once: ret, no PDK call
    events.start(instance, 'bogus', conn, 2); // no such handler: answered "ret"
    events.start(instance, 'access', conn, 3); // one PDK call, then Kong goes away
    await Promise.resolve();
    expect(events.size).toBe(1);
    const table = new Scrape(await registry.metrics());
    expect(table.value('kong_js_event_table_size')).toBe(1);
    expect(table.value('kong_js_event_table_awaiting_kong')).toBe(1);
    events.dropAll('gone');

    const s = new Scrape(await registry.metrics());
    expect(s.value('kong_js_events_total', { plugin: 'probe', phase: 'log', outcome: 'ret' })).toBe(1);
    expect(s.value('kong_js_events_total', { plugin: 'probe', phase: 'other', outcome: 'ret' })).toBe(1);
    expect(s.value('kong_js_events_total', { plugin: 'probe', phase: 'access', outcome: 'dropped' })).toBe(1);
    expect(s.series('kong_js_events_total').filter((x) => x.value !== 0)).toHaveLength(3);
    expect(s.series('kong_js_events_total', { phase: 'bogus' })).toEqual([]);
    expect(s.value('kong_js_pdk_calls_total', { plugin: 'probe', phase: 'access' })).toBe(1);
    expect(s.value('kong_js_event_duration_seconds_count', { plugin: 'probe', phase: 'access' })).toBe(0);
    expect(s.value('kong_js_event_duration_seconds_count', { plugin: 'probe', phase: 'log' })).toBe(1);
    expect(s.value('kong_js_event_table_size')).toBe(0);
    expect(s.value('kong_js_plugin_instances')).toBe(1);
    expect(s.value('kong_js_plugin_info', { plugin: 'probe', version: '1.2.3' })).toBe(1);
    expect(s.value('kong_js_unhandled_rejections_total')).toBe(0);
    expect(s.value('kong_js_uncaught_exceptions_total')).toBe(0);
    metrics.unhandledRejection();
    metrics.uncaughtException();
    metrics.uncaughtException();
    const survived = new Scrape(await registry.metrics());
    expect(survived.value('kong_js_unhandled_rejections_total')).toBe(1);
    expect(survived.value('kong_js_uncaught_exceptions_total')).toBe(2);
    // the process registry got none of this
    expect(await source.metricsRegistry().getSingleMetricAsString('kong_js_events_total').catch(() => 'none')).not.toContain('probe');
  });

  it('puts each duration in its bucket: cumulative le counts, +Inf, sum and count, as prom-client exports a histogram', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics(registry, [plugin]);
    const instance = new PluginInstance(0, plugin, {}, {} as never, Date.now());
    const ended = (ms: number): void => metrics.ended({ instance, phase: 'access', pdkCalls: 0, startedAt: performance.now() - ms } as never, 'ret');
    ended(0.05); // ≤ 100 µs
    ended(3); // (2.5 ms, 5 ms]
    ended(3);
    ended(20_000); // above 10 s: +Inf only

    const s = new Scrape(await registry.metrics());
    const bucket = (le: string) => s.value('kong_js_event_duration_seconds_bucket', { plugin: 'probe', phase: 'access', le });
    expect(bucket('0.0001')).toBe(1);
    expect(bucket('0.0025')).toBe(1);
    expect(bucket('0.005')).toBe(3);
    expect(bucket('10')).toBe(3);
    expect(bucket('+Inf')).toBe(4);
    expect(s.value('kong_js_event_duration_seconds_count', { plugin: 'probe', phase: 'access' })).toBe(4);
    expect(s.value('kong_js_event_duration_seconds_sum', { plugin: 'probe', phase: 'access' })).toBeCloseTo(20.006, 2);
    expect(s.value('kong_js_event_duration_seconds_count', { plugin: 'probe', phase: 'log' })).toBe(0);
    expect(await registry.metrics()).toContain('# TYPE kong_js_event_duration_seconds histogram');
  });
});
