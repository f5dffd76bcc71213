/**
 * decK's state builder tests (go-database-reconciler pkg/file/builder_test.go), the cases about
 * what a file means: nesting, references by name or id, `_info.defaults`, `_plugin_configs`,
 * targets, routes' strip_path, and the builder's errors. Each case's input is a decK file under
 * test/fixtures/deck-builder (README there: every case, the reference's commit, what was
 * normalised and why, the cases not ported); its expectation is decK's expected raw state,
 * compared with what kong-ctl loads: the fields the file set, references as the keys of the
 * entities they name. decK's builder also writes ids and Kong's defaults into its raw state;
 * kong-ctl leaves both to apply and to the node's /schemas, so those are not compared here
 * (the cases about ids run against the simulator, deck-builder-live.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { withLaterFields } from '../../../cli/src/desired/kong-later-fields';
import { validateDesired } from '../../../cli/src/desired/validate';
import { prepareDesired } from '../../../cli/src/diff/normalize';
import type { EntitySchema, Schemas } from '../../../cli/src/model/schema';
import { entitySchemas, pluginSchemas, vaultSchemas } from '../kong/fixtures';
import { loaded } from './deck-builder-run';

/** The recorded Kong 3.4.2 node's schemas, its routes schema replaced by `route` when given. */
function nodeSchemas(route?: EntitySchema): Schemas {
  const entities = entitySchemas();
  return { entities: route ? { ...entities, route } : entities, plugins: pluginSchemas(), vaults: vaultSchemas() };
}

const plugin = (o: Record<string, unknown>) => ({ key: 'plugin:rate-limiting@global', fields: { name: 'rate-limiting', ...o } });

describe('decK builder: Test_stateBuilder_fillPluginConfig', () => {
  // decK's cases name no plugin; a plugin needs one. Their config keys are made up, so only the
  // loaded config is compared: validation then says, as a node would, that rate-limiting has no k1.
  it('no _plugin_config throws an error', async () => {
    const { problems } = await loaded('fill-plugin-config/no-plugin-configs.yaml');
    expect(problems).toEqual(["plugins[0]: _config: no _plugin_configs named 'foo'"]);
  });

  it('fills the top-level keys the plugin leaves unset; its own win (the second "no _plugin_config throws an error")', async () => {
    const { entities } = await loaded('fill-plugin-config/fills-unset-keys.yaml');
    expect(entities).toEqual([plugin({ config: { k1: 'v1', k2: 'v2', 'k3:': 'v3' } })]);
  });

  it('nested object in plugin_config fills missing nested keys', async () => {
    const { entities } = await loaded('fill-plugin-config/nested-fills-missing-nested-keys.yaml');
    expect(entities).toEqual([plugin({ config: { redis: { host: 'override.example.com', port: 6379, password: 'secret' } } })]);
  });

  it('deeply nested object: plugin values win at every level', async () => {
    const { entities } = await loaded('fill-plugin-config/deeply-nested-plugin-wins.yaml');
    expect(entities).toEqual([plugin({ config: { level1: { level2: { a: 'from-plugin', b: 'from-config' }, other: 'from-config' } } })]);
  });

  it('top-level keys missing in plugin are filled from config-source alongside nested merge', async () => {
    const { entities } = await loaded('fill-plugin-config/top-level-and-nested.yaml');
    expect(entities).toEqual([plugin({ config: { redis: { host: 'override.example.com', port: 6379 }, limit: 100 } })]);
  });
});

describe('decK builder: Test_stateBuilder_plugins', () => {
  // kong-ctl does not manage consumer groups (README): a plugin scoped to one is refused, said as
  // such, rather than left to a node whose schema knows the field (a Kong Enterprise one).
  it('processes plugin with consumer group reference: refused, the plugin and not just its key', async () => {
    const { problems } = await loaded('plugins/consumer-group-reference.yaml');
    expect(problems).toEqual([
      'plugins[0]: consumer_group: kong-ctl does not manage plugins scoped to a consumer group (a Kong Enterprise entity): remove this plugin from the file, not just this key, without which it would apply more widely',
    ]);
  });
});

describe('decK builder: Test_stateBuilder_ingestTargets, the invalid ones', () => {
  // decK fails on the IPv6 it cannot expand; kong-ctl refuses what Kong's own check refuses.
  for (const [file, target] of [
    ['invalid-ipv6-address-and-port', '[invalid:ipv6::address]:1326'],
    ['invalid-ipv6-four-groups', '1:2:3:4'],
    ['invalid-ipv6-not-hex', 'this:is:nuts:!'],
  ]) {
    it(`handles invalid IPv6 address correctly (${target})`, async () => {
      const { problems } = await loaded(`ingest-targets/${file}.yaml`);
      expect(problems).toEqual([`upstreams[0].targets[0]: target: Invalid target ('${target}'); not a valid hostname or ip address`]);
    });
  }

  it('the valid ones take the key of their expanded form (the simulator holds it: deck-builder-live.test.ts)', async () => {
    const { entities, problems } = await loaded('ingest-targets/ipv6-address.yaml');
    expect(problems).toEqual([]);
    expect(entities.map((e) => e.key)).toEqual(['upstream:up', 'target:up/[0000:0000:0000:0000:0000:0000:0000:0001]:8000']);
  });
});

