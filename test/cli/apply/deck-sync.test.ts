/**
 * decK's own integration tests of `deck gateway sync` (tests/integration/sync_test.go, Kong 3.x
 * cases), run as `kong-ctl apply` against the Admin API simulator: after each case's file(s),
 * the gateway must hold decK's expected state (compared as decK compares it, deck-sync-state.ts),
 * and applying the file again must change nothing. Files: test/fixtures/deck-sync (README there
 * lists every case, its decK source, and the cases not ported). Ids, names and consumers are in
 * deck-sync-ids.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/run-cli';
import { simSession } from '../commands/sim-session';
import { deckSync, fixture } from './deck-sync-run';
import { expectKongState } from './deck-sync-state';
import {
  basicAuthPlugin,
  consumer,
  plugin_on_entities3x,
  rateLimitingPlugin34,
  requestTermination,
  route1_20x,
  SVC1_ID,
  svc1_207,
  target,
  targetZeroWeight,
  upstream_pre311,
} from './deck-sync-expected';

const session = simSession('kong-ctl-deck-sync-');
const { sim } = session;
const { sync, syncRefused, expectIdempotent, converted } = deckSync(session);

describe('decK sync: services and routes (Test_Sync_ServicesRoutes_From_3x)', () => {
  it('creates a service (001, converted from decK kong.yaml)', async () => {
    const file = await converted(fixture('001-create-a-service/kong.yaml'));
    await sync(file);
    expectKongState(sim().store, { services: svc1_207 });
    await expectIdempotent(file);
  });

  it('create services and routes (002, converted from decK kong.yaml)', async () => {
    const file = await converted(fixture('002-create-services-and-routes/kong.yaml'));
    await sync(file);
    expectKongState(sim().store, { services: svc1_207, routes: route1_20x });
    await expectIdempotent(file);
  });
});

describe('decK sync: Test_Sync_Unsupported_Formats', () => {
  // decK: "cannot apply '1.1' config format version to Kong version 3.0 or above".
  it('refuses a file without _format_version, which decK reads as "1.1" (001 kong.yaml)', async () => {
    const r = await syncRefused(fixture('001-create-a-service/kong.yaml'));
    expect(r.stderr).toContain('missing _format_version');
  });

  it('refuses _format_version "1.1" (002 kong.yaml)', async () => {
    const r = await syncRefused(fixture('002-create-services-and-routes/kong.yaml'));
    expect(r.stderr).toContain('_format_version "1.1" is not supported');
  });
});

describe('decK sync: plugins', () => {
  it('create a plugin (003, Test_Sync_BasicAuth_Plugin_From_3x)', async () => {
    const file = fixture('003-create-a-plugin/kong3x.yaml');
    await sync(file);
    expectKongState(sim().store, { plugins: basicAuthPlugin });
    await expectIdempotent(file);
  });

  it('create plugins on services, routes and consumers (xxx-plugins-on-entities, Test_Sync_PluginsOnEntitiesFrom_3_0_0)', async () => {
    const file = fixture('xxx-plugins-on-entities/kong.yaml');
    await sync(file);
    expectKongState(sim().store, { services: svc1_207, routes: route1_20x, plugins: plugin_on_entities3x, consumers: consumer });
    await expectIdempotent(file);
  });

  for (const [name, file, extra] of [
    ['create a plugin with instance_name', 'kong-with-instance_name.yaml', { instance_name: 'my-plugin' }],
    ['create a plugin without instance_name', 'kong-without-instance_name.yaml', {}],
  ] as const) {
    it(`${name} (018, Test_Sync_PluginInstanceName)`, async () => {
      const f = fixture(`018-plugin-instance_name/${file}`);
      await sync(f);
      expectKongState(sim().store, { plugins: [requestTermination(extra)] });
      await expectIdempotent(f);
    });
  }

  // decK runs Test_Sync_RateLimitingPlugin on Kong 2.7 only; the expected state is decK's with
  // what Kong 3.4 fills differently (deck-sync-expected.ts `rateLimitingPlugin34`).
  for (const [name, dir] of [
    ['fill defaults', '006-fill-defaults-rate-limiting'],
    ['fill defaults with dedup', '007-fill-defaults-rate-limiting-dedup'],
  ] as const) {
    it(`${name} (${dir.slice(0, 3)}, Test_Sync_RateLimitingPlugin, converted from decK kong.yaml)`, async () => {
      const file = await converted(fixture(`${dir}/kong.yaml`));
      await sync(file);
      expectKongState(sim().store, { plugins: rateLimitingPlugin34 });
      await expectIdempotent(file);
    });
  }

  // decK runs Test_Sync_PluginOrdering on Kong Enterprise: dynamic plugin ordering is an
  // Enterprise feature, and Kong OSS 3.4's plugins schema has no `ordering` (recorded fixture 006),
  // so Kong would refuse the plugin. kong-ctl checks the node's own schema and refuses it first.
  it('create a plugin with ordering (011): refused on a Kong OSS node, nothing written', async () => {
    const file = session.path('011.yaml');
    const c = await runCli(['convert', '-f', fixture('011-plugin-ordering/kong.yaml'), '-o', file]);
    // convert writes the "3.0" file and says what Kong 3.x would still refuse in it.
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('ordering: unknown field');
    const r = await syncRefused(file);
    expect(r.stderr).toContain('plugins[0]: ordering: unknown field');
  });
});

describe('decK sync: upstreams and targets', () => {
  it('creates an upstream and target (004, Test_Sync_Upstream_Target_From_3x)', async () => {
    const file = fixture('004-create-upstream-and-target/kong3x.yaml');
    await sync(file);
    expectKongState(sim().store, { upstreams: upstream_pre311, targets: target });
    await expectIdempotent(file);
  });

  it('creates an upstream and target with weight equals to zero (005, Test_Sync_Upstreams_Target_ZeroWeight_3x, converted)', async () => {
    const file = await converted(fixture('005-create-upstream-and-target/kong.yaml'));
    await sync(file);
    expectKongState(sim().store, { upstreams: upstream_pre311, targets: targetZeroWeight });
    await expectIdempotent(file);
  });
});

describe('decK sync: certificates, CA certificates, vaults, keys', () => {
  it('syncing with --skip-ca-certificates should ignore CA certs (009, Test_Sync_SkipCACert_3x)', async () => {
    const file = fixture('009-skip-ca-cert/kong3x.yaml');
    await sync(file, '--skip-ca-certificates');
    expectKongState(sim().store, { services: svc1_207, ca_certificates: [] });
    await expectIdempotent(file, '--skip-ca-certificates');
  });

  // decK's Test_Sync_Vault then proves through Kong's proxy that the env vault resolves the
  // certificate; the simulator has no proxy, so the configuration part is ported.
  it('create an SSL service/route using an ENV vault (012, Test_Sync_Vault)', async () => {
    const file = fixture('012-vaults/kong3x.yaml');
    await sync(file);
    expectKongState(sim().store, {
      vaults: [{ name: 'env', prefix: 'my-env-vault', description: 'ENV vault for secrets', config: { prefix: 'MY_SECRET_' } }],
      services: [
        {
          id: SVC1_ID,
          name: 'svc1',
          connect_timeout: 60000,
          host: 'httpbin.org',
          port: 80,
          path: '/status/200',
          protocol: 'http',
          read_timeout: 60000,
          retries: 5,
          write_timeout: 60000,
          enabled: true,
        },
      ],
      routes: route1_20x,
      certificates: [{ id: '13c562a1-191c-4464-9b18-e5222b46035b', cert: '{vault://my-env-vault/cert}', key: '{vault://my-env-vault/key}' }],
      snis: [{ name: 'localhost', certificate: { id: '13c562a1-191c-4464-9b18-e5222b46035b' } }],
    });
    await expectIdempotent(file);
  });

  it('creates a certificate with SNIs, then updates its tags (023, Test_Sync_CreateCertificateWithSNIs)', async () => {
    const certId = '13c562a1-191c-4464-9b18-e5222b46035b';
    // "To ignore noise, we ignore the Key and Cert fields".
    const ignore = { certificates: ['cert', 'key'] };
    const snis = [{ name: 'example.com', certificate: { id: certId } }];
    await sync(fixture('023-create-and-update-certificate-with-snis/initial.yaml'));
    expectKongState(sim().store, { certificates: [{ id: certId, tags: ['before'] }], snis }, ignore);
    const update = fixture('023-create-and-update-certificate-with-snis/update.yaml');
    await sync(update);
    expectKongState(sim().store, { certificates: [{ id: certId, tags: ['after'] }], snis }, ignore);
    await expectIdempotent(update);
  });

  it('creates keys and key_sets (026, Test_Sync_KeysAndKeySets)', async () => {
    const file = fixture('026-keys-and-key_sets/kong.yaml');
    await sync(file);
    expectKongState(sim().store, {
      keys: [
        {
          id: 'f21a7073-1183-4b1c-bd87-4d5b8b18eeb4',
          name: 'foo',
          kid: 'vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4',
          set: { id: 'd46b0e15-ffbc-4b15-ad92-09ef67935453' },
          jwk:
            '{"kty": "RSA", "kid": "vsR8NCNV_1_LB06LqudGa2r-T0y4Z6VQVYue9IQz6A4", "n": "v2KAzzfruqctVHaE9WSCWIg1xAhMwxTIK-i56WNqPtpWBo9AqxcVea8NyVctEjUNq_mix5CklNy3ru7ARh7rBG_LU65fzs4fY_uYalul3QZSnr61Gj-cTUB3Gy4PhA63yXCbYRR3gDy6WR_wfis1MS61j0R_AjgXuVufmmC0F7R9qSWfR8ft0CbQgemEHY3ddKeW7T7fKv1jnRwYAkl5B_xtvxRFIYT-uR9NNftixNpUIW7q8qvOH7D9icXOg4_wIVxTRe5QiRYwEFoUbV1V9bFtu5FLal0vZnLaWwg5tA6enhzBpxJNdrS0v1RcPpyeNP-9r3cUDGmeftwz9v95UQ", "e": "AQAB", "alg": "A256GCM"}',
        },
      ],
      key_sets: [{ name: 'bar', id: 'd46b0e15-ffbc-4b15-ad92-09ef67935453' }],
    });
    await expectIdempotent(file);
  });
});

describe('decK sync: references', () => {
  // decK gates Test_Sync_Create_Route_With_Service_Name_Reference_3x to Kong 2.7–2.8 although
  // its file is a "3.0" one; the case is Kong 3.x's.
  it('create a route with a service name reference (010)', async () => {
    const file = fixture('010-create-route-with-service-name-reference/kong3x.yaml');
    await sync(file);
    expectKongState(sim().store, { services: svc1_207, routes: route1_20x });
    await expectIdempotent(file);
  });
});
