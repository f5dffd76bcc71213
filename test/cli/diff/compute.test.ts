import { describe, expect, it } from 'vitest';
import { computePlan } from '../../../cli/src/diff/compute';
import type { Entity, Kind } from '../../../cli/src/model/entity';
import type { FieldList, FieldSchema, Schemas } from '../../../cli/src/model/schema';
import { entity, exchange, kong342Schemas, live, withSecureDefaults } from './helpers';

const schemas = kong342Schemas();

/** Kong ids of the entities the recorded exchanges created, and the keys the readers give them. */
const KEYS: Record<string, string> = {
  '675a0b3b-6d3a-4e1b-81d3-f2143684c19f': 'service:orders',
  '68f608f5-3f92-48ed-b0df-402c8473dec5': 'service:billing',
  'a709b6a1-f146-4c8b-afe6-d55f3f996641': 'route:orders-api',
  'c7eed3f4-7edf-451e-acf7-a3412cac4a3b': 'route:billing-api',
  '273afe00-483b-4cf8-8c62-bb953b5b81bf': 'consumer:alice',
  '99eca49f-9833-40b2-b13f-65b7e75e50e3': 'upstream:orders-up',
};

function liveFrom(kind: Kind, prefix: string): Entity {
  return live(kind, exchange(prefix).response.body, KEYS);
}

/** The desired entity a file would give for the request that created `prefix`. */
function desiredFrom(kind: Kind, prefix: string, refs: Record<string, string | null> = {}, patch: Record<string, unknown> = {}): Entity {
  const body: Record<string, unknown> = { ...exchange(prefix).request.body, ...patch };
  for (const fk of ['service', 'route', 'consumer', 'upstream']) delete body[fk];
  return entity(kind, body, refs);
}

function plan(desired: Entity[], current: Entity[], s: Schemas = schemas, selectTags?: string[]) {
  return computePlan({ entities: desired }, { entities: current }, s, { selectTags });
}

describe('computePlan: what Kong filled in is not drift', () => {
  const cases: Array<[string, Kind, string, Record<string, string | null>]> = [
    ['service from a url', 'service', '055', {}],
    ['service from fields', 'service', '056', {}],
    ['route nested under a service', 'route', '064', { service: 'service:orders' }],
    ['route with hosts and https only', 'route', '065', { service: 'service:billing' }],
    ['consumer', 'consumer', '071', {}],
    ['key-auth credential (Kong adds ttl: null)', 'keyauth_credential', '074', { consumer: 'consumer:alice' }],
    ['jwt secret', 'jwt_secret', '075', { consumer: 'consumer:alice' }],
    ['hmac-auth credential', 'hmacauth_credential', '077', { consumer: 'consumer:alice' }],
    ['acl', 'acl', '078', { consumer: 'consumer:alice' }],
    ['global rate-limiting', 'plugin', '085', {}],
    ['service key-auth with an empty config', 'plugin', '086', { service: 'service:orders' }],
    ['route cors', 'plugin', '087', { route: 'route:orders-api' }],
    ['route request-transformer', 'plugin', '088', { route: 'route:orders-api' }],
    ['consumer rate-limiting', 'plugin', '089', { consumer: 'consumer:alice' }],
    ['jwt on a service and route', 'plugin', '090', { service: 'service:billing', route: 'route:billing-api' }],
    ['disabled ip-restriction', 'plugin', '096', { service: 'service:billing' }],
    ['upstream', 'upstream', '097', {}],
    ['target 10.0.0.1 (Kong answers 10.0.0.1:8000)', 'target', '098', { upstream: 'upstream:orders-up' }],
    ['target [::1]:8080 (Kong expands it)', 'target', '099', { upstream: 'upstream:orders-up' }],
    ['target host:port', 'target', '100', { upstream: 'upstream:orders-up' }],
  ];
  for (const [name, kind, prefix, refs] of cases) {
    it(`${name} (${prefix})`, () => {
      const d = desiredFrom(kind, prefix, refs);
      const c = liveFrom(kind, prefix);
      expect(d.key).toBe(c.key);
      expect(plan([d], [c]).changes).toEqual([]);
    });
  }

  it('basic-auth: the hashed password Kong returns never drifts (076)', () => {
    const d = desiredFrom('basicauth_credential', '076', { consumer: 'consumer:alice' });
    const c = liveFrom('basicauth_credential', '076');
    expect(c.fields.password).not.toBe(d.fields.password);
    expect(plan([d], [c]).changes).toEqual([]);
    const other = desiredFrom('basicauth_credential', '076', { consumer: 'consumer:alice' }, { password: 'changed' });
    expect(plan([other], [c]).changes).toEqual([]);
  });

  it('basic-auth: a create still sends the password, and shows it masked', () => {
    const d = desiredFrom('basicauth_credential', '076', { consumer: 'consumer:alice' });
    const [change] = plan([d], []).changes;
    expect(change.op).toBe('create');
    expect(change.desired?.fields.password).toBe('plain-password');
    expect(change.fieldChanges).toContainEqual({ path: 'password', before: null, after: 'plain-password', masked: true });
  });

  it('basic-auth: other fields of the credential still drift', () => {
    const d = desiredFrom('basicauth_credential', '076', { consumer: 'consumer:alice' }, { tags: ['team-b'] });
    const [change] = plan([d], [liveFrom('basicauth_credential', '076')]).changes;
    expect(change.fieldChanges).toEqual([{ path: 'tags', before: ['team-a'], after: ['team-b'] }]);
  });

  it('jwt: a secret the file leaves to Kong is accepted whatever Kong generated', () => {
    const c = liveFrom('jwt_secret', '075');
    const d = entity('jwt_secret', { key: 'alice-iss', tags: ['team-a'] }, { consumer: 'consumer:alice' });
    expect(plan([d], [c]).changes).toEqual([]);
  });

  it('id, created_at and updated_at are ignored', () => {
    const c = liveFrom('service', '056');
    const d = desiredFrom('service', '056', {}, { created_at: 1, updated_at: 2 });
    expect(plan([d], [c]).changes).toEqual([]);
  });

  it('a null and an absent field compare equal, and so do [] and null', () => {
    const c = liveFrom('route', '064');
    const d = desiredFrom('route', '064', { service: 'service:orders' }, { hosts: null, snis: [], headers: {} });
    expect(plan([d], [c]).changes).toEqual([]);
  });
});

