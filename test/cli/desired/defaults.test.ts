import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { brief, sample } from './helpers';

describe('_info.defaults', () => {
  it('fills the fields services, routes, upstreams and targets leave unset, records deeply', async () => {
    const r = await loadDesired({ files: [sample('defaults.yaml')], env: {} });
    expect(validateDesired(r)).toEqual([]);
    const fields = Object.fromEntries(r.state.entities.map((e) => [e.key, e.fields]));
    expect(fields).toEqual({
      'service:payments': { name: 'payments', host: 'payments.internal', retries: 9, protocol: 'https', port: 443 },
      'route:payments-api': { name: 'payments-api', paths: ['/payments'], preserve_host: true, protocols: ['https'] },
      // `url` sets protocol, host, port and path: the defaults only fill what is left.
      'service:legacy': { name: 'legacy', protocol: 'http', host: 'legacy.internal', port: 80, path: '/api', retries: 2 },
      'upstream:payments.internal': {
        name: 'payments.internal',
        healthchecks: { active: { healthy: { successes: 3, interval: 5 } } },
      },
      'target:payments.internal/10.1.0.1:443': { target: '10.1.0.1:443', weight: 10 },
      'target:payments.internal/10.1.0.2:443': { target: '10.1.0.2:443', weight: 90 },
    });
    expect(r.info.defaults).toEqual({
      service: { protocol: 'https', port: 443, retries: 2 },
      route: { preserve_host: true, protocols: ['https'] },
      upstream: { healthchecks: { active: { healthy: { interval: 5 } } } },
      target: { weight: 10 },
    });
  });

  it('are merged across files, and may not disagree', async () => {
    const a = '_format_version: "3.0"\n_info:\n  defaults:\n    service:\n      retries: 1\nservices:\n  - name: s\n    host: s.internal\n';
    const r = await loadDesired({ files: ['-', sample('defaults.yaml')], env: {}, readStdin: async () => a });
    expect(r.diagnostics.map(brief)).toEqual([
      `defaults.yaml:7:16: _info.defaults.service.retries is 2 here but 1 in <stdin>: files must not disagree on defaults`,
    ]);
    expect(r.info.defaults?.service).toEqual({ retries: 1, protocol: 'https', port: 443 });
    expect(r.state.entities.find((e) => e.key === 'service:s')?.fields).toEqual({
      name: 's',
      host: 's.internal',
      retries: 1,
      protocol: 'https',
      port: 443,
    });
  });

  it('are checked like the fields they fill: types, and only the fields of the kind', async () => {
    const text = [
      '_format_version: "3.0"',
      '_info:',
      '  defaults:',
      '    service:',
      '      port: https',
      '      url: http://x',
      '    route:',
      '      service: s',
      '    plugin:',
      '      enabled: false',
    ].join('\n');
    const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
    expect(validateDesired(r).map(brief)).toEqual([
      '<stdin>:5:13: _info.defaults.service.port: expected an integer',
      '<stdin>:6:7: _info.defaults.service.url: unknown field',
      '<stdin>:8:7: _info.defaults.route.service: unknown field',
      '<stdin>:9:5: _info.defaults.plugin: unknown field',
    ]);
  });
});
