/**
 * `_info.fail_closed_guard`: the post-function kong-ctl adds per scope, what it checks, and the
 * configurations it refuses, with file:line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import nock from 'nock';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDesired, type DesiredResult } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { GUARD_PLUGIN, SECURITY_PLUGINS, failClosedGuards, renderGuardLua } from '../../../cli/src/desired/guard';
import { buildCurrentState, type RawKongState } from '../../../cli/src/current/fetch';
import { computePlan } from '../../../cli/src/diff/compute';
import { renderDump } from '../../../cli/src/dump/dump';
import { renderPlanText } from '../../../cli/src/output/plan-text';
import type { Entity } from '../../../cli/src/model/entity';
import { formatDiagnostic } from '../../../cli/src/model/errors';
import { passedMarkerKey } from '../../../plugins/shared/ctx-marker';
import { kong342SchemasWithJwtClaims } from '../diff/helpers';
import { ordersJwtFile, ordersJwtLive } from '../diff/orders-jwt';
import { runCli } from '../commands/run-cli';
import { bundledConfigSchemas, exchange } from './helpers';

const REPO = path.resolve(__dirname, '..', '..', '..');

const JWT = [
  '    config:',
  '      issuers:',
  // audiences set: without, validate warns (RFC 8725 §3.9), and these tests expect no diagnostic
  '        - { issuer: https://idp.example.com/, audiences: [orders-api],',
  '            jwks_uri: https://idp.example.com/.well-known/jwks.json }',
];
const WEBHOOK = ['    config:', '      scheme: standard-webhooks', '      secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw]'];

/** Indents a plugin body (written for a top-level `plugins:` list) by `by` spaces. */
const indent = (lines: string[], by: number) => lines.map((l) => ' '.repeat(by) + l);

function load(lines: string[]): Promise<DesiredResult> {
  const text = lines.join('\n') + '\n';
  return loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
}

/** The post-functions kong-ctl added: their source is a security plugin's. */
const guards = (r: DesiredResult): Entity[] =>
  r.state.entities.filter(
    (e) =>
      e.fields.name === GUARD_PLUGIN &&
      r.state.entities.some((o) => o.source?.path === e.source?.path && SECURITY_PLUGINS.includes(String(o.fields.name))),
  );
/** Every problem, as `line:column path: message`. */
const problems = (r: DesiredResult) =>
  validateDesired(r, { pluginSchemas: bundledConfigSchemas() }).map((d) => `${d.source?.line}:${d.source?.column} ${d.source?.path}: ${d.message}`);
const lua = (...names: string[]) => renderGuardLua(names.map((name) => ({ name })));
const accessOf = (e: Entity) => (e.fields.config as { access: string[] }).access;
const configOf = (r: DesiredResult, key: string) => r.state.entities.find((e) => e.key === key)?.fields.config;

const HEAD = ['_format_version: "3.0"', '_info:', '  fail_closed_guard: true'];
const TAGGED_HEAD = ['_format_version: "3.0"', '_info:', '  select_tags: [team-a]', '  fail_closed_guard: true'];
/** Service orders and its route orders-api, up to the route's `plugins:` (list items at 10 spaces). */
const ORDERS_ROUTE = [
  'services:',
  '  - name: orders',
  '    url: http://orders.internal',
  '    routes:',
  '      - name: orders-api',
  '        paths: [/orders]',
  '        plugins:',
];
/** The same with jwt-claims on the route. */
const ORDERS_JWT_ROUTE = [...ORDERS_ROUTE, '          - name: jwt-claims', ...indent(JWT, 8)];

describe('the security plugins', () => {
  it('are jwt-claims and webhook-signature, whose markers are ctx-marker.ts names', () => {
    expect(SECURITY_PLUGINS).toEqual(['jwt-claims', 'webhook-signature']);
    expect(SECURITY_PLUGINS.map(passedMarkerKey)).toEqual(['jwt_claims_passed', 'webhook_signature_passed']);
    expect(lua('jwt-claims')).toContain('if not shared.jwt_claims_passed then');
    expect(lua('webhook-signature', 'jwt-claims')).toBe(lua('jwt-claims', 'webhook-signature'));
  });
});