describe('computePlan: sets and arrays', () => {
  const c = liveFrom('route', '064');
  it('methods, protocols and tags reordered: no change (sets)', () => {
    const d = desiredFrom('route', '064', { service: 'service:orders' }, { methods: ['POST', 'GET'], protocols: ['https', 'http'], tags: ['team-a', 'team-a'] });
    expect(plan([d], [c]).changes).toEqual([]);
  });

  it('paths reordered: a change (array)', () => {
    const d = desiredFrom('route', '064', { service: 'service:orders' }, { paths: ['~/orders/\\d+$', '/orders'] });
    const [change] = plan([d], [c]).changes;
    expect(change.op).toBe('update');
    expect(change.fieldChanges).toEqual([{ path: 'paths', before: ['/orders', '~/orders/\\d+$'], after: ['~/orders/\\d+$', '/orders'] }]);
  });

  it('a plugin config set (jwt claims_to_verify) compares as a set', () => {
    const d = desiredFrom('plugin', '090', { service: 'service:billing', route: 'route:billing-api' }, { config: { claims_to_verify: ['nbf', 'exp'] } });
    expect(plan([d], [liveFrom('plugin', '090')]).changes).toEqual([]);
  });
});

describe('computePlan: changes list only the changed leaves', () => {
  it('rate-limiting minute 100 → 200 is one change at config.minute', () => {
    const d = desiredFrom('plugin', '085', {}, { config: { minute: 200, policy: 'local' } });
    const [change] = plan([d], [liveFrom('plugin', '085')]).changes;
    expect(change).toMatchObject({ op: 'update', kind: 'plugin', key: 'plugin:rate-limiting@global', id: 'ec9404b9-5a00-4512-9601-9045b5c16683' });
    expect(change.fieldChanges).toEqual([{ path: 'config.minute', before: 100, after: 200 }]);
  });

  it('a nested record leaf (upstream healthchecks.active.http_path)', () => {
    const d = desiredFrom('upstream', '097', {}, { healthchecks: { active: { http_path: '/health' } } });
    const [change] = plan([d], [liveFrom('upstream', '097')]).changes;
    expect(change.fieldChanges).toEqual([{ path: 'healthchecks.active.http_path', before: '/', after: '/health' }]);
  });

  it('a field the file drops goes back to its default, or to null', () => {
    const d = entity('route', { name: 'billing-api', paths: ['/pay'], tags: ['team-a', 'pci'] }, { service: 'service:billing' });
    const [change] = plan([d], [liveFrom('route', '065')]).changes;
    expect(change.fieldChanges).toEqual([
      { path: 'protocols', before: ['https'], after: ['http', 'https'], fromDefault: true },
      { path: 'hosts', before: ['billing.example.com'], after: null, fromDefault: true },
      { path: 'strip_path', before: false, after: true, fromDefault: true },
    ]);
  });

  it('the update carries the defaults-filled desired entity and the live one', () => {
    const d = desiredFrom('service', '056', {}, { retries: 4 });
    const c = liveFrom('service', '056');
    const [change] = plan([d], [c]).changes;
    expect(change.desired?.fields).toMatchObject({ retries: 4, connect_timeout: 60000, enabled: true, protocol: 'https' });
    expect(change.current).toBe(c);
  });

  it('masked paths mark their field changes', () => {
    const c = liveFrom('plugin', '085');
    const d = entity('plugin', { name: 'rate-limiting', config: { minute: 100, redis_password: 's3cret' }, tags: ['team-a'] }, {}, { masked: ['config.redis_password'] });
    const [change] = plan([d], [c]).changes;
    expect(change.fieldChanges).toEqual([{ path: 'config.redis_password', before: null, after: 's3cret', masked: true }]);
  });
});

