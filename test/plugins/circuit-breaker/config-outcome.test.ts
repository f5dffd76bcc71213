/**
 * Pure parts: the config as compiled from what Kong sends, what a serialized log entry means to
 * the breaker, and the breaker keys taken from it.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig, type CompiledConfig } from '../../../plugins/circuit-breaker/config';
import { judge } from '../../../plugins/circuit-breaker/outcome';
import { hostOfLoggedUrl, keyFromSerialized, keyString } from '../../../plugins/circuit-breaker/scope';
import { Schema } from '../../../plugins/circuit-breaker/schema';
import { schemaEntries } from '../../../plugins/shared/kong-schema';

function compiled(raw: Record<string, unknown> = {}): CompiledConfig {
  const r = compileConfig(raw);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.config;
}

describe('config', () => {
  it('every field has a description, and a default unless required', () => {
    for (const [name, field] of schemaEntries(Schema)) {
      expect(field.description, name).toBeTruthy();
      expect('default' in field || field.required === true, name).toBe(true);
    }
  });

  it('defaults: service scope, 429 and 5xx fail, 50 % over 20 calls in 10 s, open 30 s, one probe', () => {
    expect(compiled()).toEqual({
      scope: 'service',
      failureRanges: [
        [429, 429],
        [500, 599],
      ],
      errorThresholdPercentage: 50,
      minimumRequests: 20,
      windowMs: 10000,
      windowBuckets: 10,
      slowCallThresholdMs: null,
      openDurationMs: 30000,
      openDurationMultiplier: 1,
      maxOpenDurationMs: 600000,
      halfOpenProbes: 1,
      pendingTimeoutMs: 300000,
      stateEndpoint: false,
    });
  });

  it('reports what Kong cannot check, every problem at once', () => {
    const r = compileConfig({
      failure_status_ranges: [{ from: 599, to: 500 }],
      open_duration_ms: 60000,
      max_open_duration_ms: 1000,
      window_ms: 100,
      window_buckets: 50,
      scope: 'consumer',
    });
    expect(r).toEqual({
      ok: false,
      errors: [
        'scope: must be one of service, route, service_host',
        'failure_status_ranges[0]: from (599) is greater than to (500)',
        'window_ms: 100 ms cannot hold 50 buckets of at least 10 ms',
        'max_open_duration_ms: 1000 is less than open_duration_ms (60000)',
      ],
    });
  });
});

describe('judging a log entry', () => {
  const config = compiled({ slow_call_threshold_ms: 200 });
  const entry = (status: number, extra: Record<string, unknown> = {}) => ({
    response: { status },
    tries: [{ ip: '10.0.0.1', port: 80 }],
    latencies: { proxy: 12 },
    ...extra,
  });

  it('no try: the upstream was never called (a short-circuit in access): no outcome', () => {
    expect(judge({ response: { status: 503 }, tries: [] }, config)).toEqual({ kind: 'none' });
    expect(judge({ response: { status: 500 }, tries: {} }, config)).toEqual({ kind: 'none' });
    expect(judge({ response: { status: 401 } }, config)).toEqual({ kind: 'none' });
  });

  it('statuses in the ranges fail; others succeed', () => {
    expect(judge(entry(500), config)).toEqual({ kind: 'failure', reason: 'status', detail: 'status 500' });
    expect(judge(entry(429), config)).toMatchObject({ kind: 'failure', reason: 'status' });
    expect(judge(entry(404), config)).toEqual({ kind: 'success' });
    expect(judge(entry(200), config)).toEqual({ kind: 'success' });
  });

  it('slow calls fail', () => {
    expect(judge(entry(200, { latencies: { proxy: 201 } }), config)).toEqual({ kind: 'failure', reason: 'slow', detail: 'slow call (201 ms)' });
    expect(judge(entry(200, { latencies: { proxy: 200 } }), config)).toEqual({ kind: 'success' });
    expect(judge(entry(200, { latencies: { proxy: 5000 } }), compiled())).toEqual({ kind: 'success' });
  });

  it("502/504 outside the ranges: Kong's source decides (its own error counts, the upstream's answer does not)", () => {
    const only500 = compiled({ failure_status_ranges: [{ from: 500, to: 500 }] });
    expect(judge(entry(504), only500)).toEqual({ kind: 'needs_source' });
    expect(judge(entry(504), only500, 'error')).toEqual({ kind: 'failure', reason: 'error', detail: 'upstream timeout (504)' });
    expect(judge(entry(502), only500, 'error')).toEqual({ kind: 'failure', reason: 'error', detail: 'upstream connection error (502)' });
    expect(judge(entry(502), only500, 'service')).toEqual({ kind: 'success' });
    expect(judge(entry(503), only500)).toEqual({ kind: 'success' });
  });
});

describe('breaker keys from the log entry', () => {
  const data = {
    service: { id: 's-1', name: 'payments' },
    route: { id: 'r-1' },
    request: { url: 'https://Tenant-A.example.com:8443/pay?x=1' },
  };

  it('per scope', () => {
    expect(keyString(keyFromSerialized('service', data)!)).toBe('service:s-1');
    expect(keyString(keyFromSerialized('route', data)!)).toBe('route:r-1');
    expect(keyString(keyFromSerialized('service_host', data)!)).toBe('service_host:s-1|tenant-a.example.com');
    expect(keyFromSerialized('service', {})).toBeUndefined();
  });

  it('the host of the logged url', () => {
    expect(hostOfLoggedUrl('http://[::1]:8000/x')).toBe('[::1]');
    expect(hostOfLoggedUrl('http://kong:8000/')).toBe('kong');
    expect(hostOfLoggedUrl('nonsense')).toBeUndefined();
  });
});