describe('_info.fail_closed_guard: true adds a post-function', () => {
  it('on the route of a route-level security plugin: its source, the select tags, the jwt-claims marker', async () => {
    const r = await load([
      ...TAGGED_HEAD,
      ...ORDERS_JWT_ROUTE,
    ]);
    expect(problems(r)).toEqual([]);
    const jwt = r.state.entities.find((e) => e.fields.name === 'jwt-claims') as Entity;
    const [guard] = guards(r);
    expect(guards(r)).toHaveLength(1);
    expect(guard).toEqual({
      kind: 'plugin',
      key: 'plugin:post-function@route=orders-api',
      label: 'plugin post-function (route orders-api)',
      fields: { name: 'post-function', config: { access: [lua('jwt-claims')] }, tags: ['team-a'] },
      refs: { service: null, route: 'route:orders-api', consumer: null },
      source: jwt.source,
    });
    expect(guard.source).toEqual({ file: '<stdin>', line: 12, column: 13, path: 'services[0].routes[0].plugins[0]' });
    expect(accessOf(guard)[0]).toBe(
      [
        '-- kong-ctl fail-closed guard: refuse what jwt-claims did not pass (docs/fail-closed-guard.md)',
        'local shared = kong.ctx.shared',
        'if not shared.jwt_claims_passed then',
        '  return kong.response.exit(503, { message = "The upstream server is currently unavailable" })',
        'end',
      ].join('\n'),
    );
  });

  it('on a service, and globally, for plugins configured there', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: webhook-signature',
      ...WEBHOOK,
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: jwt-claims',
      ...indent(JWT, 4),
    ]);
    expect(problems(r)).toEqual([]);
    expect(guards(r).map((g) => [g.key, accessOf(g)[0]])).toEqual([
      ['plugin:post-function@global', lua('webhook-signature')],
      ['plugin:post-function@service=orders', lua('jwt-claims', 'webhook-signature')],
    ]);
    expect(guards(r).map((g) => g.source?.path)).toEqual(['plugins[0]', 'services[0].plugins[0]']);
  });

  it('checks the union of the global, service and own security plugins, as Kong runs the most specific post-function only', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: webhook-signature',
      ...WEBHOOK,
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: jwt-claims',
      ...indent(JWT, 4),
      '    routes:',
      '      - name: orders-api',
      '        paths: [/orders]',
      '        plugins:',
      '          - name: webhook-signature',
      ...indent(WEBHOOK, 8),
      '  - name: billing',
      '    url: http://billing.internal',
      '    routes:',
      '      - name: billing-api',
      '        paths: [/billing]',
      '        plugins:',
      '          - name: jwt-claims',
      ...indent(JWT, 8),
      '      - name: billing-plain',
      '        paths: [/plain]',
    ]);
    expect(problems(r)).toEqual([]);
    expect(guards(r).map((g) => [g.label, accessOf(g)[0]])).toEqual([
      // billing-plain has no plugin of its own: the global guard serves it.
      ['plugin post-function (global)', lua('webhook-signature')],
      ['plugin post-function (service orders)', lua('jwt-claims', 'webhook-signature')],
      ['plugin post-function (route orders-api)', lua('jwt-claims', 'webhook-signature')],
      ['plugin post-function (route billing-api)', lua('jwt-claims', 'webhook-signature')],
    ]);
  });

  it('on a route+service scope, checking the route, service and global plugins too', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: jwt-claims',
      '    route: orders-api',
      '    service: orders',
      ...JWT,
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: webhook-signature',
      ...indent(WEBHOOK, 4),
      '    routes:',
      '      - name: orders-api',
      '        paths: [/orders]',
    ]);
    expect(problems(r)).toEqual([]);
    expect(guards(r).map((g) => [g.key, accessOf(g)[0]])).toEqual([
      ['plugin:post-function@service=orders', lua('webhook-signature')],
      ['plugin:post-function@service=orders,route=orders-api', lua('jwt-claims', 'webhook-signature')],
    ]);
  });

  it('ignores disabled security plugins: they mark nothing', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: jwt-claims',
      '    enabled: false',
      ...JWT,
      ...ORDERS_ROUTE,
      '          - name: webhook-signature',
      ...indent(WEBHOOK, 8),
      '          - name: jwt-claims',
      '            enabled: false',
      ...indent(JWT, 8),
      '      - name: orders-off',
      '        paths: [/off]',
      '        plugins:',
      '          - name: webhook-signature',
      '            enabled: false',
      ...indent(WEBHOOK, 8),
    ]);
    expect(problems(r)).toEqual([]);
    expect(guards(r).map((g) => [g.key, accessOf(g)[0]])).toEqual([['plugin:post-function@route=orders-api', lua('webhook-signature')]]);
  });

  it('lets CORS preflights through for a jwt-claims that does (run_on_preflight: false), the one Kong runs there', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: jwt-claims',
      ...JWT,
      '      run_on_preflight: false',
      ...ORDERS_JWT_ROUTE,
      '          - name: webhook-signature',
      ...indent(WEBHOOK, 8),
    ]);
    expect(problems(r)).toEqual([]);
    expect(guards(r).map((g) => [g.key, accessOf(g)[0]])).toEqual([
      ['plugin:post-function@global', renderGuardLua([{ name: 'jwt-claims', preflightPasses: true }])],
      // the route's own jwt-claims (run_on_preflight defaults to true) replaces the global one there
      ['plugin:post-function@route=orders-api', lua('jwt-claims', 'webhook-signature')],
    ]);
    expect(accessOf(guards(r)[0])[0]).toContain('if not (shared.jwt_claims_passed or preflight) then');
  });

  it("copies the security plugins' protocols, and refuses plugins with different ones on one scope", async () => {
    const r = await load([
      ...HEAD,
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: jwt-claims',
      '        protocols: [https]',
      ...indent(JWT, 4),
      '    routes:',
      '      - name: orders-api',
      '        paths: [/orders]',
      '        plugins:',
      '          - name: webhook-signature',
      ...indent(WEBHOOK, 8),
    ]);
    expect(guards(r).map((g) => [g.key, g.fields.protocols])).toEqual([['plugin:post-function@service=orders', ['https']]]);
    expect(problems(r)).toEqual([
      '18:13 services[0].routes[0].plugins[0]: _info.fail_closed_guard: plugin jwt-claims (service orders) at <stdin>:8:9, ' +
        'plugin webhook-signature (route orders-api) at <stdin>:18:13 apply here with different protocols; one guard cannot ' +
        'check each of them on its own protocols only: give them the same protocols',
    ]);
  });
});