describe("computePlan: changes that come from the node's defaults, not from the file", () => {
  const secure = withSecureDefaults(schemas);
  const ordersApi = { name: 'orders-api', paths: ['/orders', '~/orders/\\d+$'], methods: ['GET', 'POST'], tags: ['team-a'] };

  it('a route the file writes without protocols, created before the default changed: marked', () => {
    const d = entity('route', ordersApi, { service: 'service:orders' });
    expect(plan([d], [liveFrom('route', '064')]).changes).toEqual([]);
    const [change] = plan([d], [liveFrom('route', '064')], secure).changes;
    expect(change.op).toBe('update');
    expect(change.fieldChanges).toEqual([{ path: 'protocols', before: ['http', 'https'], after: ['https'], fromDefault: true }]);
  });

  it('the same change written in the file: not marked', () => {
    const d = entity('route', { ...ordersApi, protocols: ['https'] }, { service: 'service:orders' });
    const [change] = plan([d], [liveFrom('route', '064')], secure).changes;
    expect(change.fieldChanges).toEqual([{ path: 'protocols', before: ['http', 'https'], after: ['https'] }]);
  });

  it('a plugin config field is marked at its nested path, next to a change the file makes', () => {
    const withConfig = desiredFrom('plugin', '086', { service: 'service:orders' }, { config: { key_names: ['apikey', 'x-api-key'] } });
    const [change] = plan([withConfig], [liveFrom('plugin', '086')], secure).changes;
    expect(change.fieldChanges).toEqual([
      { path: 'config.key_names', before: ['apikey'], after: ['apikey', 'x-api-key'] },
      { path: 'config.hide_credentials', before: false, after: true, fromDefault: true },
    ]);
    // A plugin written without any config: every change in it is the node's.
    const bare = desiredFrom('plugin', '086', { service: 'service:orders' });
    const [only] = plan([bare], [liveFrom('plugin', '086')], secure).changes;
    expect(only.fieldChanges).toEqual([{ path: 'config.hide_credentials', before: false, after: true, fromDefault: true }]);
  });

  it('a value set by hand through the Admin API, which the file does not mention: marked', () => {
    const d = entity('route', ordersApi, { service: 'service:orders' });
    const c = live('route', { ...exchange('064').response.body, hosts: ['orders.example.com'] }, KEYS);
    const [change] = plan([d], [c]).changes;
    expect(change.fieldChanges).toEqual([{ path: 'hosts', before: ['orders.example.com'], after: null, fromDefault: true }]);
  });

  it('creates and deletes carry no mark', () => {
    const p = plan([entity('route', { ...ordersApi, name: 'new-api' }, { service: 'service:orders' })], [liveFrom('route', '065')], secure);
    expect(p.changes.map((c) => c.op).sort()).toEqual(['create', 'delete']);
    for (const c of p.changes) for (const fc of c.fieldChanges ?? []) expect(fc).not.toHaveProperty('fromDefault');
  });
});

