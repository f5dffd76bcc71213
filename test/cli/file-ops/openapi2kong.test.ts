/**
 * `kong-ctl file openapi2kong`: decK's `deck file openapi2kong`. go-apiops' own golden files
 * (test/fixtures/openapi2kong, see its README) are converted through the CLI, as go-apiops' test
 * converts them, and must give decK's document; the outputs must pass `kong-ctl validate`.
 * Documents are compared as data: decK writes Go maps, whose keys come sorted, and kong-ctl sorts
 * them the same way, but Go's JSON also escapes '<' and '>' in strings, which JSON.parse undoes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-o2k-');
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'openapi2kong');
const CASES = readdirSync(FIXTURES).filter((f) => f.endsWith('.yaml')).sort();

/**
 * go-apiops' test options: its two tags unless the spec sets x-kong-tags, and OIDC generation on;
 * the `_inso` variant with Inso compatibility, the `_skip_header` one without routes by header.
 * Like go-apiops, the default variant reads the spec's `x-test-config`: `reuseServices: true`
 * turns on service reuse (decK's --reuse-services) for that file.
 */
function goldenArgs(file: string, variant: 'default' | 'inso' | 'skip_header'): string[] {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  const tags = variant !== 'default' || !text.includes('x-kong-tags:') ? ['--select-tag', `OAS3_import,OAS3file_${file}`] : [];
  const extra = { default: ['--generate-security'], inso: ['--inso-compatible'], skip_header: ['--skip-route-by-header'] }[variant];
  const testConfig = (parse(text) as Record<string, unknown> | null)?.['x-test-config'] as Record<string, unknown> | undefined;
  if (variant === 'default' && testConfig?.reuseServices === true) extra.push('--reuse-services');
  return ['file', 'openapi2kong', '-s', join(FIXTURES, file), '--format', 'json', ...tags, ...extra];
}