describe('configurations the guard refuses', () => {
  it('a post-function of yours on a guarded scope (Kong: one per scope): no guard there, one clear problem', async () => {
    const r = await load([
      ...HEAD,
      ...ORDERS_JWT_ROUTE,
      '          - name: post-function',
      '            config:',
      '              access: ["kong.log.notice(1)"]',
    ]);
    expect(guards(r)).toEqual([]);
    expect(r.state.entities.filter((e) => e.fields.name === GUARD_PLUGIN)).toHaveLength(1);
    expect(problems(r)).toEqual([
      '16:19 services[0].routes[0].plugins[1]: plugin post-function (route orders-api) is on a scope where ' +
        "_info.fail_closed_guard adds kong-ctl's guard for plugin jwt-claims (route orders-api) at <stdin>:11:13: " +
        'Kong allows one post-function per scope; write that code in a pre-function instead, or turn _info.fail_closed_guard off',
    ]);
  });

  it('even a disabled one on that scope (409), but not a disabled one elsewhere (it shadows nothing)', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: post-function',
      '    enabled: false',
      '    config: {access: ["kong.log.notice(1)"]}',
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: jwt-claims',
      ...indent(JWT, 4),
      '      - name: post-function',
      '        enabled: false',
      '        config: {access: ["kong.log.notice(2)"]}',
    ]);
    expect(problems(r)).toEqual([
      '17:15 services[0].plugins[1]: plugin post-function (service orders) is on a scope where _info.fail_closed_guard ' +
        "adds kong-ctl's guard for plugin jwt-claims (service orders) at <stdin>:12:9: Kong allows one post-function per scope; " +
        'write that code in a pre-function instead, or turn _info.fail_closed_guard off',
    ]);
  });

  it('a post-function of yours that would replace a guard on its requests: they would fail open', async () => {
    const r = await load([
      ...HEAD,
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: jwt-claims',
      ...indent(JWT, 4),
      '    routes:',
      '      - name: orders-api',
      '        paths: [/orders]',
      '        plugins:',
      '          - name: post-function',
      '            config:',
      '              access: ["kong.log.notice(1)"]',
    ]);
    expect(guards(r).map((g) => g.key)).toEqual(['plugin:post-function@service=orders']);
    expect(problems(r)).toEqual([
      "17:19 services[0].routes[0].plugins[0]: plugin post-function (route orders-api) would replace kong-ctl's fail-closed " +
        'guard for plugin jwt-claims (service orders) at <stdin>:8:9 on its requests (Kong runs only the most specific ' +
        'post-function of a request), so they would fail open there; write that code in a pre-function instead, or turn ' +
        '_info.fail_closed_guard off',
    ]);
  });

  it("a post-function of yours that a guard would replace on the security plugin's requests", async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: post-function',
      '    config:',
      '      log: ["kong.log.notice(1)"]',
      ...ORDERS_ROUTE,
      '          - name: webhook-signature',
      ...indent(WEBHOOK, 8),
    ]);
    expect(problems(r)).toEqual([
      "5:11 plugins[0]: kong-ctl's fail-closed guard for plugin webhook-signature (route orders-api) at <stdin>:15:13 would " +
        "replace plugin post-function (global) on those plugins' requests (Kong runs only the most specific post-function of a " +
        'request); write that code in a pre-function instead, or turn _info.fail_closed_guard off',
    ]);
  });

  it('a consumer-scoped security plugin: post-function cannot be scoped to a consumer', async () => {
    const r = await load([
      ...HEAD,
      'consumers:',
      '  - username: alice',
      '    plugins:',
      '      - name: jwt-claims',
      ...indent(JWT, 4),
    ]);
    expect(guards(r)).toEqual([]);
    expect(problems(r)).toEqual([
      "7:15 consumers[0].plugins[0]: _info.fail_closed_guard cannot guard a consumer-scoped jwt-claims: Kong's post-function " +
        'cannot be scoped to a consumer (its schema has consumer = null); scope jwt-claims to a route, a service or globally, ' +
        'or turn the guard off',
    ]);
    // Not guarded, so not marked either: the error above is the whole answer.
    expect(configOf(r, 'plugin:jwt-claims@consumer=alice')).not.toHaveProperty('mark_passed');
  });
});