describe('computePlan: matching', () => {
  const service = liveFrom('service', '055'); // orders
  const route = liveFrom('route', '064'); // orders-api → orders
  const cors = liveFrom('plugin', '087'); // on route orders-api

  it('a rename with a kept id is an update, and what hangs below follows it', () => {
    const d = desiredFrom('route', '064', { service: 'service:orders' }, { name: 'orders-v2' });
    const renamed = entity('route', d.fields, d.refs, { id: route.id });
    const corsOnRenamed = desiredFrom('plugin', '087', { route: 'route:orders-v2' });
    const p = plan([renamed, corsOnRenamed], [route, cors]);
    expect(p.changes).toHaveLength(1);
    expect(p.changes[0]).toMatchObject({ op: 'update', key: 'route:orders-v2', label: 'route orders-v2', id: route.id });
    expect(p.changes[0].fieldChanges).toEqual([{ path: 'name', before: 'orders-api', after: 'orders-v2' }]);
  });

  it('a renamed service keeps its routes: no phantom foreign-key change', () => {
    const d = entity('service', { name: 'orders-new', url: 'http://127.0.0.1:9999/orders', tags: ['team-a'] }, {}, { id: service.id });
    const r = desiredFrom('route', '064', { service: 'service:orders-new' });
    const p = plan([d, r], [service, route]);
    expect(p.changes.map((c) => [c.op, c.key])).toEqual([['update', 'service:orders-new']]);
  });

  it('a rename without an id is a delete and a create', () => {
    const d = desiredFrom('route', '064', { service: 'service:orders' }, { name: 'orders-v2' });
    const p = plan([d], [route]);
    expect(p.changes.map((c) => [c.op, c.key])).toEqual([
      ['create', 'route:orders-v2'],
      ['delete', 'route:orders-api'],
    ]);
  });

  it('an id the gateway does not have is a create with that id; the old entity goes', () => {
    const d = entity('service', { name: 'orders', url: 'http://127.0.0.1:9999/orders', tags: ['team-a'] }, {}, { id: '00000000-0000-4000-8000-000000000001' });
    const p = plan([d], [service]);
    expect(p.changes.map((c) => [c.op, c.key, c.id ?? c.desired?.id])).toEqual([
      ['create', 'service:orders', '00000000-0000-4000-8000-000000000001'],
      ['delete', 'service:orders', service.id],
    ]);
  });

  it('an id change replaces what hangs below too: Kong would cascade or refuse the delete', () => {
    const newId = '00000000-0000-4000-8000-000000000002';
    const d = entity('service', { name: 'orders', url: 'http://127.0.0.1:9999/orders', tags: ['team-a'] }, {}, { id: newId });
    const r = desiredFrom('route', '064', { service: 'service:orders' });
    const c = desiredFrom('plugin', '087', { route: 'route:orders-api' });
    const p = plan([d, r, c], [service, route, cors]);
    expect(p.changes.map((ch) => `${ch.op} ${ch.key}`)).toEqual([
      'create service:orders',
      'create route:orders-api',
      'create plugin:cors@route=orders-api',
      'delete plugin:cors@route=orders-api',
      'delete route:orders-api',
      'delete service:orders',
    ]);
  });

  it('a credential of a consumer whose key is taken over by a rename is replaced', () => {
    const alice = liveFrom('consumer', '071');
    const bob = live('consumer', { id: 'bob-id', username: 'bob', custom_id: null, tags: null });
    const cred = liveFrom('basicauth_credential', '076'); // alice's
    // The file renames bob into alice (bob's id) and drops the old alice.
    const newAlice = entity('consumer', { username: 'alice' }, {}, { id: 'bob-id' });
    const credential = desiredFrom('basicauth_credential', '076', { consumer: 'consumer:alice' });
    const p = plan([newAlice, credential], [alice, bob, cred]);
    expect(p.changes.map((ch) => `${ch.op} ${ch.key}`)).toEqual([
      'update consumer:alice',
      'create basicauth_credential:alice-basic',
      'delete basicauth_credential:alice-basic',
      'delete consumer:alice',
    ]);
    expect(p.changes[0]).toMatchObject({ id: 'bob-id', fieldChanges: [{ path: 'username', before: 'bob', after: 'alice' }] });
    expect(p.changes[3].id).toBe(alice.id);
  });

  // decK sync case 013 (Test_Sync_UpdateUsernameInConsumerWithCustomID_3x): decK's builder finds
  // a consumer whose username is new by its custom_id, and updates it.
  it('a consumer renamed without an id is found by its custom_id: an update that its credentials follow', () => {
    const alice = liveFrom('consumer', '071'); // alice, custom_id a-1
    const cred = liveFrom('basicauth_credential', '076'); // alice's
    const renamed = entity('consumer', { username: 'alice-2', custom_id: 'a-1', tags: ['team-a'] });
    const credential = desiredFrom('basicauth_credential', '076', { consumer: 'consumer:alice-2' });
    const p = plan([renamed, credential], [alice, cred]);
    expect(p.changes.map((ch) => `${ch.op} ${ch.key}`)).toEqual(['update consumer:alice-2']);
    expect(p.changes[0]).toMatchObject({ id: alice.id, fieldChanges: [{ path: 'username', before: 'alice', after: 'alice-2' }] });
  });

  it('a custom_id never takes a live consumer from the file consumer that has its username', () => {
    const alice = liveFrom('consumer', '071'); // alice, custom_id a-1
    const keepsName = entity('consumer', { username: 'alice', custom_id: 'a-9', tags: ['team-a'] });
    const takesId = entity('consumer', { username: 'zed', custom_id: 'a-1', tags: ['team-a'] });
    const p = plan([takesId, keepsName], [alice]);
    expect(p.changes.map((ch) => `${ch.op} ${ch.key} ${ch.id ?? ''}`).sort()).toEqual([`create consumer:zed `, `update consumer:alice ${alice.id}`]);
  });

  it('a foreign-key change is a field change', () => {
    const d = desiredFrom('route', '064', { service: 'service:billing' });
    const [change] = plan([d], [route]).changes;
    expect(change.op).toBe('update');
    expect(change.fieldChanges).toEqual([{ path: 'service', before: 'service:orders', after: 'service:billing' }]);
  });

  it('select tags are added before comparing, so a tagged entity matches', () => {
    const d = entity('consumer', { username: 'alice', custom_id: 'a-1' });
    expect(plan([d], [liveFrom('consumer', '071')], schemas, ['team-a']).changes).toEqual([]);
    const [create] = plan([entity('consumer', { username: 'carol' })], [], schemas, ['team-a']).changes;
    expect(create.desired?.fields.tags).toEqual(['team-a']);
  });
});

