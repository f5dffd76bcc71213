import { describe, expect, it } from 'vitest';
import { canonicalJson, ConfigScoped, configKey, pluginSettings } from '../../../plugins/shared/config-key';

describe('canonicalJson / configKey', () => {
  it('ignores object key order at every level but keeps array order', () => {
    const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: null } };
    const b = { a: { x: null, y: [1, { p: 2, q: 1 }] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(configKey(a)).toBe(configKey(b));
    expect(configKey({ l: [1, 2] })).not.toBe(configKey({ l: [2, 1] }));
  });

  it('distinguishes values that differ anywhere', () => {
    expect(configKey({ a: { b: 1 } })).not.toBe(configKey({ a: { b: '1' } }));
    expect(configKey({ a: null })).not.toBe(configKey({}));
    expect(configKey({ a: undefined })).toBe(configKey({}));
  });
});

describe('pluginSettings', () => {
  it("drops Kong's instance bookkeeping so two routes with equal settings share a key", () => {
    const fromKong = (route: string, seq: number) => ({
      __seq__: seq,
      __plugin_id: `id-${route}`,
      __key__: `plugins:jwt-claims:${route}`,
      route_id: route,
      service_id: null,
      consumer_id: null,
      realm: 'api',
    });
    expect(pluginSettings(fromKong('r1', 1))).toEqual({ realm: 'api' });
    expect(configKey(pluginSettings(fromKong('r1', 1)))).toBe(configKey(pluginSettings(fromKong('r2', 9))));
  });
});

describe('ConfigScoped', () => {
  it('creates once per key and evicts the least recently used beyond its bound', () => {
    const scoped = new ConfigScoped<{ n: number }>(2);
    let made = 0;
    const make = () => ({ n: ++made });
    const a = scoped.get('a', make);
    expect(scoped.get('a', make)).toBe(a);
    scoped.get('b', make);
    scoped.get('c', make);
    expect(scoped.size).toBe(2);
    expect(scoped.get('a', make)).not.toBe(a);
    expect(made).toBe(4);
  });
});
