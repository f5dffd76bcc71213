/**
 * decK's sync cases about identity (tests/integration/sync_test.go): names against ids, explicit
 * ids, consumers found by username or custom_id, created_at kept across updates, entities other
 * files manage named through `_info.default_lookup_tags`, and `--skip-consumers`. Run as
 * `kong-ctl apply` against the simulator, compared as decK compares (deck-sync-state.ts), and
 * each final file applied again must change nothing. See deck-sync.test.ts for the rest.
 */
import { describe, expect, it } from 'vitest';
import { simSession } from '../commands/sim-session';
import { deckSync, fixture } from './deck-sync-run';
import { expectKongState } from './deck-sync-state';
import { ignoreFieldsIrrelevantForIDsTests, svc1_207, route1_20x } from './deck-sync-expected';

const session = simSession('kong-ctl-deck-sync-ids-');
const { sim } = session;
const { sync, syncRefused, expectIdempotent, reset } = deckSync(session);

const rows = (table: string) => sim().store.all(table);

describe('decK sync: Test_Sync_Names_vs_IDs (020-names-vs-ids)', () => {
  it('replaces a service and route that keep their names under new ids', async () => {
    await sync(fixture('020-names-vs-ids/kong.yaml'));
    const file = fixture('020-names-vs-ids/kong2.yaml');
    await sync(file);
    const svc = '18076db2-28b6-423b-ba39-a797193017f7';
    expectKongState(sim().store, {
      services: [{ ...svc1_207[0], id: svc }],
      routes: [{ ...route1_20x[0], id: '17b6a97e-f3f7-4c47-857a-7464cb9e202b', service: { id: svc } }],
    });
    await expectIdempotent(file);
  });
});

describe('decK sync: Test_Sync_ChangingIDsWhileKeepingNames (020-same-names-altered-ids)', () => {
  const desired = fixture('020-same-names-altered-ids/desired.yaml');
  const serviceId = '98076db2-28b6-423b-ba39-a797193017f7';
  const routeId = '97b6a97e-f3f7-4c47-857a-7464cb9e202b';
  const expected = {
    services: [{ name: 's1', id: serviceId }],
    routes: [{ name: 'r1', id: routeId, service: { id: serviceId } }],
    consumers: [{ username: 'c1', id: '9a1e49a8-2536-41fa-a4e9-605bf218a4fa' }],
    plugins: [
      { name: 'rate-limiting', route: { id: routeId } },
      { name: 'rate-limiting', service: { id: serviceId } },
      { name: 'rate-limiting', consumer: { id: '9a1e49a8-2536-41fa-a4e9-605bf218a4fa' } },
    ],
  };
  const expectIds = () => {
    expectKongState(sim().store, expected, ignoreFieldsIrrelevantForIDsTests);
    // decK's comparison ignores consumer ids; the new one is the file's all the same.
    expect(rows('consumers').map((c) => c.id)).toEqual(['9a1e49a8-2536-41fa-a4e9-605bf218a4fa']);
  };

  // Deliberately different: when every entity in scope is deleted (here to be recreated under
  // its new id), kong-ctl's deletion guard refuses without --allow-mass-delete (README, "silent
  // mass deletes (a guard)"; cli/src/apply/guard.ts): a file of another gateway with the same
  // names looks just like this. decK syncs it.
  for (const [name, before] of [
    ['all entities have the same names, but different IDs', '1-before.yaml'],
    ['service and consumer changed IDs, route did not', '2-before.yaml'],
  ] as const) {
    it(`${name}: refused by the deletion guard, then done with --allow-mass-delete`, async () => {
      await sync(fixture(`020-same-names-altered-ids/${before}`));
      const r = await syncRefused(desired);
      expect(r.stderr).toContain('refusing to delete every entity in scope');
      await sync(desired, '--allow-mass-delete');
      expectIds();
      await expectIdempotent(desired);
    });
  }

  it('route and consumer changed IDs, service did not', async () => {
    await sync(fixture('020-same-names-altered-ids/3-before.yaml'));
    await sync(desired);
    expectIds();
    await expectIdempotent(desired);
  });
});

