import { describe, expect, it } from 'vitest';
import { buildCurrentState } from '../../../cli/src/current/fetch';
import { indexByKey } from '../../../cli/src/model/entity';
import { listData } from '../kong/fixtures';
import { recordedLists } from '../support/recorded-lists';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('buildCurrentState on the recorded Kong 3.4.2 lists', () => {
  const state = buildCurrentState(deepFreeze(recordedLists()));
  const byKey = indexByKey(state);

  it('keeps every entity, once', () => {
    const raw = recordedLists();
    const total = Object.values(raw).reduce((n, l) => n + (l?.length ?? 0), 0);
    expect(state.entities).toHaveLength(total);
    expect(byKey.size).toBe(total);
  });

  it('strips id, timestamps and foreign keys from fields, and keeps the id beside them', () => {
    const svc = byKey.get('service:orders')!;
    expect(svc.id).toBe('675a0b3b-6d3a-4e1b-81d3-f2143684c19f');
    expect(svc.label).toBe('service orders');
    expect(svc.fields).toEqual({
      path: '/orders',
      tags: ['team-a'],
      retries: 5,
      protocol: 'http',
      port: 9999,
      name: 'orders',
      connect_timeout: 60000,
      read_timeout: 60000,
      enabled: true,
      ca_certificates: null,
      host: '127.0.0.1',
      tls_verify: null,
      write_timeout: 60000,
      tls_verify_depth: null,
    });
    expect(svc.refs).toEqual({ client_certificate: null });
  });

  it('turns route.service ids into service keys; an unnamed route is keyed by id', () => {
    expect(byKey.get('route:orders-api')!.refs).toEqual({ service: 'service:orders' });
    expect(byKey.get('route:orders-api')!.fields).not.toHaveProperty('service');
    const unnamed = byKey.get('route:#7832ce34-e1a8-463a-aef4-e737c7174ef2')!;
    expect(unnamed.refs).toEqual({ service: 'service:inventory' });
    expect(unnamed.label).toBe('route #7832ce34-e1a8-463a-aef4-e737c7174ef2');
  });

  it('keys plugins by name and scope, with every scope field present in refs', () => {
    expect(byKey.get('plugin:jwt@service=billing,route=billing-api')!.refs).toEqual({
      service: 'service:billing',
      route: 'route:billing-api',
      consumer: null,
    });
    expect(byKey.get('plugin:rate-limiting@global')!.refs).toEqual({ service: null, route: null, consumer: null });
    expect(byKey.get('plugin:rate-limiting@consumer=alice')!.refs.consumer).toBe('consumer:alice');
    const corr = byKey.get('plugin:correlation-id@service=inventory')!;
    expect(corr.fields.instance_name).toBe('corr-1');
    expect(corr.label).toBe('plugin correlation-id (service inventory)');
  });

  it('resolves credentials to their consumer and targets to their upstream', () => {
    for (const key of ['keyauth_credential:sha256=d85cc5e31c65548b', 'jwt_secret:alice-iss', 'basicauth_credential:alice-basic', 'hmacauth_credential:alice-hmac', 'acl:alice/admins']) {
      expect(byKey.get(key)?.refs, key).toEqual({ consumer: 'consumer:alice' });
    }
    expect(byKey.get('target:orders-up/[0000:0000:0000:0000:0000:0000:0000:0001]:8080')!.refs).toEqual({ upstream: 'upstream:orders-up' });
    const t = byKey.get('target:orders-up/10.0.0.1:8000')!;
    expect(t.fields).toEqual({ tags: ['team-a'], weight: 100, target: '10.0.0.1:8000' });
  });

  it('applies the kind’s normalize (targets get Kong’s default port)', () => {
    const s = buildCurrentState({
      upstream: [{ id: 'u1', name: 'up' }],
      target: [{ id: 't1', target: '10.1.1.1', upstream: { id: 'u1' }, weight: 100 }],
    });
    expect(s.entities.find((e) => e.kind === 'target')!.fields.target).toBe('10.1.1.1:8000');
  });

  it('orders entities by kind, then key', () => {
    const kinds = state.entities.map((e) => e.kind);
    expect(kinds.indexOf('service')).toBeLessThan(kinds.indexOf('route'));
    expect(kinds.lastIndexOf('plugin')).toBe(kinds.length - 1);
    const services = state.entities.filter((e) => e.kind === 'service').map((e) => e.key);
    expect(services).toEqual(['service:billing', 'service:inventory', 'service:orders']);
  });
});

describe('buildCurrentState references', () => {
  it('names a referred entity that is not in the state <kind>:#<id> (outside the select tags)', () => {
    const s = buildCurrentState({ route: listData('106'), plugin: listData('107').filter((p) => p.name === 'cors') });
    const byKey = indexByKey(s);
    expect(byKey.get('route:orders-api')!.refs.service).toBe('service:#675a0b3b-6d3a-4e1b-81d3-f2143684c19f');
    expect(byKey.get('plugin:cors@route=orders-api')!.refs.route).toBe('route:orders-api');

    const lonely = buildCurrentState({ plugin: listData('107').filter((p) => p.name === 'cors') });
    expect(lonely.entities[0].refs.route).toBe('route:#a709b6a1-f146-4c8b-afe6-d55f3f996641');
    expect(lonely.entities[0].key).toBe('plugin:cors@route=#a709b6a1-f146-4c8b-afe6-d55f3f996641');
  });

  it('resolves snis to certificates and service.client_certificate by certificate key', () => {
    const s = buildCurrentState({
      certificate: [{ id: 'c1', cert: '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n', key: 'k', cert_alt: null, key_alt: null, tags: null, created_at: 1 }],
      sni: [{ id: 's1', name: 'api.example.com', certificate: { id: 'c1' }, tags: null, created_at: 1, updated_at: 1 }],
      service: [{ id: 'v1', name: 'mtls', host: 'x', protocol: 'https', client_certificate: { id: 'c1' } }],
    });
    const byKey = indexByKey(s);
    expect(byKey.get('sni:api.example.com')!.refs).toEqual({ certificate: 'certificate:#c1' });
    expect(byKey.get('service:mtls')!.refs).toEqual({ client_certificate: 'certificate:#c1' });
    expect(byKey.get('certificate:#c1')!.fields).toEqual({
      cert: '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n',
      key: 'k',
      cert_alt: null,
      key_alt: null,
      tags: null,
    });
  });

  it('reads the DB-less node’s lists the same way (3.4.2-dbless 018-020)', () => {
    const s = buildCurrentState({
      service: listData('018', '3.4.2-dbless'),
      route: listData('019', '3.4.2-dbless'),
      plugin: listData('020', '3.4.2-dbless'),
    });
    const byKey = indexByKey(s);
    expect(byKey.get('route:orders-api')!.refs.service).toBe('service:orders');
    expect(byKey.get('plugin:cors@route=orders-api')).toBeDefined();
    expect(byKey.get('plugin:key-auth@service=orders')).toBeDefined();
    expect(byKey.get('plugin:rate-limiting@global')).toBeDefined();
  });

  it('is empty for an empty gateway', () => {
    expect(buildCurrentState({})).toEqual({ entities: [] });
  });
});
