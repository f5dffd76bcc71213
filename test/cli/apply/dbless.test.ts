/**
 * DB-less apply against the recorded 3.4.2-dbless exchanges: one POST /config carrying the
 * config as a string (201 applied, 304 unchanged), flattened errors mapped back to file:line,
 * the refusal to send an empty config, and the select-tag scope check.
 */
import nock from 'nock';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyDbless } from '../../../cli/src/apply/dbless';
import { renderDeclarative, stableId } from '../../../cli/src/apply/declarative';
import { dblessResultJson, renderDblessText } from '../../../cli/src/apply/report';
import { AdminApiError } from '../../../cli/src/kong/types';
import type { Entity } from '../../../cli/src/model/entity';
import { body, client, entity, exchange, src } from './helpers';

const KONG = 'http://kong-dbless.test:8001';

beforeEach(() => nock.disableNetConnect());

/** What the node holds (fixture 016: a service with a route and plugins, an upstream and target, a consumer and its key): apply reads it for the deletion guard before sending anything. */
const nodeHolds016 = () => nock(KONG).get('/config').reply(200, body('016', '3.4.2-dbless'));
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

// The config of fixtures 006/014, as a file would declare it.
const orders = entity('service', { name: 'orders', host: 'x.internal', port: 'eighty' }, {}, { source: src(3, 'services[0]') });
const r1 = entity('route', { name: 'r1', paths: ['/a//b'] }, { service: orders.key }, { source: src(7, 'services[0].routes[0]', 9) });
const rateLimiting = entity('plugin', { name: 'rate-limiting', config: { minute: -1 } }, { service: null, route: null, consumer: null }, { source: src(11, 'plugins[0]') });
const noSuch = entity('plugin', { name: 'no-such-plugin' }, { service: null, route: null, consumer: null }, { source: src(14, 'plugins[1]') });
const alice = entity('consumer', { username: 'alice' }, {}, { source: src(17, 'consumers[0]') });
const invalidState = { entities: [orders, r1, rateLimiting, noSuch, alice] };

function postConfig(check: (config: Record<string, unknown>) => boolean = () => true) {
  return nock(KONG)
    .post('/config', (b: { config?: unknown }) => typeof b.config === 'string' && check(JSON.parse(b.config) as Record<string, unknown>))
    .query({ check_hash: '1', flatten_errors: '1' });
}

describe('rendering', () => {
  it('renders flat lists with references by name for named entities and by id for the others', () => {
    const doc = JSON.parse(renderDeclarative(invalidState).text) as Record<string, Array<Record<string, unknown>>>;
    expect(doc._format_version).toBe('3.0');
    expect(doc.services).toEqual([{ host: 'x.internal', name: 'orders', port: 'eighty' }]);
    expect(doc.routes).toEqual([{ name: 'r1', paths: ['/a//b'], service: 'orders' }]);
    expect(doc.consumers).toEqual([{ id: stableId('consumer', alice.key), username: 'alice' }]);
    expect(doc.plugins.map((p) => p.id)).toEqual([stableId('plugin', noSuch.key), stableId('plugin', rateLimiting.key)]);
  });

  it('renders vaults first and oauth2 credentials flat, pointing at their consumer', () => {
    const vault = entity('vault', { name: 'env', prefix: 'app-env', config: { prefix: 'APP_' } }, {}, { source: src(20, 'vaults[0]') });
    const app = entity('oauth2_credential', { name: 'web', client_id: 'web', client_secret: 's' }, { consumer: alice.key }, { source: src(22, 'consumers[0].oauth2_credentials[0]') });
    const doc = JSON.parse(renderDeclarative({ entities: [app, alice, vault] }).text) as Record<string, Array<Record<string, unknown>>>;
    expect(Object.keys(doc)).toEqual(['_format_version', 'vaults', 'consumers', 'oauth2_credentials']);
    expect(doc.vaults).toEqual([{ config: { prefix: 'APP_' }, id: stableId('vault', vault.key), name: 'env', prefix: 'app-env' }]);
    expect(doc.oauth2_credentials).toEqual([
      { client_id: 'web', client_secret: 's', consumer: stableId('consumer', alice.key), id: stableId('oauth2_credential', app.key), name: 'web' },
    ]);
  });

  it('renders the same bytes whatever the order of the file, so check_hash can answer 304', () => {
    const shuffled = { entities: [alice, noSuch, r1, rateLimiting, orders].map((e): Entity => ({ ...e, fields: Object.fromEntries(Object.entries(e.fields).reverse()) })) };
    expect(renderDeclarative(shuffled).text).toBe(renderDeclarative(invalidState).text);
  });

  it('makes stable ids that look like uuids and differ per key', () => {
    const id = stableId('plugin', 'plugin:cors@global');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableId('plugin', 'plugin:cors@global')).toBe(id);
    expect(stableId('plugin', 'plugin:cors@service=a')).not.toBe(id);
  });
});