describe('the markers: the guard turns on mark_passed of the plugins it guards', () => {
  it('sets mark_passed: true where the file leaves it out, keeping key, label, source, refs, tags and the rest of config', async () => {
    const r = await load([
      ...TAGGED_HEAD,
      'plugins:',
      '  - name: webhook-signature',
      ...WEBHOOK,
      ...ORDERS_JWT_ROUTE,
    ]);
    expect(problems(r)).toEqual([]);
    const jwt = r.state.entities.find((e) => e.fields.name === 'jwt-claims');
    expect(jwt).toEqual({
      kind: 'plugin',
      key: 'plugin:jwt-claims@route=orders-api',
      label: 'plugin jwt-claims (route orders-api)',
      fields: {
        name: 'jwt-claims',
        config: {
          issuers: [{ issuer: 'https://idp.example.com/', jwks_uri: 'https://idp.example.com/.well-known/jwks.json', audiences: ['orders-api'] }],
          mark_passed: true,
        },
        tags: ['team-a'],
      },
      refs: { service: null, route: 'route:orders-api', consumer: null },
      source: { file: '<stdin>', line: 17, column: 13, path: 'services[0].routes[0].plugins[0]' },
    });
    expect(configOf(r, 'plugin:webhook-signature@global')).toEqual({
      scheme: 'standard-webhooks',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      mark_passed: true,
    });
    // The marked plugins take their originals' places (top-level plugins come after the nested
    // entities in the loader's order), the guards come after them all.
    expect(r.state.entities.map((e) => e.key)).toEqual([
      'service:orders',
      'route:orders-api',
      'plugin:jwt-claims@route=orders-api',
      'plugin:webhook-signature@global',
      'plugin:post-function@global',
      'plugin:post-function@route=orders-api',
    ]);
  });

  it('gives a plugin without config one that only sets mark_passed (its required fields are still reported)', async () => {
    const r = await load([...HEAD, 'plugins:', '  - name: jwt-claims']);
    expect(configOf(r, 'plugin:jwt-claims@global')).toEqual({ mark_passed: true });
    expect(problems(r)).toEqual(['5:5 plugins[0]: config.issuers: required field missing']);
  });

  it('leaves mark_passed: true as written', async () => {
    const r = await load([...HEAD, 'plugins:', '  - name: jwt-claims', ...JWT, '      mark_passed: true']);
    expect(problems(r)).toEqual([]);
    expect(configOf(r, 'plugin:jwt-claims@global')).toMatchObject({ mark_passed: true });
  });

  it('does not change the entities it is given: the loader gets copies', () => {
    const jwt = {
      kind: 'plugin' as const,
      key: 'plugin:jwt-claims@global',
      label: 'plugin jwt-claims (global)',
      fields: { name: 'jwt-claims', config: { issuers: [] } },
      refs: { service: null, route: null, consumer: null },
    };
    const before = structuredClone(jwt);
    const g = failClosedGuards([jwt], []);
    expect(jwt).toEqual(before);
    expect(g.marked.get(jwt)).toEqual({ ...before, fields: { name: 'jwt-claims', config: { issuers: [], mark_passed: true } } });
  });

  it('refuses mark_passed: false with its file:line: the guard would refuse every request the plugin passes', async () => {
    const r = await load([
      ...HEAD,
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
      '    plugins:',
      '      - name: webhook-signature',
      ...indent(WEBHOOK, 4),
      '          mark_passed: false',
      '    routes:',
      '      - name: orders-api',
      '        paths: [/orders]',
      '        plugins:',
      '          - name: jwt-claims',
      ...indent(JWT, 8),
      '              mark_passed: null',
    ]);
    const refusal = (name: string, value: string) =>
      `_info.fail_closed_guard needs ${name} to mark the requests it lets through, but config.mark_passed is ${value}: ` +
      'the guard kong-ctl adds would refuse every one of them with 503; remove config.mark_passed (kong-ctl then sets ' +
      'it to true) or set it to true, or turn _info.fail_closed_guard off';
    expect(problems(r)).toEqual([
      `12:24 services[0].plugins[0]: ${refusal('webhook-signature', 'false')}`,
      `22:28 services[0].routes[0].plugins[0]: ${refusal('jwt-claims', 'null')}`,
    ]);
    expect(formatDiagnostic(validateDesired(r)[0])).toBe(`<stdin>:12:24: error: services[0].plugins[0]: ${refusal('webhook-signature', 'false')}`);
    // Written as the file says: kong-ctl does not overrule it.
    expect(configOf(r, 'plugin:webhook-signature@service=orders')).toMatchObject({ mark_passed: false });
  });

  it('validate, diff and apply exit 1 on mark_passed: false, before talking to Kong', async () => {
    const file = [...HEAD, 'plugins:', '  - name: jwt-claims', ...JWT, '      mark_passed: false', ''].join('\n');
    nock.disableNetConnect();
    try {
      for (const args of [['validate'], ['diff', '--kong-addr', 'http://kong-admin.test:8001'], ['apply', '--kong-addr', 'http://kong-admin.test:8001']]) {
        const command = args[0];
        const r = await runCli([...args, '-f', '-'], { stdin: file });
        expect(r.code, command).toBe(1);
        expect(r.stderr, command).toMatch(/^<stdin>:10:20: error: plugins\[0\]: _info\.fail_closed_guard needs jwt-claims to mark the requests it lets through, but config\.mark_passed is false: /m);
      }
    } finally {
      nock.enableNetConnect();
    }
  });

  it('leaves disabled security plugins alone: not guarded, not marked', async () => {
    const r = await load([
      ...HEAD,
      'plugins:',
      '  - name: jwt-claims',
      '    enabled: false',
      ...JWT,
      '  - name: webhook-signature',
      '    enabled: false',
      '    service: orders',
      ...WEBHOOK,
      '      mark_passed: false',
      'services:',
      '  - name: orders',
      '    url: http://orders.internal',
    ]);
    expect(problems(r)).toEqual([]);
    expect(guards(r)).toEqual([]);
    expect(configOf(r, 'plugin:jwt-claims@global')).not.toHaveProperty('mark_passed');
    expect(configOf(r, 'plugin:webhook-signature@service=orders')).toMatchObject({ mark_passed: false });
  });

  it('leaves a value of the wrong type to the schema check', async () => {
    const r = await load([...HEAD, 'plugins:', '  - name: jwt-claims', ...JWT, '      mark_passed: "yes"']);
    expect(problems(r)).toEqual(['10:20 plugins[0]: config.mark_passed: expected a boolean']);
  });

  it('turns nothing on with the option off', async () => {
    const r = await load(['_format_version: "3.0"', 'plugins:', '  - name: jwt-claims', ...JWT]);
    expect(problems(r)).toEqual([]);
    expect(configOf(r, 'plugin:jwt-claims@global')).not.toHaveProperty('mark_passed');
  });
});