describe('computePlan: order', () => {
  it('creates and updates top-down, deletes bottom-up, then by key', () => {
    const current = [liveFrom('service', '056'), liveFrom('route', '065'), liveFrom('plugin', '090'), liveFrom('consumer', '071'), liveFrom('acl', '078')];
    const desired = [
      entity('plugin', { name: 'cors' }, { service: 'service:b' }),
      entity('route', { name: 'r', paths: ['/r'] }, { service: 'service:b' }),
      entity('service', { name: 'b', host: 'b.internal' }),
      entity('service', { name: 'a', host: 'a.internal' }),
      entity('consumer', { username: 'alice', custom_id: 'a-2', tags: ['team-a'] }),
    ];
    expect(plan(desired, current).changes.map((c) => `${c.op} ${c.key}`)).toEqual([
      'update consumer:alice',
      'create service:a',
      'create service:b',
      'create route:r',
      'create plugin:cors@service=b',
      'delete plugin:jwt@service=billing,route=billing-api',
      'delete acl:alice/admins',
      'delete route:billing-api',
      'delete service:billing',
    ]);
  });

  it('is the same whatever order the states come in', () => {
    const current = [liveFrom('service', '056'), liveFrom('route', '065'), liveFrom('plugin', '090'), liveFrom('consumer', '071')];
    const desired = [entity('service', { name: 'a', host: 'a' }), entity('service', { name: 'z', host: 'z' }), entity('consumer', { username: 'm' })];
    const one = plan(desired, current);
    const two = plan([...desired].reverse(), [...current].reverse());
    expect(two).toEqual(one);
  });
});

describe('computePlan: creates', () => {
  it('lists only the fields set to something other than the default, then the foreign keys', () => {
    const d = desiredFrom('plugin', '085', {}, { config: { minute: 100, policy: 'local' } });
    const r = entity('route', { name: 'r', paths: ['/r'], strip_path: true, methods: ['POST', 'GET'] }, { service: 'service:orders' });
    const p = plan([d, r], []);
    expect(p.changes.map((c) => [c.key, c.fieldChanges])).toEqual([
      [
        'route:r',
        [
          { path: 'name', before: null, after: 'r' },
          { path: 'methods', before: null, after: ['GET', 'POST'] },
          { path: 'paths', before: null, after: ['/r'] },
          { path: 'service', before: null, after: 'service:orders' },
        ],
      ],
      [
        'plugin:rate-limiting@global',
        [
          { path: 'name', before: null, after: 'rate-limiting' },
          { path: 'config.minute', before: null, after: 100 },
          { path: 'tags', before: null, after: ['team-a'] },
        ],
      ],
    ]);
    expect(p.changes[1].desired?.fields.config).toMatchObject({ minute: 100, limit_by: 'consumer', redis_port: 6379, sync_rate: -1 });
  });
});

