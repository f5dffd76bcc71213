import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCurrentState } from '../../../cli/src/current/fetch';
import { buildDumpContent, renderDump, renderDumpJson } from '../../../cli/src/dump/dump';
import type { State } from '../../../cli/src/model/entity';
import type { Schemas } from '../../../cli/src/model/schema';
import { entitySchemas, listData, pluginSchemas } from '../kong/fixtures';
import { recordedLists } from '../support/recorded-lists';

const schemas: Schemas = { entities: entitySchemas(), plugins: pluginSchemas() };

const recorded = buildCurrentState(recordedLists());
const plain = { withDefaults: false, selectTags: [] as string[] };

function walk(v: unknown, visit: (key: string, value: unknown) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      visit(k, x);
      walk(x, visit);
    }
  }
}

describe('renderDump of the recorded gateway', () => {
  const text = renderDump(recorded, schemas, plain);
  const doc = parse(text);

  it('is decK format 3.0, with the version as a string', () => {
    expect(text).toMatch(/^_format_version: "3\.0"$/m);
    expect(doc._format_version).toBe('3.0');
    expect(Object.keys(doc)).toEqual(['_format_version', 'services', 'consumers', 'plugins', 'upstreams']);
  });

  it('nests routes and single-scope plugins under services, sorted by name', () => {
    expect(doc.services.map((s: any) => s.name)).toEqual(['billing', 'inventory', 'orders']);
    const orders = doc.services[2];
    expect(orders).toEqual({
      name: 'orders',
      host: '127.0.0.1',
      path: '/orders',
      port: 9999,
      tags: ['team-a'],
      routes: [
        {
          name: 'orders-api',
          methods: ['GET', 'POST'],
          paths: ['/orders', '~/orders/\\d+$'],
          tags: ['team-a'],
          plugins: [
            { name: 'cors', config: { origins: ['https://a.example', 'https://b.example'], methods: ['GET', 'POST'] }, tags: ['team-a'] },
            { name: 'request-transformer', config: { add: { headers: ['x-a:1', 'x-b:2'] } }, tags: ['team-a'] },
          ],
        },
      ],
      plugins: [{ name: 'key-auth', tags: ['team-a'] }],
    });
  });

  it('keeps the id of an unnamed route only, and instance_name of a plugin', () => {
    const inventory = doc.services[1];
    expect(inventory.routes).toEqual([{ id: '7832ce34-e1a8-463a-aef4-e737c7174ef2', paths: ['/inventory'] }]);
    expect(inventory.plugins).toEqual([{ name: 'correlation-id', instance_name: 'corr-1', config: { header_name: 'X-Req' } }]);
    walk(doc.services[2], (k) => expect(k).not.toBe('id'));
  });

  it('puts multi-scope and global plugins at the top level, scope written by name', () => {
    expect(doc.plugins).toEqual([
      { name: 'jwt', config: { claims_to_verify: ['exp', 'nbf'] }, tags: ['pci'], route: 'billing-api', service: 'billing' },
      { name: 'rate-limiting', config: { minute: 100 }, tags: ['team-a'] },
    ]);
  });

  it('nests credentials and consumer plugins under the consumer, in decK’s key names', () => {
    const alice = doc.consumers[0];
    expect(Object.keys(alice)).toEqual(['username', 'custom_id', 'tags', 'plugins', 'keyauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'basicauth_credentials', 'acls']);
    expect(alice.plugins).toEqual([{ name: 'rate-limiting', config: { second: 5 }, tags: ['team-a'] }]);
    expect(alice.keyauth_credentials).toEqual([{ key: 'alice-secret-key', tags: ['team-a'] }]);
    expect(alice.jwt_secrets).toEqual([{ key: 'alice-iss', secret: 'shh', tags: ['team-a'] }]);
    expect(alice.acls).toEqual([{ group: 'admins', tags: ['team-a'] }]);
    expect(doc.consumers[1]).toEqual({ username: 'bob', tags: ['team-b'] });
  });

  it('never writes the hashed basic-auth password back, and says why', () => {
    expect(doc.consumers[0].basicauth_credentials).toEqual([{ username: 'alice-basic', tags: ['team-a'] }]);
    expect(text).not.toContain('d18e8c2fc9190055bf43567ad5201751c703ba36');
    expect(text).toMatch(/^# basic-auth passwords are write-only and were left out/m);
    expect(text).toContain('basicauth_credentials:\n  # password omitted: Kong stores only a hash (write-only); add `password:` here to set it\n  - username: alice-basic');
  });

  it('nests targets under their upstream, sorted, with default weights and healthchecks dropped', () => {
    expect(doc.upstreams).toEqual([
      {
        name: 'orders-up',
        tags: ['team-a'],
        targets: [
          { target: '10.0.0.1:8000', tags: ['team-a'] },
          { target: '[0000:0000:0000:0000:0000:0000:0000:0001]:8080', weight: 50 },
          { target: 'orders.internal:9000' },
        ],
      },
    ]);
  });

  it('writes no nulls, timestamps or foreign-key objects', () => {
    walk(doc, (k, v) => {
      expect(v).not.toBeNull();
      expect(['created_at', 'updated_at']).not.toContain(k);
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).join() === 'id') throw new Error(`foreign key object under ${k}`);
    });
  });

  it('is byte-identical whatever order the entities arrive in', () => {
    const reversed: State = { entities: [...recorded.entities].reverse() };
    expect(renderDump(reversed, schemas, plain)).toBe(text);
    const raw = recordedLists();
    const shuffled = Object.fromEntries(Object.entries(raw).map(([k, l]) => [k, [...(l ?? [])].reverse()]));
    expect(renderDump(buildCurrentState(shuffled), schemas, plain)).toBe(text);
  });
});

describe('renderDump options', () => {
  it('keeps defaults and nulls with withDefaults', () => {
    const doc = parse(renderDump(recorded, schemas, { withDefaults: true, selectTags: [] }));
    const orders = doc.services[2];
    expect(orders).toMatchObject({ protocol: 'http', retries: 5, connect_timeout: 60000, enabled: true, tls_verify: null });
    expect(orders.routes[0]).toMatchObject({ strip_path: true, protocols: ['http', 'https'], hosts: null });
    expect(doc.plugins[1].config).toMatchObject({ minute: 100, policy: 'local', limit_by: 'consumer' });
    // Still no hashed password.
    expect(doc.consumers[0].basicauth_credentials[0]).not.toHaveProperty('password');
  });

  it('records select tags in _info and removes them from each entity’s tags', () => {
    const state = buildCurrentState({ service: listData('111'), route: listData('106').filter((r) => r.name === 'billing-api') });
    const doc = parse(renderDump(state, schemas, { withDefaults: false, selectTags: ['team-a'] }));
    expect(doc._info).toEqual({ select_tags: ['team-a'] });
    expect(doc.services[0].tags).toEqual(['pci']);
    expect(doc.services[0].routes[0].tags).toEqual(['pci']);

    const both = parse(renderDump(state, schemas, { withDefaults: false, selectTags: ['team-a', 'pci'] }));
    expect(both._info).toEqual({ select_tags: ['team-a', 'pci'] });
    expect(both.services[0]).not.toHaveProperty('tags');
  });
});

describe('renderDump placement rules', () => {
  const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

  it('nests snis under certificates (ids kept) and writes client certificates by id as decK does', () => {
    const state = buildCurrentState({
      certificate: [{ id: 'c1', cert: CERT, key: 'KEY', cert_alt: null, key_alt: null, tags: null, created_at: 1 }],
      ca_certificate: [{ id: 'ca1', cert: CERT, cert_digest: 'abc', tags: null, created_at: 1 }],
      sni: [
        { id: 's2', name: 'b.example.com', certificate: { id: 'c1' }, tags: null, created_at: 1 },
        { id: 's1', name: 'a.example.com', certificate: { id: 'c1' }, tags: null, created_at: 1 },
      ],
      service: [{ ...listData('103')[2], client_certificate: { id: 'c1' } }],
      upstream: [{ ...listData('110')[0], client_certificate: { id: 'c1' } }],
    });
    const text = renderDump(state, schemas, plain);
    const doc = parse(text);
    expect(doc.certificates).toEqual([{ id: 'c1', cert: CERT, key: 'KEY', snis: [{ name: 'a.example.com' }, { name: 'b.example.com' }] }]);
    expect(doc.ca_certificates).toEqual([{ id: 'ca1', cert: CERT, cert_digest: 'abc' }]);
    expect(doc.services[0].client_certificate).toBe('c1');
    expect(doc.upstreams[0].client_certificate).toEqual({ id: 'c1' });
    // PEM stays a readable block.
    expect(text).toContain('cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB');
  });

  it('puts a service-less route at the top level with its plugins nested under it', () => {
    const route: Record<string, unknown> = { ...listData('106')[1], name: 'lonely', service: null };
    const plugin = { ...listData('107').find((p) => p.name === 'cors')!, route: { id: route.id } };
    const doc = parse(renderDump(buildCurrentState({ route: [route], plugin: [plugin] }), schemas, plain));
    expect(doc.routes).toHaveLength(1);
    expect(doc.routes[0].name).toBe('lonely');
    expect(doc.routes[0].plugins.map((p: any) => p.name)).toEqual(['cors']);
    expect(doc).not.toHaveProperty('plugins');
    expect(doc.routes[0]).not.toHaveProperty('service');
  });

  it('writes references to entities outside the dump (select tags) by id, at the top level', () => {
    const route = listData('106').find((r) => r.name === 'orders-api')!;
    const plugin = listData('107').find((p) => p.name === 'cors')!;
    // The route's service is not in the state; the plugin's route is.
    const doc = parse(renderDump(buildCurrentState({ route: [route], plugin: [plugin] }), schemas, plain));
    expect(doc.routes[0].service).toEqual({ id: '675a0b3b-6d3a-4e1b-81d3-f2143684c19f' });
    expect(doc.routes[0].plugins[0].name).toBe('cors');

    const onlyPlugin = parse(renderDump(buildCurrentState({ plugin: [plugin] }), schemas, plain));
    expect(onlyPlugin.plugins[0]).toMatchObject({ name: 'cors', route: 'a709b6a1-f146-4c8b-afe6-d55f3f996641' });
  });

  it('puts a consumer+service plugin at the top level with both names', () => {
    const plugin = { ...listData('107').find((p) => p.name === 'key-auth')!, name: 'rate-limiting', config: { minute: 7 }, consumer: { id: '273afe00-483b-4cf8-8c62-bb953b5b81bf' } };
    const doc = parse(renderDump(buildCurrentState({ service: listData('103'), consumer: listData('109'), plugin: [plugin] }), schemas, plain));
    expect(doc.plugins).toEqual([{ name: 'rate-limiting', config: { minute: 7 }, tags: ['team-a'], consumer: 'alice', service: 'orders' }]);
  });

  it('refers to a consumer without username by custom_id, and to an unnamed service by the id it keeps', () => {
    const consumer = { id: 'c-9', username: null, custom_id: 'crm-42', tags: null };
    const service = { ...listData('103')[0], id: 's-9', name: null };
    const plugin = { ...listData('107').find((p) => p.name === 'key-auth')!, service: { id: 's-9' }, consumer: { id: 'c-9' }, tags: null };
    const doc = parse(renderDump(buildCurrentState({ consumer: [consumer], service: [service], plugin: [plugin] }), schemas, plain));
    expect(doc.consumers).toEqual([{ custom_id: 'crm-42' }]);
    expect(doc.services[0].id).toBe('s-9');
    expect(doc.plugins).toEqual([{ name: 'key-auth', consumer: 'crm-42', service: 's-9' }]);
  });

  it('leaves out credentials whose consumer is outside the dump, with a warning comment', () => {
    const state = buildCurrentState({ keyauth_credential: listData('079') });
    const { content, warnings } = buildDumpContent(state, schemas, plain);
    expect(content).toEqual({ _format_version: '3.0' });
    expect(warnings).toEqual(['key-auth credential of #273afe00-483b-4cf8-8c62-bb953b5b81bf #9e28efaa left out: its consumer is not in this dump']);
    expect(renderDump(state, schemas, plain)).toMatch(/^# warning: key-auth credential of .* left out: its consumer is not in this dump$/m);
    // JSON has no comments: the same notes come back for stderr.
    expect(renderDumpJson(state, schemas, plain)).toEqual({
      text: '{\n  "_format_version": "3.0"\n}\n',
      notes: ['warning: key-auth credential of #273afe00-483b-4cf8-8c62-bb953b5b81bf #9e28efaa left out: its consumer is not in this dump'],
    });
  });

  it('says at the top how many plugins scoped to a consumer group it leaves out (fetch does not read them)', () => {
    const opts = { ...plain, groupPlugins: 2 };
    const lines = [
      '2 plugins scoped to a consumer group (Kong Enterprise) are not in this file:',
      'kong-ctl does not manage consumer groups, and diff and apply leave such plugins alone',
    ];
    expect(renderDump({ entities: [] }, schemas, opts)).toBe(`${lines.map((l) => `# ${l}`).join('\n')}\n\n_format_version: "3.0"\n`);
    expect(renderDumpJson({ entities: [] }, schemas, opts).notes).toEqual(lines);
  });

  it('renders an empty gateway as just the format version', () => {
    expect(renderDump({ entities: [] }, schemas, plain)).toBe('_format_version: "3.0"\n');
  });
});