describe('the option', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'kong-ctl-guard-'));
  afterAll(() => rmSync(tmp, { recursive: true }));
  const write = (name: string, lines: string[]) => {
    const f = path.join(tmp, name);
    writeFileSync(f, lines.join('\n') + '\n');
    return f;
  };

  it('off, absent or false: nothing is added', async () => {
    for (const info of [[], ['_info:', '  fail_closed_guard: false'], ['_info:', '  fail_closed_guard: null']]) {
      const r = await load(['_format_version: "3.0"', ...info, ...ORDERS_JWT_ROUTE]);
      expect(problems(r)).toEqual([]);
      expect(r.state.entities.map((e) => e.key)).toEqual(['service:orders', 'route:orders-api', 'plugin:jwt-claims@route=orders-api']);
    }
  });

  it('of the wrong type: a diagnostic at its line, and no guard', async () => {
    const r = await load(['_format_version: "3.0"', '_info:', '  fail_closed_guard: "yes"', ...ORDERS_JWT_ROUTE]);
    expect(guards(r)).toEqual([]);
    expect(validateDesired(r).map(formatDiagnostic)).toEqual(['<stdin>:3:22: error: _info.fail_closed_guard: expected a boolean']);
    const list = await load(['_format_version: "3.0"', '_info:', '  fail_closed_guard: [true]', ...ORDERS_JWT_ROUTE]);
    expect(validateDesired(list).map(formatDiagnostic)).toEqual(['<stdin>:3:22: error: _info.fail_closed_guard: expected a boolean']);
  });

  it('is merged across files: set in one, it applies to the entities of all', async () => {
    const a = write('a.yaml', ['_format_version: "3.0"', '_info:', '  fail_closed_guard: true']);
    const b = write('b.yaml', ['_format_version: "3.0"', ...ORDERS_JWT_ROUTE]);
    const r = await loadDesired({ files: [a, b], env: {} });
    expect(validateDesired(r)).toEqual([]);
    expect(guards(r).map((g) => [g.key, g.source?.file])).toEqual([['plugin:post-function@route=orders-api', b]]);
  });

  it('files that set it must agree', async () => {
    const a = write('c.yaml', ['_format_version: "3.0"', '_info:', '  fail_closed_guard: true']);
    const b = write('d.yaml', ['_format_version: "3.0"', '_info:', '  fail_closed_guard: false', ...ORDERS_JWT_ROUTE]);
    const r = await loadDesired({ files: [a, b], env: {} });
    expect(validateDesired(r).map(formatDiagnostic)).toEqual([
      `${b}:3:22: error: _info.fail_closed_guard is false here but true in ${a}: all files must agree on the fail-closed guard`,
    ]);
  });
});