/**
 * Kong ≥ 3.6 moved rate-limiting's Redis settings into a `redis` record and keeps the old
 * `redis_*` fields as shorthands, which it returns too. Schema and answer built from the
 * 3.4.2 ones the way 3.6 changed them.
 */
describe('computePlan: Kong ≥ 3.6 shorthand fields', () => {
  const base = kong342Schemas();
  const rl = base.plugins['rate-limiting'];
  const configOf = (fields: FieldList) => fields.find((f) => 'config' in f)!.config;
  const oldConfig = configOf(rl.fields);
  const redisFields = (oldConfig.fields ?? []).filter((f) => Object.keys(f)[0].startsWith('redis_'));
  const redisRecord: FieldSchema = {
    type: 'record',
    required: true,
    fields: redisFields.map((f) => {
      const [name, schema] = Object.entries(f)[0];
      return { [name.slice('redis_'.length)]: schema };
    }),
  };
  const config: FieldSchema = {
    ...oldConfig,
    fields: [...(oldConfig.fields ?? []).filter((f) => !Object.keys(f)[0].startsWith('redis_')), { redis: redisRecord }],
    shorthand_fields: redisFields.map((f) => {
      const [name, schema] = Object.entries(f)[0];
      return { [name]: { type: schema.type } };
    }),
  };
  const schemas36: Schemas = {
    ...base,
    plugins: { ...base.plugins, 'rate-limiting': { ...rl, fields: rl.fields.map((f) => ('config' in f ? { config } : f)) } },
  };

  const answer = exchange('085').response.body as Record<string, unknown>;
  const oldAnswerConfig = answer.config as Record<string, unknown>;
  const liveConfig = {
    ...oldAnswerConfig,
    policy: 'redis',
    redis_host: 'redis.internal',
    redis_port: 6380,
    redis: {
      host: 'redis.internal',
      port: 6380,
      username: null,
      password: null,
      ssl: false,
      ssl_verify: false,
      server_name: null,
      timeout: 2000,
      database: 0,
    },
  };
  const current = live('plugin', { ...answer, config: liveConfig });

  it('a file using the shorthands matches the canonical record', () => {
    const d = entity('plugin', { name: 'rate-limiting', config: { minute: 100, policy: 'redis', redis_host: 'redis.internal', redis_port: 6380 }, tags: ['team-a'] });
    expect(plan([d], [current], schemas36).changes).toEqual([]);
  });

  it('a file using the new record matches too', () => {
    const d = entity('plugin', { name: 'rate-limiting', config: { minute: 100, policy: 'redis', redis: { host: 'redis.internal', port: 6380 } }, tags: ['team-a'] });
    expect(plan([d], [current], schemas36).changes).toEqual([]);
  });

  it('a changed shorthand is reported at its canonical path, once', () => {
    const d = entity('plugin', { name: 'rate-limiting', config: { minute: 100, policy: 'redis', redis_host: 'redis2.internal', redis_port: 6380 }, tags: ['team-a'] });
    const [change] = plan([d], [current], schemas36).changes;
    expect(change.fieldChanges).toEqual([{ path: 'config.redis.host', before: 'redis.internal', after: 'redis2.internal' }]);
  });

  it('the create sends the canonical record, not the shorthand', () => {
    const d = entity('plugin', { name: 'rate-limiting', config: { minute: 100, policy: 'redis', redis_host: 'r' } }, {}, { masked: ['config.redis_host'] });
    const [change] = plan([d], [], schemas36).changes;
    const config = change.desired?.fields.config as Record<string, unknown>;
    expect(config).not.toHaveProperty('redis_host');
    expect(config.redis).toMatchObject({ host: 'r', port: 6379, timeout: 2000 });
    expect(change.desired?.masked).toEqual(['config.redis.host']);
    expect(change.fieldChanges?.find((f) => f.path === 'config.redis.host')).toEqual({ path: 'config.redis.host', before: null, after: 'r', masked: true });
  });

  it('a shorthand with no known translation is compared with Kong’s echo of it only', () => {
    const session = base.plugins.session;
    const liveSession = live('plugin', {
      id: 'p1',
      name: 'session',
      service: null,
      route: null,
      consumer: null,
      enabled: true,
      protocols: ['grpc', 'grpcs', 'http', 'https'],
      config: { cookie_lifetime: 60, rolling_timeout: 60 },
    });
    const d = entity('plugin', { name: 'session', config: { cookie_lifetime: 60, rolling_timeout: 60 } });
    expect(session).toBeDefined();
    expect(plan([d], [liveSession]).changes.flatMap((c) => c.fieldChanges?.map((f) => f.path) ?? [])).not.toContain('config.cookie_lifetime');
    const d2 = entity('plugin', { name: 'session', config: { cookie_lifetime: 120, rolling_timeout: 60 } });
    const paths = plan([d2], [liveSession]).changes.flatMap((c) => c.fieldChanges?.map((f) => f.path) ?? []);
    expect(paths).toContain('config.cookie_lifetime');
  });
});

