/**
 * decK's state builder tests (go-database-reconciler pkg/file/builder_test.go) about ids: an
 * entity the file writes without an id takes the id of the live entity it matches (by name, by
 * username, by its certificate, by kid, by scope…), or a new one; an id the file gives is kept.
 * decK's builder does that on the file's way in; kong-ctl matches when it plans, so each case
 * sets up decK's `currentState` in the Admin API simulator (test/fixtures/deck-builder/existing,
 * applied first) and applies the case's file with `kong-ctl apply`: the simulator must then hold
 * decK's expected raw state, projected onto the fields it names. Where decK generates an id, any
 * UUID will do. README in test/fixtures/deck-builder: every case, what was normalised and why.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { simSession } from '../commands/sim-session';
import { ANY_ID, builderLive } from './deck-builder-run';

const session = simSession('kong-ctl-deck-builder-');
const { existing, apply, expectTable } = builderLive(session);
const rows = (table: string) => session.sim().store.all(table);
/** The id Kong gave the entity of `table` with this name (or username). */
const idOf = (table: string, name: string) => String(rows(table).find((r) => r.name === name || r.username === name)?.id);

const UUID_4BFC = '4bfcb11f-c962-4817-83e5-9433cf20b663';

/** decK's kongDefaults (builder_test.go), which these cases put in `_info.defaults`. */
const serviceDefaults = { protocol: 'http', connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000 };
const routeDefaults = { preserve_host: false, regex_priority: 0, strip_path: false, protocols: ['http', 'https'] };
function upstreamDefaults(slots = 10000, concurrency = 10) {
  return {
    slots,
    healthchecks: {
      active: {
        concurrency,
        healthy: { http_statuses: [200, 302], interval: 0, successes: 0 },
        http_path: '/',
        type: 'http',
        timeout: 1,
        unhealthy: { http_failures: 0, tcp_failures: 0, timeouts: 0, interval: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505] },
      },
      passive: {
        healthy: { http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308], successes: 0 },
        unhealthy: { http_failures: 0, tcp_failures: 0, timeouts: 0, http_statuses: [429, 500, 503] },
      },
    },
    hash_on: 'none',
    hash_fallback: 'none',
    hash_on_cookie_path: '/',
  };
}

describe('decK builder: Test_stateBuilder_services (select tag tag1)', () => {
  // decK's live service has no tags; kong-ctl reads only the live entities carrying the select
  // tags (as decK's sync does), so the one to match carries tag1 here.
  it('matches ID of an existing service', async () => {
    await existing('service-state-tag1.yaml');
    await apply('services/service-foo.yaml');
    expectTable('services', [{ id: UUID_4BFC, name: 'foo', ...serviceDefaults, tags: ['tag1'] }]);
  });

  it('process a non-existent service', async () => {
    await apply('services/service-foo.yaml');
    expectTable('services', [{ id: ANY_ID, name: 'foo', ...serviceDefaults, tags: ['tag1'] }]);
  });
});

describe('decK builder: Test_stateBuilder_ingestRoute', () => {
  it('generates ID for a non-existing route', async () => {
    await apply('ingest-route/route-foo.yaml');
    expectTable('routes', [{ id: ANY_ID, name: 'foo', ...routeDefaults }]);
  });

  it('matches up IDs of routes correctly', async () => {
    await existing('route-state.yaml');
    await apply('ingest-route/route-foo.yaml');
    expectTable('routes', [{ id: UUID_4BFC, name: 'foo', ...routeDefaults }]);
  });

  // Without decK's test defaults (strip_path false), which would make the case trivial: the
  // node's defaults give the rest, the gRPC route subschema strip_path false.
  it('grpc route has strip_path=false', async () => {
    await existing('route-state.yaml');
    await apply('ingest-route/grpc-route-foo.yaml');
    expectTable('routes', [{ id: UUID_4BFC, name: 'foo', ...routeDefaults, protocols: ['grpc'] }]);
  });
});