describe('decK builder: Test_pluginRelations', () => {
  it('empty plugin - no relations', async () => {
    const { entities, problems } = await loaded('ingest-plugins/generates-id.yaml');
    expect(problems).toEqual([]);
    expect(entities).toEqual([{ key: 'plugin:correlation-id@global', fields: { name: 'correlation-id' } }]);
  });

  // decK's ids are cID, rID, sID and cgID: kong-ctl takes UUIDs only, and no consumer group.
  it('entities exist in state - returns IDs (each reference by id, as the key of the entity it names)', async () => {
    const { entities, problems } = await loaded('plugin-relations/every-relation.yaml');
    expect(problems).toEqual([]);
    expect(entities.find((e) => e.key.startsWith('plugin:'))).toEqual({
      key: 'plugin:correlation-id@service=s,route=r,consumer=c',
      fields: { name: 'correlation-id' },
      refs: { service: 'service:s', route: 'route:r', consumer: 'consumer:c' },
    });
  });
});

describe('decK builder: Test_stateBuilder_consumers, the mTLS credential', () => {
  // The rest of "matches ID of an existing credential" runs against the simulator.
  it('matches ID of an existing credential: its mtls_auth_credentials are refused, said as such', async () => {
    const { problems } = await loaded('consumers/existing-credentials-mtls.yaml');
    expect(problems).toEqual([
      'consumers[0]: mtls_auth_credentials: kong-ctl does not manage mTLS credentials (a Kong Enterprise plugin): remove this key from the file (kong-ctl neither reads nor writes them)',
    ]);
  });
});

describe('decK builder: Test_stateBuilder_upstream, upstream with new 3.0 fields', () => {
  // "not actually valid configuration" (decK's own comment): the fields are the file's, and
  // kong-ctl refuses what Kong's upstream entity checks refuse.
  it('the fields are carried as written; validation says what Kong would', async () => {
    const { entities, problems } = await loaded('upstream/new-3.0-fields.yaml');
    expect(entities).toEqual([
      {
        key: 'upstream:foo',
        fields: expect.objectContaining({ name: 'foo', slots: 42, hash_on_query_arg: 'foo', hash_fallback_query_arg: 'foo', hash_on_uri_capture: 'foo', hash_fallback_uri_capture: 'foo', hash_on: 'none' }),
      },
    ]);
    expect(problems).toEqual([
      "upstreams[0]: values of these fields must be distinct: 'hash_on_query_arg', 'hash_fallback_query_arg'",
      "upstreams[0]: values of these fields must be distinct: 'hash_on_uri_capture', 'hash_fallback_uri_capture'",
    ]);
  });
});

/**
 * decK sets a route's strip_path while it builds; kong-ctl when it prepares the write from the
 * node's schema (diff/normalize.ts, what apply sends): compared there, against Kong 3.4's schema.
 */
describe('decK builder: Test_getStripPathBasedOnProtocols', () => {
  for (const [name, file] of [
    ['true strip_path and grpc protocols', 'true-grpc'],
    ['true strip_path and grpcs protocol', 'true-grpcs'],
  ]) {
    it(name, async () => {
      const { problems } = await loaded(`strip-path/${file}.yaml`);
      expect(problems).toEqual(["routes[0]: strip_path: cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'"]);
    });
  }

  // decK leaves it unset (nil), for Kong's default: the file's route has none, the write Kong's.
  for (const [name, file, stripPath] of [
    ['no strip_path and http protocol', 'none-http', true],
    ['no strip_path and grpc protocol', 'none-grpc', false],
    ['no strip_path and grpcs protocol', 'none-grpcs', false],
    ['false strip_path and grpc protocol', 'false-grpc', false],
  ] as const) {
    it(name, async () => {
      const { result, problems } = await loaded(`strip-path/${file}.yaml`);
      expect(problems).toEqual([]);
      const route = result.state.entities[0];
      expect(route.fields.strip_path).toBe(file.startsWith('false') ? false : undefined);
      expect(prepareDesired(route, nodeSchemas()).entity.fields.strip_path).toBe(stripPath);
    });
  }
});

