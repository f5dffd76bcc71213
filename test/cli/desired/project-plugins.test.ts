/**
 * This project's plugins (plugins/registry.ts PROJECT_PLUGINS) are known plugin names and have
 * their configs checked against their own `Schema`, without any schema given by the caller.
 * The registry is still empty while the plugins are being written, so this test stands one
 * in: the JS PDK plugin Kong 3.4.2 actually served in the recordings (js-hello, fixture 032).
 */
import { describe, expect, it, vi } from 'vitest';
import { exchange } from './helpers';

vi.mock('../../../plugins/registry', async () => {
  const { configFields, exchange: ex } = await import('./helpers');
  return {
    PROJECT_PLUGINS: [{ Name: 'js-hello', Version: '0.1.0', Priority: 10, Schema: configFields(ex('032').response.body) }],
  };
});

describe('project plugins', () => {
  it('are validated against their own Schema', async () => {
    const { loadDesired } = await import('../../../cli/src/desired/load');
    const { validateDesired } = await import('../../../cli/src/desired/validate');
    expect(exchange('032').request.path).toBe('/schemas/plugins/js-hello');
    const text = [
      '_format_version: "3.0"',
      'plugins:',
      '  - name: js-hello',
      '    config:',
      '      message: 42',
      '      greeting: hi',
      '  - name: js-hello',
      '    service: s',
      '    config:',
      '      message: hello',
      'services:',
      '  - name: s',
      '    host: s.internal',
    ].join('\n');
    const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
    expect(validateDesired(r).map((d) => `${d.source?.line}:${d.source?.column} ${d.source?.path}: ${d.message}`)).toEqual([
      '5:16 plugins[0]: config.message: expected a string',
      '6:7 plugins[0]: config.greeting: unknown field',
    ]);
  });
});