describe('decK builder: Test_stateBuilder_ingestTargets', () => {
  // decK keeps a name target as written; Kong stores it with its port (8000 when none).
  it('generates ID for a non-existing target', async () => {
    await apply('ingest-targets/generates-id.yaml');
    expectTable('targets', [{ id: ANY_ID, target: 'foo:8000', weight: 100, upstream: { id: '952ddf37-e815-40b6-b119-5379a3b1f7be' } }]);
  });

  it('matches up IDs of Targets correctly', async () => {
    await existing('targets-state.yaml');
    await apply('ingest-targets/matches-ids.yaml');
    expectTable('targets', [
      { id: 'f7e64af5-e438-4a9b-8ff8-ec6f5f06dccb', target: 'bar:8000', weight: 100, upstream: { id: 'f77ca8c7-581d-45a4-a42c-c003234228e1' } },
      { id: '53ce0a9c-d518-40ee-b8ab-1ee83a20d382', target: 'foo:8000', weight: 100, upstream: { id: '700bc504-b2b1-4abd-bd38-cec92779659e' } },
    ]);
  });

  for (const [name, file, target] of [
    ['expands IPv6 address and port correctly', 'ipv6-address-and-port', '[2001:0db8:fd73:0000:0000:0000:0000:000e]:1326'],
    ['expands IPv6 address correctly', 'ipv6-address', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
    ['expands IPv6 address with square brackets correctly', 'ipv6-address-in-brackets', '[0000:0000:0000:0000:0000:0000:0000:0001]:8000'],
  ] as const) {
    it(name, async () => {
      await apply(`ingest-targets/${file}.yaml`);
      const upstream = { id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890' };
      expectTable('targets', [{ id: 'd6e7f8a9-bcde-1234-5678-9abcdef01234', target, weight: 100, upstream }]);
    });
  }
});

describe('decK builder: Test_stateBuilder_ingestPlugins', () => {
  // decK's plugins are named foo and bar, which no Kong has: correlation-id and
  // request-size-limiting stand for them (no config required, any scope).
  it('generates ID for a non-existing plugin', async () => {
    await apply('ingest-plugins/generates-id.yaml');
    expectTable('plugins', [{ id: ANY_ID, name: 'correlation-id', config: {} }]);
  });

  // decK's third live plugin is also scoped to a consumer group, which kong-ctl does not manage.
  it('matches up IDs of plugins correctly', async () => {
    await existing('plugin-state.yaml');
    await apply('ingest-plugins/matches-ids.yaml');
    const consumer = { id: 'f77ca8c7-581d-45a4-a42c-c003234228e1' };
    expectTable('plugins', [
      { id: UUID_4BFC, name: 'correlation-id', config: {}, consumer: null, route: null },
      { id: 'f7e64af5-e438-4a9b-8ff8-ec6f5f06dccb', name: 'request-size-limiting', config: {}, consumer, route: null },
      { id: '53ce0a9c-d518-40ee-b8ab-1ee83a20d382', name: 'correlation-id', config: {}, consumer, route: { id: '700bc504-b2b1-4abd-bd38-cec92779659e' } },
    ]);
  });
});

describe('decK builder: Test_pluginRelations', () => {
  // decK falls back to a reference's UUID when the entity is not in its state, as its partial
  // apply (`deck gateway apply`) reads the live ones; kong-ctl's counterpart is --no-deletes, with
  // which a reference may name any live entity in scope. (decK's consumer group part is left out.)
  it('valid UUID for external entity (not in state) - returns UUID (fallback)', async () => {
    await existing('external-entities.yaml');
    await apply('plugin-relations/external-entities.yaml', '--no-deletes');
    expectTable('plugins', [
      {
        name: 'correlation-id',
        consumer: { id: '8ca63651-4068-4baa-b2b9-08dc99c29666' },
        route: { id: '9ca63651-4068-4baa-b2b9-08dc99c29777' },
        service: { id: 'aca63651-4068-4baa-b2b9-08dc99c29888' },
      },
    ]);
    expectTable('services', [{ id: 'aca63651-4068-4baa-b2b9-08dc99c29888' }]);
  });
});

describe('decK builder: Test_stateBuilder_consumers', () => {
  const CREDS = ['keyauth_credentials', 'basicauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'oauth2_credentials', 'acls'];
  /** decK's credentials of consumer foo; Kong keeps a basic-auth password as sha1(password .. consumer id). */
  function expectCredentials(consumerId: string, ids: Record<string, unknown>, key: string): void {
    const consumer = { id: consumerId };
    const password = createHash('sha1').update(`basic-password${consumerId}`).digest('hex');
    expectTable('keyauth_credentials', [{ id: ids.keyauth_credentials, key, consumer }]);
    expectTable('basicauth_credentials', [{ id: ids.basicauth_credentials, username: 'basic-username', password, consumer }]);
    expectTable('hmacauth_credentials', [{ id: ids.hmacauth_credentials, username: 'hmac-username', secret: 'hmac-secret', consumer }]);
    expectTable('jwt_secrets', [{ id: ids.jwt_secrets, key: 'jwt-key', secret: 'jwt-secret', consumer }]);
    expectTable('oauth2_credentials', [{ id: ids.oauth2_credentials, client_id: 'oauth2-clientid', name: 'oauth2-name', consumer }]);
    expectTable('acls', [{ id: ids.acls, group: 'foo-group', consumer }]);
  }

  it('generates ID for a non-existing consumer', async () => {
    await apply('consumers/consumer-foo.yaml');
    expectTable('consumers', [{ id: ANY_ID, username: 'foo' }]);
  });

  it('generates ID for a non-existing credential', async () => {
    await apply('consumers/credentials.yaml');
    expectTable('consumers', [{ id: ANY_ID, username: 'foo' }]);
    expectCredentials(idOf('consumers', 'foo'), Object.fromEntries(CREDS.map((t) => [t, ANY_ID])), 'foo-key');
  });

  // decK's expected state holds the consumer alone: a sync deletes the credentials the file drops.
  it('matches ID of an existing consumer', async () => {
    await existing('consumer-cred-state.yaml');
    await apply('consumers/consumer-foo.yaml');
    expectTable('consumers', [{ id: UUID_4BFC, username: 'foo' }]);
    for (const t of CREDS) expectTable(t, []);
  });

  // decK's file also has an mTLS credential, an Enterprise plugin's: deck-builder.test.ts checks
  // kong-ctl's refusal of it; the rest is here.
  it('matches ID of an existing credential', async () => {
    await existing('consumer-cred-state.yaml');
    await apply('consumers/existing-credentials.yaml');
    expectTable('consumers', [{ id: UUID_4BFC, username: 'foo' }]);
    expectCredentials(
      UUID_4BFC,
      {
        keyauth_credentials: '5f1ef1ea-a2a5-4a1b-adbb-b0d3434013e5',
        basicauth_credentials: '92f4c849-960b-43af-aad3-f307051408d3',
        hmacauth_credentials: 'e5d81b73-bf9e-42b0-9d68-30a1d791b9c9',
        jwt_secrets: '917b9402-1be0-49d2-b482-ca4dccc2054e',
        oauth2_credentials: '4eef5285-3d6a-4f6b-b659-8957a940e2ca',
        acls: 'b7c9352a-775a-4ba5-9869-98e926a3e6cb',
      },
      'foo-apikey',
    );
  });
});

describe('decK builder: Test_stateBuilder_certificates and Test_stateBuilder_caCertificates', () => {
  // decK's certificate is "foo" with key "bar"; Kong takes only PEM, so a real pair stands for them.
  const certificate = (id: unknown) => ({ id, cert: expect.stringContaining('BEGIN CERTIFICATE'), key: expect.stringContaining('BEGIN PRIVATE KEY') });
  const snis = (foo: unknown, bar: unknown) => [
    { id: foo, name: 'foo.example.com', certificate: { id: UUID_4BFC } },
    { id: bar, name: 'bar.example.com', certificate: { id: UUID_4BFC } },
  ];

  it('generates ID for a non-existing certificate', async () => {
    await apply('certificates/certificate.yaml');
    expectTable('certificates', [certificate(ANY_ID)]);
  });

  it('matches ID of an existing certificate', async () => {
    await existing('certificate-state.yaml');
    await apply('certificates/certificate.yaml');
    expectTable('certificates', [certificate(UUID_4BFC)]);
  });

  it('generates ID for SNIs', async () => {
    await existing('certificate-state.yaml');
    await apply('certificates/certificate-snis.yaml');
    expectTable('certificates', [certificate(UUID_4BFC)]);
    expectTable('snis', snis(ANY_ID, ANY_ID));
  });

  it('matches ID for SNIs', async () => {
    await existing('certificate-and-sni-state.yaml');
    await apply('certificates/certificate-snis.yaml');
    expectTable('certificates', [certificate(UUID_4BFC)]);
    expectTable('snis', snis('a53e9598-3a5e-4c12-a672-71a4cdcf7a47', '5f8e6848-4cb9-479a-a27e-860e1a77f875'));
  });

  it('generates ID for a non-existing CACertificate', async () => {
    await apply('ca-certificates/ca-certificate.yaml');
    expectTable('ca_certificates', [{ id: ANY_ID, cert: expect.stringContaining('BEGIN CERTIFICATE') }]);
  });

  it('matches ID of an existing CACertificate', async () => {
    await existing('ca-certificate-state.yaml');
    await apply('ca-certificates/ca-certificate.yaml');
    expectTable('ca_certificates', [{ id: UUID_4BFC, cert: expect.stringContaining('BEGIN CERTIFICATE') }]);
  });
});

describe('decK builder: Test_stateBuilder_upstream', () => {
  // decK's live state has an unrelated service foo: absent from its expected state, a sync deletes it.
  it('process a non-existent upstream', async () => {
    await existing('service-state.yaml');
    await apply('upstream/non-existent-upstream.yaml');
    expectTable('upstreams', [{ id: ANY_ID, name: 'foo', ...upstreamDefaults(42) }]);
    expectTable('services', []);
  });

  it('matches ID of an existing upstream (decK names it "matches ID of an existing service")', async () => {
    await existing('upstream-state.yaml');
    await apply('upstream/upstream-foo.yaml');
    expectTable('upstreams', [{ id: UUID_4BFC, name: 'foo', ...upstreamDefaults() }]);
  });

  it('multiple upstreams are handled correctly', async () => {
    await apply('upstream/multiple-upstreams.yaml');
    expectTable('upstreams', [
      { id: ANY_ID, name: 'foo', ...upstreamDefaults() },
      { id: ANY_ID, name: 'bar', ...upstreamDefaults() },
    ]);
  });
});

/**
 * decK's builder fills defaults per Kong version (3.6 and 3.7 here); kong-ctl takes them from the
 * node's /schemas, so the four cases are the same to it: the files' `_info.defaults`, then the
 * simulated node's (Kong 3.4's) for what they leave out.
 */
describe('decK builder: Test_stateBuilder_kong370 and Test_stateBuilder_kong360', () => {
  function expectEndToEnd(service: Record<string, unknown>, route: Record<string, unknown>, upstream: Record<string, unknown>): void {
    expectTable('services', ['foo-service', 'bar-service', 'large-payload-service'].map((name) => ({ id: ANY_ID, name, ...service })));
    const of = (svc: string) => ({ service: { id: idOf('services', svc) } });
    expectTable('routes', [
      { id: ANY_ID, name: 'foo-route1', ...route, ...of('foo-service') },
      { id: 'd125e79a-297c-414b-bc00-ad3a87be6c2b', name: 'foo-route2', ...route, ...of('foo-service') },
      { id: ANY_ID, name: 'bar-route1', ...route, ...of('bar-service') },
      { id: ANY_ID, name: 'bar-route2', ...route, ...of('bar-service') },
      { id: ANY_ID, name: 'dont-buffer-these', ...route, ...of('large-payload-service'), request_buffering: false, response_buffering: false },
      { id: ANY_ID, name: 'buffer-these', ...route, ...of('large-payload-service'), request_buffering: true, response_buffering: true },
    ]);
    expectTable('upstreams', [{ id: ANY_ID, name: 'foo', ...upstream }]);
  }

  for (const version of ['v3.7.0', 'v3.6.0']) {
    it(`end to end test with all entities with kong version ${version}`, async () => {
      await existing('service-state.yaml');
      await apply('kong-versions/end-to-end.yaml');
      expectEndToEnd(serviceDefaults, routeDefaults, upstreamDefaults(42));
    });
  }

  const configured = { protocol: 'https', connect_timeout: 5000, write_timeout: 5000, read_timeout: 5000 };
  it('entities with configurable defaults with kong version v3.7.0', async () => {
    await existing('service-state.yaml');
    await apply('kong-versions/configurable-defaults-3.7.yaml');
    expectEndToEnd(configured, { ...routeDefaults, request_buffering: false, path_handling: 'v0' }, upstreamDefaults(42, 5));
  });

  it('entities with configurable defaults kong version v3.6.0', async () => {
    await existing('service-state.yaml');
    await apply('kong-versions/configurable-defaults-3.6.yaml');
    expectEndToEnd(configured, { ...routeDefaults, request_buffering: false }, upstreamDefaults(42, 5));
  });
});

describe('decK builder: Test_stateBuilder_keys and Test_stateBuilder_keySets', () => {
  it('matches ID for an existing key', async () => {
    await existing('key-state.yaml');
    await apply('keys/key-foo.yaml');
    expectTable('keys', [{ id: '538c7f96-b164-4f1b-97bb-9f4bb472e89f', name: 'foo', kid: 'vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4', jwk: expect.stringContaining('"kty":"RSA"') }]);
  });

  it('matches ID for an existing keyset', async () => {
    await existing('key-set-state.yaml');
    await apply('key-sets/existing-set.yaml');
    expectTable('key_sets', [{ id: '538c7f96-b164-4f1b-97bb-9f4bb472e89f', name: 'existing-set' }]);
  });
});