/**
 * Expression routes: Kong's routes under router_flavor = expressions have no regex_priority nor
 * path_handling before 3.7 (kong/db/schema/entities/routes.lua), both since. decK drops them
 * from expression routes for an older Kong; kong-ctl sends what the node's schema has, and checks
 * `_info.defaults` against it too. The 3.6 schema here is the recorded 3.4 one as that flavour
 * serves it (no traditional matching fields, `expression` and `priority` added); the 3.7 one
 * adds those two to the traditional fields.
 */
describe('decK builder: Test_stateBuilder_expressionRoutes_kong360 and _kong370', () => {
  const TRADITIONAL = new Set(['methods', 'hosts', 'paths', 'headers', 'snis', 'sources', 'destinations', 'regex_priority', 'path_handling']);
  const recorded = () => entitySchemas().route as EntitySchema;
  const expressions36 = (): EntitySchema => ({
    ...recorded(),
    fields: [
      ...recorded().fields.filter((f) => !TRADITIONAL.has(Object.keys(f)[0]!)),
      { expression: { type: 'string', required: true } },
      { priority: { type: 'integer', required: true, default: 0 } },
    ],
    entity_checks: [],
  });
  const want = { name: 'foo', preserve_host: false, expression: `(http.path == "/test") || (http.path ^= "/test/")`, priority: 0, strip_path: false, protocols: ['http', 'https'] };

  // decK's file sets regex_priority in `_info.defaults` (its kongDefaults): a field this node's
  // routes do not have, which kong-ctl refuses at its line (docs/from-deck.md) where decK
  // drops it from the expression route.
  it('expression routes with kong version 3.6.0: the defaults naming regex_priority are refused', async () => {
    const { result } = await loaded('expression-routes/expression-route.yaml');
    const kong = { version: '3.6.0', schemas: nodeSchemas(expressions36()), routerFlavor: 'expressions' };
    expect(validateDesired(result, { kong }).map((d) => `${d.source?.path ?? ''}: ${d.message}`)).toEqual([
      ': _info.defaults.route.regex_priority: unknown field',
    ]);
  });

  it('expression routes with kong version 3.7.0', async () => {
    const { result, problems } = await loaded('expression-routes/expression-route.yaml');
    expect(problems).toEqual([]);
    const schemas = nodeSchemas(withLaterFields('route', recorded()));
    expect(validateDesired(result, { kong: { version: '3.7.0', schemas, routerFlavor: 'expressions' } })).toEqual([]);
    const sent = prepareDesired(result.state.entities[0], schemas).entity.fields;
    expect(sent).toEqual(expect.objectContaining({ ...want, regex_priority: 0 }));
  });
});

describe('decK builder: Test_stateBuilder_plugins', () => {
  // decK's case only resolves the reference; kong-ctl also checks the scope, which Kong refuses
  // for key-auth (no consumer): said as such.
  it('processes plugin with consumer reference', async () => {
    const { entities, problems } = await loaded('plugins/consumer-reference.yaml');
    expect(entities[1]).toEqual({ key: 'plugin:key-auth@consumer=foo', fields: { name: 'key-auth' }, refs: { consumer: 'consumer:foo' } });
    expect(problems).toEqual(["plugins[0]: consumer: plugin 'key-auth' cannot be applied to a consumer: Kong's schema for it refuses that scope"]);
  });

  // Without a limit, rate-limiting fails Kong 3.4's entity check: a warning offline.
  it('processes plugin with service reference', async () => {
    const { entities, problems } = await loaded('plugins/service-reference.yaml');
    expect(entities[1]).toEqual({ key: 'plugin:rate-limiting@service=foo', fields: { name: 'rate-limiting' }, refs: { service: 'service:foo' } });
    expect(problems).toEqual([]);
  });

  it('processes plugin with route reference', async () => {
    const { entities, problems } = await loaded('plugins/route-reference.yaml');
    expect(entities[1]).toEqual({ key: 'plugin:cors@route=foo', fields: { name: 'cors' }, refs: { route: 'route:foo' } });
    expect(problems).toEqual([]);
  });

  it('error when consumer not found', async () => {
    const { problems } = await loaded('plugins/consumer-not-found.yaml');
    expect(problems).toEqual([
      "plugins[0]: consumer: plugin 'key-auth' cannot be applied to a consumer: Kong's schema for it refuses that scope",
      "plugins[0]: consumer: unknown consumer 'non-existent': no consumer with this name or id in the file(s)",
    ]);
  });

  for (const kind of ['service', 'route']) {
    it(`error when ${kind} not found`, async () => {
      const { problems } = await loaded(`plugins/${kind}-not-found.yaml`);
      expect(problems).toEqual([`plugins[0]: ${kind}: unknown ${kind} 'non-existent': no ${kind} with this name or id in the file(s)`]);
    });
  }

  it('error when consumer-group not found: refused as a consumer group, whatever it names', async () => {
    const { problems } = await loaded('plugins/consumer-group-not-found.yaml');
    expect(problems).toEqual([
      'plugins[0]: consumer_group: kong-ctl does not manage plugins scoped to a consumer group (a Kong Enterprise entity): remove this plugin from the file, not just this key, without which it would apply more widely',
    ]);
  });
});