describe('decK sync: explicit ids', () => {
  it('updates entities with explicit ids (021, Test_Sync_UpdateWithExplicitIDs)', async () => {
    await sync(fixture('021-update-with-explicit-ids/before.yaml'));
    const after = fixture('021-update-with-explicit-ids/after.yaml');
    await sync(after);
    const svc = 'c75a775b-3a32-4b73-8e05-f68169c23941';
    expectKongState(
      sim().store,
      {
        services: [{ name: 's1', id: svc, tags: ['after'] }],
        routes: [{ name: 'r1', id: '97b6a97e-f3f7-4c47-857a-7464cb9e202b', tags: ['after'], service: { id: svc } }],
        consumers: [{ username: 'c1', tags: ['after'] }],
      },
      ignoreFieldsIrrelevantForIDsTests,
    );
    await expectIdempotent(after);
  });

  it('updates nameless entities by their explicit ids (022, Test_Sync_UpdateWithExplicitIDsWithNoNames)', async () => {
    await sync(fixture('022-update-with-explicit-ids-with-no-names/before.yaml'));
    const after = fixture('022-update-with-explicit-ids-with-no-names/after.yaml');
    await sync(after);
    const svc = 'c75a775b-3a32-4b73-8e05-f68169c23941';
    expectKongState(
      sim().store,
      {
        services: [{ id: svc, tags: ['after'] }],
        routes: [{ id: '97b6a97e-f3f7-4c47-857a-7464cb9e202b', tags: ['after'], service: { id: svc } }],
      },
      ignoreFieldsIrrelevantForIDsTests,
    );
    await expectIdempotent(after);
  });
});

describe('decK sync: consumers', () => {
  it('update username on a consumer with custom_id (013, Test_Sync_UpdateUsernameInConsumerWithCustomID_3x)', async () => {
    await sync(fixture('013-update-username-consumer-with-custom-id/kong3x-initial.yaml'));
    const before = rows('consumers')[0];
    const file = fixture('013-update-username-consumer-with-custom-id/kong3x.yaml');
    const r = await sync(file);
    expectKongState(sim().store, { consumers: [{ username: 'test_new', custom_id: 'custom_test' }] });
    // decK finds the live consumer by its custom_id when the username is new (file/builder.go
    // `consumers()`) and updates it: the same consumer, renamed, keeps its id and with it its
    // credentials, tokens and consumer-scoped plugins.
    expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(rows('consumers')[0].id).toBe(before.id);
    await expectIdempotent(file);
  });

  it('update custom_id on a consumer with username (014, Test_Sync_UpdateConsumerWithCustomID_3x)', async () => {
    await sync(fixture('014-update-consumer-with-custom-id/kong3x-initial.yaml'));
    const file = fixture('014-update-consumer-with-custom-id/kong3x.yaml');
    await sync(file);
    expectKongState(sim().store, { consumers: [{ username: 'test_consumer_3x', custom_id: 'test_consumer_3x_custom_test' }] });
    await expectIdempotent(file);
  });

  it('consumers with custom_id and/or username (024, Test_Sync_ConsumersWithCustomIDAndOrUsername)', async () => {
    await sync(fixture('024-consumers-with-custom_id-and-username/kong3x.yaml'));
    expectKongState(sim().store, {
      consumers: [
        { id: 'ce49186d-7670-445d-a218-897631b29ada', username: 'Foo', custom_id: 'foo' },
        { id: '7820f383-7b77-4fcc-af7f-14ff3e256693', username: 'foo', custom_id: 'bar' },
        { id: '18c62c3c-12cc-429a-8e5a-57f2c3691a6b', custom_id: 'custom_id_only' },
        { id: '8ef278c9-48c1-43e1-b665-e9bc18fab4c8', username: 'username_only' },
      ],
    });
    const reverse = fixture('024-consumers-with-custom_id-and-username/kong3x-reverse-order.yaml');
    await sync(reverse);
    expectKongState(sim().store, { consumers: [{ username: 'TestUser' }, { username: 'OtherUser', custom_id: 'TestUser' }] });
    await expectIdempotent(reverse);
  });

  // Deliberately different: kong-ctl does not manage consumer groups (README: their keys are
  // refused with a message), so decK's file for --skip-consumers, which has consumer_groups and
  // consumer `groups`, is refused with or without the flag; nothing is written.
  for (const flags of [['--skip-consumers'], []]) {
    it(`019-skip-consumers ${flags.length ? 'with' : 'without'} --skip-consumers: consumer groups refused, nothing written (Test_Sync_SkipConsumers_34x)`, async () => {
      const r = await syncRefused(fixture('019-skip-consumers/kong34.yaml'), ...flags);
      expect(r.stderr).toContain('kong-ctl does not manage consumer groups');
    });
  }
});