describe('computePlan: certificates written without an id are found live by their content', () => {
  // Only the text matters here: certificates are matched by a digest of it.
  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBkTCCATegAwIBAgIUKDx+Q7SPc/OvMh08qmewqJ9JEG4w\ntEGZBEl0rnUn1ImgnrM1E7jFfaep\n-----END CERTIFICATE-----\n';
  const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
  const CERT_ID = '0f4c1c8e-6a4b-4f0e-8d7c-1b2a3c4d5e6f';
  const liveCert = live('certificate', { id: CERT_ID, cert: PEM, key: KEY, cert_alt: null, key_alt: null, tags: null });
  const liveSni = live('sni', { id: '5b1f9a0e-1c2d-4e3f-8a9b-0c1d2e3f4a5b', name: 'api.example.com', certificate: { id: CERT_ID }, tags: null });

  it('a certificate and its SNI as written in decK files (no ids) are no change', () => {
    const cert = entity('certificate', { cert: PEM, key: KEY });
    const sni = entity('sni', { name: 'api.example.com' }, { certificate: cert.key });
    expect(plan([cert, sni], [liveCert, liveSni]).changes).toEqual([]);
  });

  it('a CA certificate written without an id is no change', () => {
    const liveCa = live('ca_certificate', { id: '7c1f6d6e-2a7e-4f0b-9a1b-3d2f1e0c9b8a', cert: PEM, cert_digest: 'e1f0c7bc', tags: null });
    expect(plan([entity('ca_certificate', { cert: PEM })], [liveCa]).changes).toEqual([]);
  });

  it('a certificate whose text changed is a new certificate, and its SNI moves to it', () => {
    const renewed = PEM.replace('tEGZBEl0rnUn1ImgnrM1E7jFfaep', 'tEGZBEl0rnUn1ImgnrM1E7jFfaeq');
    const cert = entity('certificate', { cert: renewed, key: KEY });
    const sni = entity('sni', { name: 'api.example.com' }, { certificate: cert.key });
    const changes = plan([cert, sni], [liveCert, liveSni]).changes;
    expect(changes.map((c) => `${c.op} ${c.kind}`)).toEqual(['create certificate', 'update sni', 'delete certificate']);
  });
});

describe("computePlan: Kong's route subschema defaults, which /schemas/routes does not show", () => {
  it('a gRPC route the file writes without strip_path is no change (Kong stores false, and refuses true)', () => {
    const svc = 'service:orders';
    const fields = { name: 'grpc-api', protocols: ['grpc'], paths: ['/orders.Orders'] };
    const d = entity('route', fields, { service: svc });
    const c = live('route', {
      ...fields,
      id: '3f0f2a6e-1b2c-4d3e-8f9a-0b1c2d3e4f5a',
      service: { id: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f' },
      strip_path: false,
      preserve_host: false,
      regex_priority: 0,
      https_redirect_status_code: 426,
      path_handling: 'v0',
      request_buffering: true,
      response_buffering: true,
      methods: null,
      hosts: null,
      headers: null,
      snis: null,
      sources: null,
      destinations: null,
      tags: null,
    }, KEYS);
    expect(plan([d], [c]).changes).toEqual([]);
  });
});