describe('decK builder: Test_stateBuilder_keys and Test_stateBuilder_keySets', () => {
  const JWK = expect.stringContaining('"kid":"vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4"');
  const PEM = { private_key: expect.stringContaining('BEGIN PRIVATE KEY'), public_key: expect.stringContaining('BEGIN PUBLIC KEY') };
  const KID = 'vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4';

  // decK's PEM pair is cut short: decK does not read key material, Kong does (typedefs.pem's
  // `validate_pem_keys`: "could not load public key", at the field `pem`), and so does kong-ctl's
  // validate. The keys load as decK builds them; the file is refused (README, docs/from-deck.md).
  const CUT_SHORT = 'keys[1]: pem: could not load public key';

  it('generates a new key from valid config passed', async () => {
    const { entities, problems } = await loaded('keys/new-keys.yaml');
    expect(problems).toEqual([CUT_SHORT]);
    expect(entities).toEqual([
      { key: `key:${KID}`, fields: { name: 'foo', kid: KID, jwk: JWK } },
      { key: 'key:my-pem-key', fields: { name: 'my-pem-key', kid: 'my-pem-key', pem: PEM } },
    ]);
  });

  it('generates a new key-set and associate it with keys from valid config passed', async () => {
    const { entities, problems } = await loaded('key-sets/new-key-set.yaml');
    expect(problems).toEqual([CUT_SHORT]);
    const set = { set: 'key_set:set-1' };
    expect(entities).toEqual([
      { key: 'key_set:set-1', fields: { name: 'set-1' } },
      { key: `key:${KID}@set=set-1`, fields: { name: 'foo', kid: KID, jwk: JWK }, refs: set },
      { key: 'key:my-pem-key@set=set-1', fields: { name: 'my-pem-key', kid: 'my-pem-key', pem: PEM }, refs: set },
    ]);
  });

  for (const [name, file] of [
    ['handles empty key entities', 'keys/empty.yaml'],
    ['handles empty key-set entities', 'key-sets/empty.yaml'],
  ]) {
    it(name, async () => {
      const { entities, problems } = await loaded(file);
      expect({ entities, problems }).toEqual({ entities: [], problems: [] });
    });
  }
});

/**
 * Consumer groups are not ported: kong-ctl does not manage them (README). Where decK's cases use
 * them, kong-ctl refuses the file, each key with its message. decK's inputs, but for the ids its
 * helper tests give as plain words, and select tags where they name lookup tags (kong-ctl needs
 * both).
 */
describe('decK builder: the consumer group cases, refused as such', () => {
  const groups = ': consumer_groups: kong-ctl does not manage consumer groups (a Kong Enterprise entity): remove this key from the file (kong-ctl neither reads nor writes them)';
  const rla = "plugins[0]: name: unknown plugin 'rate-limiting-advanced': neither bundled with Kong (up to 3.9) nor one of this project's plugins";
  for (const [name, file, problems] of [
    ['Test_stateBuilder_ConsumerGroupPolicyOverrides: set as true', 'policy-overrides-true', [': _info.consumer_group_policy_overrides: unknown field', groups, rla]],
    ['Test_stateBuilder_ConsumerGroupPolicyOverrides: set as false', 'policy-overrides-false', [groups, rla]],
    ['Test_InstanceName_ConsumerGroupPlugin', 'instance-name', [groups]],
    ['Test_stateBuilder_ingestConsumerGroupConsumer: by username, consumer lookup tags', 'member-by-username', [groups]],
    ['Test_stateBuilder_ingestConsumerGroupConsumer: by custom ID, consumer lookup tags', 'member-by-custom-id', [groups]],
    [
      'Test_stateBuilder_ingestConsumerGroupConsumer: consumer-group lookup tags',
      'member-of-looked-up-group',
      [
        ': _info.default_lookup_tags.consumer_groups: kong-ctl does not manage consumer groups (a Kong Enterprise entity): remove this key from the file (kong-ctl neither reads nor writes them)',
        'consumers[0]: groups: kong-ctl does not manage consumer group membership (Kong Enterprise): remove this key from the file (kong-ctl neither reads nor writes them)',
      ],
    ],
  ] as const) {
    it(name, async () => {
      expect((await loaded(`consumer-groups/${file}.yaml`)).problems).toEqual(problems);
    });
  }
});
