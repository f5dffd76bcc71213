import { describe, expect, it } from 'vitest';
import { KINDS } from '../../../cli/src/model/entity';
import type { Entity } from '../../../cli/src/model/entity';
import { KIND_DEFS } from '../../../cli/src/kinds';
import { certDigest } from '../../../cli/src/kinds/certificate';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { brief, bundledConfigSchemas, sample } from './helpers';

const FULL = sample('kong.yaml');

async function full() {
  const r = await loadDesired({ files: [FULL], env: {} });
  const byKey = new Map(r.state.entities.map((e) => [e.key, e]));
  const get = (key: string): Entity => {
    const e = byKey.get(key);
    if (!e) throw new Error(`no entity ${key}; have ${[...byKey.keys()].join(', ')}`);
    return e;
  };
  return { r, get };
}

describe('loadDesired: a realistic decK file', () => {
  it('loads every kind with its key, label and source position', async () => {
    const { r } = await full();
    expect(r.diagnostics).toEqual([]);
    expect(r.formatVersion).toBe('3.0');
    const keys = r.state.entities.map((e) => `${e.key} @${e.source?.line}:${e.source?.column} ${e.source?.path}`);
    const certKey = 'certificate:#5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1';
    expect(keys.sort()).toEqual(
      [
        `${certKey} @111:5 certificates[0]`,
        'sni:api.example.com @131:9 certificates[0].snis[0]',
        'sni:shop.example.com @132:9 certificates[0].snis[1]',
        `ca_certificate:sha256=${r.state.entities.find((e) => e.kind === 'ca_certificate')?.key.split('=')[1]} @134:5 ca_certificates[0]`,
        'service:orders @19:5 services[0]',
        'route:orders-list @26:9 services[0].routes[0]',
        'plugin:cors@route=orders-list @32:13 services[0].routes[0].plugins[0]',
        'route:orders-item @36:9 services[0].routes[1]',
        'plugin:key-auth@service=orders @41:9 services[0].plugins[0]',
        'service:inventory @45:5 services[1]',
        'route:inventory-stock @50:5 routes[0]',
        'plugin:rate-limiting@global @57:5 plugins[0]',
        'plugin:request-transformer@route=orders-list @61:5 plugins[1]',
        'plugin:rate-limiting@consumer=alice @67:5 plugins[2]',
        'consumer:alice @73:5 consumers[0]',
        'keyauth_credential:sha256=440ed3c8f64f49e9 @76:9 consumers[0].keyauth_credentials[0]',
        'jwt_secret:alice-issuer @78:9 consumers[0].jwt_secrets[0]',
        'basicauth_credential:alice @82:9 consumers[0].basicauth_credentials[0]',
        'hmacauth_credential:alice-hmac @85:9 consumers[0].hmacauth_credentials[0]',
        'acl:alice/gold @88:9 consumers[0].acls[0]',
        'consumer:bob @89:5 consumers[1]',
        'acl:bob/silver @91:9 consumers[1].acls[0]',
        'plugin:rate-limiting@consumer=bob @93:9 consumers[1].plugins[0]',
        'upstream:orders.internal @104:5 upstreams[0]',
        'target:orders.internal/10.0.0.11:8443 @107:9 upstreams[0].targets[0]',
        'target:orders.internal/10.0.0.12:8000 @108:9 upstreams[0].targets[1]',
        'consumer:carol @97:5 consumers[2]',
        'oauth2_credential:carol-client @99:9 consumers[2].oauth2_credentials[0]',
        'vault:app-env @147:5 vaults[0]',
        'key_set:signing @153:5 key_sets[0]',
        'key:signing-1@set=signing @155:9 key_sets[0].keys[0]',
        'key:loose-1 @159:5 keys[0]',
      ].sort(),
    );
    for (const e of r.state.entities) {
      expect(e.source?.file).toBe(FULL);
      expect(e.key).toBe(KIND_DEFS[e.kind].identity(e));
      expect(e.label).toBe(KIND_DEFS[e.kind].label(e));
      // Every foreign key of the kind is present, null when unset.
      expect(Object.keys(e.refs).sort()).toEqual(Object.keys(KIND_DEFS[e.kind].foreignKeys).sort());
    }
    expect(new Set(r.state.entities.map((e) => e.kind))).toEqual(new Set(KINDS));
  });

  it('keeps own fields as written, minus id, url, foreign keys and nested lists', async () => {
    const { get } = await full();
    const orders = get('service:orders');
    expect(orders.fields).toEqual({
      name: 'orders',
      // `url` expands like Kong's shorthand; `_info.defaults.service` fills what is unset.
      protocol: 'https',
      host: 'orders.internal',
      port: 8443,
      path: '/v1',
      connect_timeout: 5000,
      retries: 3,
      read_timeout: 30000,
      tags: ['orders', 'team-orders'],
    });
    expect(orders.refs).toEqual({ client_certificate: 'certificate:#5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1' });
    expect(orders.id).toBeUndefined();

    const cert = get('certificate:#5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1');
    expect(cert.id).toBe('5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1');
    expect(Object.keys(cert.fields).sort()).toEqual(['cert', 'key', 'tags']);
    expect(String(cert.fields.cert)).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);

    expect(get('route:orders-item').fields).toEqual({
      name: 'orders-item',
      paths: ['~/orders/(?<id>\\d+)$'],
      strip_path: true, // written: the route default (false) does not override it
      tags: ['team-orders'],
    });
    expect(get('route:inventory-stock').refs).toEqual({ service: 'service:inventory' });
    expect(get('basicauth_credential:alice').fields).toEqual({ username: 'alice', password: 'alice-password', tags: ['team-orders'] });
    expect(get('target:orders.internal/10.0.0.11:8443').fields).toEqual({ target: '10.0.0.11:8443', weight: 50, tags: ['team-orders'] });
    expect(get('target:orders.internal/10.0.0.12:8000').fields.weight).toBe(200);
    expect(get('upstream:orders.internal').fields.healthchecks).toEqual({ active: { http_path: '/health' } });
  });

  it('resolves foreign keys by nesting, by name and by id to entity keys', async () => {
    const { get } = await full();
    expect(get('plugin:cors@route=orders-list').refs).toEqual({ service: null, route: 'route:orders-list', consumer: null });
    expect(get('plugin:key-auth@service=orders').refs).toEqual({ service: 'service:orders', route: null, consumer: null });
    expect(get('plugin:request-transformer@route=orders-list').refs.route).toBe('route:orders-list');
    expect(get('plugin:rate-limiting@consumer=alice').refs.consumer).toBe('consumer:alice');
    expect(get('plugin:rate-limiting@consumer=bob').refs.consumer).toBe('consumer:bob');
    expect(get('sni:api.example.com').refs.certificate).toBe('certificate:#5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1');
    expect(get('keyauth_credential:sha256=440ed3c8f64f49e9').refs.consumer).toBe('consumer:alice');
  });

  it('records the foreign keys the file writes, all resolved here', async () => {
    const { r } = await full();
    expect(
      r.references.map((x) => `${x.entity.key} ${x.field}=${x.written} ${x.resolved} ${x.source.line}:${x.source.column}`),
    ).toEqual([
      'service:orders client_certificate=5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1 true 21:25',
      'route:inventory-stock service=inventory true 51:14',
      'plugin:request-transformer@route=orders-list route=orders-list true 62:12',
      'plugin:rate-limiting@consumer=alice consumer=alice true 68:15',
    ]);
  });

  it('adds the select tags to every entity, keeping its own', async () => {
    const { r, get } = await full();
    expect(r.selectTags).toEqual(['team-orders']);
    for (const e of r.state.entities) expect(e.fields.tags).toContain('team-orders');
    expect(get('service:orders').fields.tags).toEqual(['orders', 'team-orders']);
  });

  it('identifies certificates without an id by a digest of the certificate', async () => {
    const { r } = await full();
    const ca = r.state.entities.find((e) => e.kind === 'ca_certificate') as Entity;
    expect(ca.key).toBe(`ca_certificate:sha256=${certDigest(ca.fields.cert)}`);
  });

  it('validates clean offline, with the bundled plugins checked against their recorded Kong schemas', async () => {
    const { r } = await full();
    expect(validateDesired(r, { pluginSchemas: bundledConfigSchemas() }).map(brief)).toEqual([]);
    expect(validateDesired(r).map(brief)).toEqual([]);
  });
});

describe('loadDesired: JSON', () => {
  it('reads JSON with positions like YAML', async () => {
    const r = await loadDesired({ files: [sample('multi', 'more', '30-consumers.json')], env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.state.entities.map((e) => `${e.key} ${e.source?.line}:${e.source?.column} ${e.source?.path}`)).toEqual([
      'consumer:checkout-app 4:5 consumers[0]',
      'plugin:request-termination@service=checkout,consumer=checkout-app 7:19 consumers[0].plugins[0]',
      'acl:checkout-app/checkout 6:16 consumers[0].acls[0]',
    ]);
  });
});