describe('applyDbless', () => {
  it('sends the config as a string in one POST /config and reports 201 as applied', async () => {
    nodeHolds016();
    const c = client(KONG);
    const scope = postConfig((doc) => doc._format_version === '3.0').reply(201, body('010', '3.4.2-dbless'));
    const valid = { entities: [entity('service', { name: 'orders', url: 'http://127.0.0.1:9999/orders', tags: ['team-a'] })] };
    const result = await applyDbless(valid, c, { selectTags: [], dryRun: false });
    expect(result).toMatchObject({ status: 'applied', entityCount: 1, writes: 1, entityErrors: [], errors: [] });
    expect(scope.isDone()).toBe(true);
    expect(c.stats.writes).toBe(1);
    expect(renderDblessText(result)).toBe('DB-less apply: configuration of 1 entity (1 service) loaded.\n');
  });

  it('repeats the POST when Kong is still loading the previous config (429 + Retry-After)', async () => {
    nodeHolds016();
    const c = client(KONG);
    postConfig().reply(429, { message: 'Currently loading previous configuration' }, { 'Retry-After': '1' });
    postConfig().reply(201, body('010', '3.4.2-dbless'));
    const result = await applyDbless({ entities: [orders] }, c, { selectTags: [], dryRun: false });
    expect(result.status).toBe('applied');
    expect(c.stats.retries).toBe(1);
  });

  it('reports 304 as unchanged', async () => {
    nodeHolds016();
    postConfig().reply(304, '');
    const result = await applyDbless({ entities: [orders] }, client(KONG), { selectTags: [], dryRun: false });
    expect(result.status).toBe('unchanged');
    expect(renderDblessText(result)).toBe('DB-less apply: no changes (Kong already runs this configuration).\n');
  });

  it('maps each flattened error (fixture 014) back to the entity of the file and its file:line', async () => {
    nodeHolds016();
    postConfig().reply(400, body('014', '3.4.2-dbless'));
    const result = await applyDbless(invalidState, client(KONG), { selectTags: [], dryRun: false });
    expect(result.status).toBe('invalid');
    expect(result.entityErrors.map((e) => [e.label, e.source?.line, e.errors])).toEqual([
      ['route r1', 7, ['paths.1: must not have empty segments']],
      ['service orders', 3, ['port: expected an integer']],
      ['plugin no-such-plugin (global)', 14, ["name: plugin 'no-such-plugin' not enabled; add it to the 'plugins' configuration property"]],
      ['plugin rate-limiting (global)', 11, ['config.minute: value must be greater than 0']],
    ]);
    expect(renderDblessText(result).split('\n').slice(0, 3)).toEqual([
      'kong.yaml:7:9: error: services[0].routes[0]: route r1 rejected by Kong',
      '    paths.1: must not have empty segments',
      'kong.yaml:3:5: error: services[0]: service orders rejected by Kong',
    ]);
    expect(renderDblessText(result)).toContain('DB-less apply: configuration rejected (4 entities with errors); nothing was changed.\n');
    expect(dblessResultJson(result)).toMatchObject({
      format_version: 1,
      status: 'invalid',
      entity_errors: [{ kind: 'route', label: 'route r1', source: { file: 'kong.yaml', line: 7, column: 9, path: 'services[0].routes[0]' } }, {}, {}, {}],
    });
  });

  it('tells two plugins of the same name apart by the entity_id Kong reports', async () => {
    nodeHolds016();
    const scoped = entity('plugin', { name: 'rate-limiting', config: { minute: -1 } }, { service: orders.key, route: null, consumer: null }, { source: src(5, 'services[0].plugins[0]', 9) });
    const state = { entities: [orders, rateLimiting, scoped] };
    const rendered = renderDeclarative(state);
    const sent = rendered.entities.find((r) => r.entity === scoped)!.object;
    const answer = body<{ flattened_errors: Array<Record<string, unknown>> }>('006', '3.4.2-dbless');
    // Kong adds entity_id to a flattened error when the entity has one (kong/db/errors.lua).
    const rl = { ...answer.flattened_errors.find((f) => f.entity_name === 'rate-limiting')!, entity_id: sent.id, entity: sent };
    postConfig().reply(400, { ...answer, flattened_errors: [rl] });
    const result = await applyDbless(state, client(KONG), { selectTags: [], dryRun: false });
    expect(result.entityErrors).toHaveLength(1);
    expect(result.entityErrors[0]).toMatchObject({ label: 'plugin rate-limiting (service orders)', source: { line: 5 } });
  });

  it('keeps errors it cannot tie to an entity, and Kong’s plain field errors (fixture 007)', async () => {
    nodeHolds016();
    postConfig().reply(400, body('007', '3.4.2-dbless'));
    const result = await applyDbless(invalidState, client(KONG), { selectTags: [], dryRun: false });
    expect(result.status).toBe('invalid');
    expect(result.entityErrors).toEqual([]);
    expect(result.errors).toContain('services[0].port: expected an integer');
  });

  it('passes any other 400 on as Kong’s error (POST /config on a database node, fixture 127)', async () => {
    nodeHolds016();
    postConfig().reply(400, body('127'));
    const run = applyDbless({ entities: [orders] }, client(KONG), { selectTags: [], dryRun: false });
    await expect(run).rejects.toBeInstanceOf(AdminApiError);
    await expect(run).rejects.toThrow('POST /config → 400: this endpoint is only available when Kong is configured to not use a database');
  });

  it('refuses to send a config with no entity at all (fixture 008 shows Kong would wipe the node)', async () => {
    const c = client(KONG);
    const run = applyDbless({ entities: [] }, c, { selectTags: [], dryRun: false });
    await expect(run).rejects.toMatchObject({ code: 'E_DELETE_GUARD' });
    await expect(run).rejects.toThrow(/refusing to send an empty configuration to a DB-less node.*--allow-mass-delete/);
    expect(c.stats.requests).toBe(0);
  });

  it('sends an empty config when explicitly allowed', async () => {
    postConfig((doc) => Object.keys(doc).join() === '_format_version').reply(201, body('008', '3.4.2-dbless'));
    const result = await applyDbless({ entities: [] }, client(KONG), { selectTags: [], dryRun: false, allowEmpty: true });
    expect(result.status).toBe('applied');
  });

  it('refuses a config leaving out more of what the node holds than --max-deletes, and sends it within the limit', async () => {
    const doc = parseYaml((body('016', '3.4.2-dbless') as { config: string }).config) as Record<string, unknown[]>;
    const held = Object.values(doc).filter(Array.isArray).reduce((n, list) => n + list.length, 0);
    const gone = held - 1; // the files keep only the service
    nodeHolds016();
    const c = client(KONG);
    const run = applyDbless({ entities: [orders] }, c, { selectTags: [], dryRun: false, maxDeletes: gone - 1 });
    await expect(run).rejects.toMatchObject({ code: 'E_DELETE_GUARD' });
    await expect(run).rejects.toThrow(new RegExp(`refusing to delete at least ${gone} entities \\(.*1 consumer.*\\).*more than --max-deletes ${gone - 1}`));
    expect(c.stats.writes).toBe(0);

    nodeHolds016();
    postConfig().reply(201, body('010', '3.4.2-dbless'));
    await expect(applyDbless({ entities: [orders] }, client(KONG), { selectTags: [], dryRun: false, maxDeletes: gone })).resolves.toMatchObject({ status: 'applied' });
    // --allow-mass-delete reads nothing and sends it
    postConfig().reply(201, body('010', '3.4.2-dbless'));
    await expect(applyDbless({ entities: [orders] }, client(KONG), { selectTags: [], dryRun: false, maxDeletes: 0, allowEmpty: true })).resolves.toMatchObject({ status: 'applied' });
  });

  it('sends nothing on --dry-run', async () => {
    nodeHolds016();
    const c = client(KONG);
    const result = await applyDbless(invalidState, c, { selectTags: [], dryRun: true });
    expect(result).toMatchObject({ status: 'dry_run', writes: 0, entityCount: 5 });
    expect(c.stats.writes).toBe(0);
    expect(c.stats.requests).toBe(1); // GET /config, for the deletion guard
    expect(renderDblessText(result)).toMatch(/^Dry run: a configuration of 5 entities \(1 service, 1 consumer, 1 route, 2 plugins\), \d+ bytes, would be sent to POST \/config; nothing sent\.\n$/);
  });

  it('refuses --select-tag when the node holds entities outside the scope (GET /config, fixture 016)', async () => {
    const c = client(KONG);
    nock(KONG).get('/config').reply(200, body('016', '3.4.2-dbless'));
    const tagged = { entities: [entity('service', { name: 'orders', host: 'a', tags: ['team-a'] })] };
    const run = applyDbless(tagged, c, { selectTags: ['team-a'], dryRun: false });
    await expect(run).rejects.toMatchObject({ code: 'E_OUT_OF_SCOPE' });
    // Fixture 016 holds, untagged: the upstream, its target, alice, her key and three plugins
    // (the services and routes carry team-a).
    const live = parseYaml(String((exchange('016', '3.4.2-dbless').response.body as { config: string }).config)) as Record<string, unknown[]>;
    expect(live.plugins).toHaveLength(3);
    await expect(run).rejects.toThrow(
      'the DB-less node holds entities without the select tag(s) team-a (1 upstream, 1 target, 1 consumer, 1 keyauth_credential, 3 plugins); ' +
        'POST /config replaces the whole configuration and would delete them.',
    );
    expect(c.stats.writes).toBe(0);
  });

  it('refuses --skip-consumers while the node holds consumers, their credentials or consumer plugins (fixture 016)', async () => {
    const c = client(KONG);
    nock(KONG).get('/config').reply(200, body('016', '3.4.2-dbless'));
    const run = applyDbless({ entities: [orders] }, c, { selectTags: [], skipConsumers: true, dryRun: false });
    // alice and her key; the three plugins are scoped to no consumer.
    await expect(run).rejects.toThrow(
      'the DB-less node holds entities that --skip-consumers leaves alone (1 consumer, 1 keyauth_credential); ' +
        'POST /config replaces the whole configuration and would delete them.',
    );
    expect(c.stats.writes).toBe(0);
    // A plugin scoped to a consumer counts too (Kong's export writes the foreign key as an id).
    nock(KONG)
      .get('/config')
      .reply(200, { config: "_format_version: '3.0'\nplugins:\n- name: rate-limiting\n  consumer: b32379d9-3d28-5683-a79c-72139be6e34f\n- name: cors\n  consumer: ~\n" });
    await expect(applyDbless({ entities: [orders] }, c, { selectTags: [], skipConsumers: true, dryRun: false })).rejects.toThrow(
      'the DB-less node holds entities that --skip-consumers leaves alone (1 plugin)',
    );
  });

  it('with --skip-consumers, applies when the node holds no consumer', async () => {
    nock(KONG).get('/config').reply(200, { config: "_format_version: '3.0'\nservices:\n- name: orders\n  host: a\n" });
    postConfig((doc) => !('consumers' in doc)).reply(201, {});
    const result = await applyDbless({ entities: [orders] }, client(KONG), { selectTags: [], skipConsumers: true, dryRun: false });
    expect(result.status).toBe('applied');
  });

  it('with --select-tag, applies when everything on the node is in scope', async () => {
    nock(KONG).get('/config').reply(200, { config: "_format_version: '3.0'\nservices:\n- name: orders\n  host: a\n  tags:\n  - team-a\n" });
    postConfig().reply(201, {});
    const tagged = { entities: [entity('service', { name: 'orders', host: 'b', tags: ['team-a'] })] };
    const result = await applyDbless(tagged, client(KONG), { selectTags: ['team-a'], dryRun: false });
    expect(result.status).toBe('applied');
  });

  it('refuses an entity that lacks a select tag', async () => {
    const run = applyDbless({ entities: [orders] }, client(KONG), { selectTags: ['team-a'], dryRun: false });
    await expect(run).rejects.toMatchObject({ code: 'E_SELECT_TAGS' });
  });
});