describe('the guard in plans', () => {
  /**
   * The live state: jwt-claims on route orders-api with `mark_passed` as given, and with
   * `guard` the post-function as Kong 3.4.2 returns it (every phase of its schema, fixture 039).
   */
  function liveState(markPassed: boolean, guard?: string[]): RawKongState {
    const schema = exchange('039').response.body as { fields: Array<Record<string, { fields?: Array<Record<string, unknown>> }>> };
    const configFields = schema.fields.find((f) => 'config' in f)?.config.fields ?? [];
    const config: Record<string, unknown> = Object.fromEntries(configFields.map((f) => [Object.keys(f)[0], []]));
    config.access = guard;
    return ordersJwtLive(markPassed, guard ? config : undefined);
  }

  const desired = (guard: boolean) => load(ordersJwtFile(guard));
  const plan = async (guard: boolean, live: RawKongState) => {
    const r = await desired(guard);
    expect(problems(r)).toEqual([]);
    return renderPlanText(computePlan(r.state, buildCurrentState(live), kong342SchemasWithJwtClaims(), {}), { color: false, secrets: [] });
  };

  it('turned on for a live jwt-claims: its marker on (mark_passed false → true), and its guard', async () => {
    const changes = [
      '~ plugin jwt-claims (route orders-api)',
      '    config.mark_passed: false → true',
      '+ plugin post-function (route orders-api)',
      '    name: "post-function"',
      `    config.access: ${JSON.stringify([lua('jwt-claims')])}`,
      '    route: route:orders-api',
    ].join('\n');
    expect(await plan(true, liveState(false))).toBe(`${changes}\n\nPlan: 1 to add, 1 to change, 0 to destroy.\n`);
    // docs/fail-closed-guard.md shows this very plan
    expect(readFileSync(path.join(REPO, 'docs', 'fail-closed-guard.md'), 'utf8')).toContain(`\`\`\`\n${changes}\n\`\`\``);
  });

  it("a dump leaves mark_passed out while it is Kong's default, so the guard turns it on over a dumped file", async () => {
    const dumped = renderDump(buildCurrentState(liveState(false)), kong342SchemasWithJwtClaims(), { withDefaults: false, selectTags: [] });
    expect(dumped).not.toContain('mark_passed');
    const r = await loadDesired({ files: ['-'], env: {}, readStdin: async () => `${dumped}_info:\n  fail_closed_guard: true\n` });
    expect(problems(r)).toEqual([]);
    expect(configOf(r, 'plugin:jwt-claims@route=orders-api')).toMatchObject({ mark_passed: true });
    // A dump of a guarded Kong keeps it (with the guard itself, see "A dump of a guarded Kong" in the doc).
    const guarded = renderDump(buildCurrentState(liveState(true, [lua('jwt-claims')])), kong342SchemasWithJwtClaims(), { withDefaults: false, selectTags: [] });
    expect(guarded).toMatch(/^ {8}mark_passed: true$/m);
  });

  it('converge once applied: no change against the guard and the marking jwt-claims as Kong returns them', async () => {
    expect(await plan(true, liveState(true, [lua('jwt-claims')]))).toBe('No changes.\n');
  });

  it('are updated when the security plugins change, and deleted when the option is turned off, markers with them', async () => {
    const stale = await plan(true, liveState(true, [lua('jwt-claims', 'webhook-signature')]));
    expect(stale).toMatch(/^~ plugin post-function \(route orders-api\)\n {4}config\.access: /);
    expect(stale).toMatch(/\n\nPlan: 0 to add, 1 to change, 0 to destroy\.\n$/);
    expect(await plan(false, liveState(true, [lua('jwt-claims')]))).toBe(
      [
        '~ plugin jwt-claims (route orders-api)',
        // The file leaves mark_passed out: false is the plugin schema's default, and the plan says so.
        '    config.mark_passed: true → false  (default: not in the file)',
        '- plugin post-function (route orders-api)',
        '',
        'Plan: 0 to add, 1 to change, 1 to destroy.',
        "1 change comes from Kong's defaults, not from the files: set the field in the files to keep the current value (kong-ctl dump shows it)",
        '',
      ].join('\n'),
    );
  });
});