async function convert(args: string[], stdin?: string): Promise<Record<string, unknown>> {
  const r = await runCli(args, { stdin });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const SPEC = `openapi: 3.1.0
info:
  title: Orders API
  version: "1"
servers:
  - url: https://{region}.orders.example.com:8443/v1
    variables:
      region:
        default: eu
x-kong-tags: [team-orders]
paths:
  /orders/{id}:
    x-kong-route-defaults:
      regex_priority: 50
    get:
      operationId: getOrder
      parameters:
        - $ref: '#/components/parameters/id'
        - in: header
          name: X-Version
          required: true
          schema: { enum: [v1, v2] }
        - in: header
          name: X-Optional
          schema: { enum: [a, b] }
    x-kong-plugin-rate-limiting:
      $ref: '#/components/x-kong/limits/strict'
components:
  parameters:
    id:
      in: path
      name: id
      required: true
      schema: { type: string, minLength: 0 }
  x-kong:
    limits:
      strict:
        config: { minute: 5 }
`;

describe('kong-ctl file openapi2kong: go-apiops golden files', () => {
  for (const file of CASES) {
    const base = file.replace(/\.yaml$/, '');
    it(`${base} converts as decK does`, async () => {
      const expected = JSON.parse(readFileSync(join(FIXTURES, `${base}.expected.json`), 'utf8'));
      expect(await convert(goldenArgs(file, 'default'))).toEqual(expected);
    });
    for (const [variant, flag] of [['inso', '--inso-compatible'], ['skip_header', '--skip-route-by-header']] as const) {
      if (!existsSync(join(FIXTURES, `${base}.expected_${variant}.json`))) continue;
      it(`${base} converts as decK does with ${flag}`, async () => {
        const expected = JSON.parse(readFileSync(join(FIXTURES, `${base}.expected_${variant}.json`), 'utf8'));
        expect(await convert(goldenArgs(file, variant))).toEqual(expected);
      });
    }
  }

  // go-apiops converts this one again with IgnoreSecurityErrors: a valid scheme still makes its plugin (decK #1829).
  it('38-ignore-security-errors-oidc converts as decK does with --ignore-security-errors', async () => {
    const file = '38-ignore-security-errors-oidc.yaml';
    const expected = JSON.parse(readFileSync(join(FIXTURES, '38-ignore-security-errors-oidc.expected.json'), 'utf8'));
    expect(await convert([...goldenArgs(file, 'default'), '--ignore-security-errors'])).toEqual(expected);
  });

  /**
   * What offline validation may refuse, and why: request-validator, openid-connect and
   * rate-limiting-advanced are Kong Enterprise plugins the offline baseline (Kong OSS) does not
   * know, and 12 (and 14) name two operations alike ('opsid',
   * 'getHelp'), so decK makes two routes of the same name and id, which Kong refuses.
   */
  const EXPECTED_REFUSALS: Record<string, RegExp> = {
    '38-ignore-security-errors-oidc.yaml': /unknown plugin 'openid-connect'/,
    '016a-security-oidc-generation-no-component-extension.yaml': /unknown plugin 'openid-connect'/,
    '12-path-parameter-regex.yaml': /duplicate route path-parameter-test_opsid/,
    '13-request-validator-plugin.yaml': /unknown plugin 'request-validator'/,
    '14-no-request-validator-plugin.yaml': /duplicate route mock-target-api_gethelp|unknown plugin 'request-validator'/,
    '16-security-oidc-generation.yaml': /unknown plugin 'openid-connect'/,
    '17-request-validator-plugin-oneOf-usage.yaml': /unknown plugin 'request-validator'/,
    '18-request-validator-plugin-path-params-outside-ops.yaml': /unknown plugin 'request-validator'/,
    '19-request-validator-plugin-op-params-override-path-params.yaml': /unknown plugin 'request-validator'/,
    '26-request-validator-plugin-operation-parameter-schema.yaml': /unknown plugin 'request-validator'/,
    '26-request-validator-plugin-path-parameter-schema.yaml': /unknown plugin 'request-validator'/,
    '29-routes-with-headers-duplicate-plugin-id.yaml': /unknown plugin 'rate-limiting-advanced'/,
  };

  it('every golden output passes kong-ctl validate (offline), but for what the spec asks that Kong OSS refuses', async () => {
    expect(CASES.length).toBeGreaterThan(5);
    for (const file of CASES) {
      const out = session.write(`${file}.kong.yaml`, (await runCli(goldenArgs(file, 'default'))).stdout);
      const v = await runCli(['validate', '-f', out]);
      const errors = (v.stdout + v.stderr).split('\n').filter((l) => / error: /.test(l));
      const allowed = EXPECTED_REFUSALS[file];
      if (!allowed) {
        expect(v.code, `${file}: ${v.stdout}${v.stderr}`).toBe(0);
        continue;
      }
      expect(v.code, file).toBe(1);
      expect(errors.length, file).toBeGreaterThan(0);
      for (const e of errors) expect(e, file).toMatch(allowed);
    }
  });
});

describe('kong-ctl file openapi2kong', () => {
  it('reads servers with variables, $refs, x-kong-tags, x-kong-* extensions and enum headers', async () => {
    const out = await convert(['file', 'openapi2kong', '--format', 'json'], SPEC);
    const [service] = out.services as Record<string, unknown>[];
    expect(service).toMatchObject({ name: 'orders-api', host: 'eu.orders.example.com', port: 8443, protocol: 'https', path: '/v1', tags: ['team-orders'] });
    const routes = service.routes as Record<string, unknown>[];
    // One route per value of the required X-Version (named in lowercase: header names are
    // case-insensitive), then the route without headers; each with the path's plugin from
    // components.x-kong. The optional X-Optional routes nothing.
    expect(routes.map((r) => [r.name, r.headers])).toEqual([
      ['orders-api_getorder_0', { 'x-version': ['v1'] }],
      ['orders-api_getorder_1', { 'x-version': ['v2'] }],
      ['orders-api_getorder', undefined],
    ]);
    // minLength 0 allows an empty segment; a templated path ranks one below the route defaults' priority.
    expect(routes[0]).toMatchObject({ paths: ['~/orders/(?<id>[^#?/]*)$'], regex_priority: 49, methods: ['GET'], strip_path: false });
    expect((routes[0].plugins as Record<string, unknown>[]).map((p) => [p.name, p.config])).toEqual([['rate-limiting', { minute: 5 }]]);
    expect(new Set(routes.map((r) => r.id)).size).toBe(3);
    // Two routes cannot share a plugin: each copy's plugin gets an id of its own.
    expect(new Set(routes.map((r) => (r.plugins as Record<string, unknown>[])[0].id)).size).toBe(3);
  });

  it('--reuse-services: one service for paths whose servers are one backend, but not for a path with plugins', async () => {
    const spec = `openapi: 3.0.3
info: { title: Shop, version: "1" }
x-kong-plugin-cors: { config: { origins: ["*"] } }
paths:
  /a:
    servers: [{ url: "https://api.example.com" }]
    get: {}
  /b:
    servers: [{ url: "https://{h}:443/", variables: { h: { default: api.example.com } } }]
    get: {}
  /c:
    servers: [{ url: "https://api.example.com" }]
    x-kong-plugin-key-auth: {}
    get: {}
  /d:
    servers: [{ url: "http://api.example.com" }]
    get: {}
`;
    const shared = await convert(['file', 'openapi2kong', '--format', 'json', '--reuse-services'], spec);
    const services = shared.services as Record<string, unknown>[];
    // https://api.example.com and https://api.example.com:443/ are the same backend; /c keeps its key-auth to itself.
    expect(services.map((s) => [s.name, (s.routes as Record<string, unknown>[]).map((r) => r.name)])).toEqual([
      ['shop_a', ['shop_a_get', 'shop_b_get']],
      ['shop_c', ['shop_c_get']],
      ['shop_d', ['shop_d_get']],
    ]);
    // The shared service carries the document's plugins once, as a service of its own would.
    expect((services[0].plugins as Record<string, unknown>[]).map((p) => p.name)).toEqual(['cors']);
    expect((services[1].plugins as Record<string, unknown>[]).map((p) => p.name)).toEqual(['cors', 'key-auth']);
    const separate = await convert(['file', 'openapi2kong', '--format', 'json'], spec);
    expect((separate.services as unknown[]).length).toBe(4);
  });

  it("routes by a path header when the operation's parameter of that name has no enum, validating with the operation's", async () => {
    // go-apiops 26-request-validator-plugin-path-operation-parameter-schema as of 5f31d575: the
    // operation's `enum` sits beside its schema, so only the path's `env` routes. Its output there
    // (before the route without headers and per-header plugin ids) gives the routes by header below.
    const spec = `openapi: 3.0.0
info: { description: Test service, version: 1.0.0, title: Test Service }
x-kong-plugin-request-validator:
  enabled: true
paths:
  /sample-group/sample-service/sample-api/v1/get-result:
    parameters:
      - in: header
        name: env
        required: true
        schema:
          type: string
          enum: [dev]
    get:
      parameters:
        - in: header
          name: env
          required: true
          schema:
            type: string
          enum: [qa]
      responses: { "200": { description: OK } }
    options:
      responses: { "200": { description: OK } }
`;
    const out = await convert(['file', 'openapi2kong', '--format', 'json', '--select-tag', 'OAS3_import,OAS3file_26-request-validator-plugin-path-operation-parameter-schema.yaml'], spec);
    const routes = (out.services as Record<string, unknown>[])[0].routes as Record<string, unknown>[];
    const validator = (r: Record<string, unknown>) => ((r.plugins as Record<string, unknown>[])[0].config as { parameter_schema: Record<string, unknown>[] }).parameter_schema[0].schema;
    expect(routes.map((r) => [r.name, r.id, r.headers, validator(r)])).toEqual([
      ['test-service_sample-group-sample-service-sample-api-v1-get-result_get_0', '4c11d945-2325-5817-9249-2a1973c229af', { env: ['dev'] }, '{"type":"string"}'],
      ['test-service_sample-group-sample-service-sample-api-v1-get-result_get', '04fe9734-c93d-59bc-8723-528a778996c3', undefined, '{"type":"string"}'],
      ['test-service_sample-group-sample-service-sample-api-v1-get-result_options_0', '13fe35c4-9665-5433-8d0b-a840713d32db', { env: ['dev'] }, '{"enum":["dev"],"type":"string"}'],
      ['test-service_sample-group-sample-service-sample-api-v1-get-result_options', 'a9452a70-c0fe-5a3b-8446-c329ba5c55e2', undefined, '{"enum":["dev"],"type":"string"}'],
    ]);
  });

  it('derives names and ids from --uuid-base, and leaves ids out with --no-id', async () => {
    const a = await convert(['file', 'openapi2kong', '--format', 'json', '--uuid-base', 'Team A'], SPEC);
    const b = await convert(['file', 'openapi2kong', '--format', 'json', '--uuid-base', 'Team B'], SPEC);
    const sa = (a.services as Record<string, unknown>[])[0];
    const sb = (b.services as Record<string, unknown>[])[0];
    expect(sa.name).toBe('team-a');
    expect(sa.id).not.toBe(sb.id);
    const again = await convert(['file', 'openapi2kong', '--format', 'json', '--uuid-base', 'Team A'], SPEC);
    expect(again).toEqual(a);
    const noId = await convert(['file', 'openapi2kong', '--format', 'json', '--no-id'], SPEC);
    expect(JSON.stringify(noId)).not.toContain('"id"');
  });

  it('writes YAML by default, with --select-tag over x-kong-tags', async () => {
    const r = await runCli(['file', 'openapi2kong', '--select-tag', 'a,b', '--select-tag', 'c'], { stdin: SPEC });
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(r.stdout) as Record<string, unknown>;
    expect(doc._format_version).toBe('3.0');
    expect((doc.services as Record<string, unknown>[])[0].tags).toEqual(['a', 'b', 'c']);
  });

  it('reads JSON specs', async () => {
    const json = JSON.stringify(parse(SPEC));
    const fromJson = await convert(['file', 'openapi2kong', '--format', 'json'], json);
    expect(fromJson).toEqual(await convert(['file', 'openapi2kong', '--format', 'json'], SPEC));
  });

  it('refuses Swagger 2.0, as decK does, saying where', async () => {
    const r = await runCli(['file', 'openapi2kong'], { stdin: 'swagger: "2.0"\ninfo: { title: t, version: "1" }\npaths: {}\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('<stdin>:1:10: this is a Swagger 2.0 document: openapi2kong converts OpenAPI 3.x only');
  });

  it('reports bad input at file:line:column and writes nothing', async () => {
    const out = join(session.dir(), 'never.yaml');
    const cases: [string, string][] = [
      ['openapi: 3.0.0\npaths:\n  /a: [\n', '<stdin>:4:1: invalid YAML/JSON'],
      ['openapi: 3.0.0\ninfo: { title: t }\npaths:\n  /a:\n    get:\n      x-kong-plugin-cors: 12\n', "<stdin>:6:27: expected 'x-kong-plugin-cors' to be a JSON/YAML object"],
      ['openapi: 3.0.0\ninfo: { title: t }\npaths:\n  /a:\n    x-kong-route-defaults: { $ref: "#/components/x-kong/nope" }\n    get: {}\n', "<stdin>:5:36: reference '#/components/x-kong/nope' not found"],
      ['openapi: 3.0.0\ninfo: { title: t }\npaths:\n  /a:\n    get:\n      parameters: [{ $ref: "#/components/parameters/gone" }]\n', "<stdin>:6:28: '$ref: #/components/parameters/gone' points to nothing"],
      ['openapi: 3.0.0\ninfo: { title: t }\nservers: [{ url: "backend.example.com/x" }]\npaths: {}\n', "<stdin>:3:18: failed to parse uri 'backend.example.com/x'"],
      ['openapi: 3.0.0\ninfo: { title: t }\n', 'must have `.paths` in the root of the document'],
    ];
    for (const [stdin, message] of cases) {
      const r = await runCli(['file', 'openapi2kong', '-o', out], { stdin });
      expect(r.code, stdin).toBe(1);
      expect(r.stderr).toContain(message);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses a path parameter name of 32 characters or more, as PCRE does', async () => {
    const r = await runCli(['file', 'openapi2kong'], {
      stdin: 'openapi: 3.0.3\ninfo: { title: t }\npaths:\n  /demo/{something-very-long-that-is-way-beyond-the-32-limit}/:\n    get: {}\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('path-parameter name exceeds 32 characters');
  });
});