describe('decK sync: Test_Sync_DoNotUpdateCreatedAt (027)', () => {
  it('keeps created_at and moves updated_at of updated entities', async () => {
    await sync(fixture('027-created-at/old.yaml'));
    const first = (t: string) => rows(t)[0];
    const old = { service: first('services'), route: first('routes'), plugin: first('plugins'), consumer: first('consumers') };
    const file = fixture('027-created-at/new.yaml');
    await sync(file);
    const now = { service: first('services'), route: first('routes'), plugin: first('plugins'), consumer: first('consumers') };
    for (const k of ['service', 'route', 'plugin', 'consumer'] as const) expect(now[k].created_at, k).toBe(old[k].created_at);
    expect(now.service.updated_at).not.toBe(old.service.updated_at);
    expect(now.route.updated_at).not.toBe(old.route.updated_at);
    // …and they were updates of the same entities, not replacements.
    for (const k of ['service', 'route', 'plugin', 'consumer'] as const) expect(now[k].id, k).toBe(old[k].id);
    await expectIdempotent(file);
  });
});

describe('decK sync: _info.default_lookup_tags (Test_Sync_LookupConsumerTags, Test_Sync_LookupRoutesTags)', () => {
  for (const [kind, table, global, noLookup, withEntity, lookup] of [
    [
      'consumer',
      'consumers',
      '029-lookup-tags/global_consumers.yaml',
      '029-lookup-tags-consumers/plugins_no_lookup.yaml',
      '029-lookup-tags-consumers/plugins_and_consumers.yaml',
      '029-lookup-tags/plugins_lookup.yaml',
    ],
    [
      'route',
      'routes',
      '030-lookup-tags-routes/global_routes.yaml',
      '030-lookup-tags-routes/plugins_no_lookup.yaml',
      '030-lookup-tags-routes/plugins_and_routes.yaml',
      '030-lookup-tags-routes/plugins_lookup.yaml',
    ],
  ] as const) {
    it(`a plugin's ${kind} is found in the files, or in Kong through the lookup tags, or refused`, async () => {
      // Reference to a non-existing entity fails.
      const none = await syncRefused(fixture(noLookup));
      expect(none.stderr).toContain(`unknown ${kind} 'foo'`);

      // Reference to an entity of the same file succeeds.
      await sync(fixture(withEntity));
      await expectIdempotent(fixture(withEntity));
      await reset();

      // Reference to an entity another file manages succeeds through the lookup tags.
      await sync(fixture(global));
      await sync(fixture(lookup));
      const foo = rows(table).find((e) => e.name === 'foo' || e.username === 'foo');
      expect(rows('plugins')).toMatchObject([{ [kind]: { id: foo?.id }, tags: ['managed-by-deck'] }]);
      await expectIdempotent(fixture(lookup));
      await expectIdempotent(fixture(global));
      await reset();

      // Reference through the lookup tags to an entity Kong does not have fails.
      const gone = await syncRefused(fixture(lookup));
      expect(gone.stderr).toContain(`unknown ${kind} 'foo'`);
    });
  }
});
