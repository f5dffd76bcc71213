/**
 * `kong-ctl validate` knows circuit-breaker (plugins/registry.ts) and checks its configs offline
 * against the very Schema Kong gets from the plugin server.
 */
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';

async function diagnostics(pluginYaml: string[]): Promise<string[]> {
  const text = ['_format_version: "3.0"', 'services:', '  - name: payments', '    host: pay.internal', '    plugins:', ...pluginYaml].join('\n');
  const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
  return validateDesired(r).map((d) => `${d.source?.line}: ${d.message}`);
}

describe('kong-ctl validate', () => {
  it('accepts a full config', async () => {
    expect(
      await diagnostics([
        '      - name: circuit-breaker',
        '        config:',
        '          scope: service_host',
        '          failure_status_ranges: [{ from: 500, to: 599 }, { from: 429, to: 429 }]',
        '          error_threshold_percentage: 40',
        '          minimum_requests: 50',
        '          window_ms: 30000',
        '          window_buckets: 30',
        '          slow_call_threshold_ms: 2000',
        '          open_duration_ms: 15000',
        '          open_duration_multiplier: 2',
        '          max_open_duration_ms: 240000',
        '          half_open_probes: 5',
        '          pending_timeout_ms: 200000',
      ]),
    ).toEqual([]);
  });

  it('refuses what Kong would refuse', async () => {
    expect(
      await diagnostics([
        '      - name: circuit-breaker',
        '        config:',
        '          scope: consumer',
        '          failure_status_ranges: [{ from: 500, to: 700 }]',
        '          error_threshold_percentage: 100',
        '          half_open_probes: 0',
        '          probes: 3',
      ]),
    ).toEqual([
      '8: config.scope: expected one of: service, route, service_host',
      '9: config.failure_status_ranges[0].to: value should be between 100 and 599',
      '10: config.error_threshold_percentage: value should be between 0 and 99',
      '11: config.half_open_probes: value should be between 1 and 1000',
      '12: config.probes: unknown field',
    ]);
  });
});
