/**
 * `kong-ctl file …` and `render` with keys spelled like Object.prototype members (`__proto__`,
 * `constructor`): to Kong and to decK they are keys like any other, so every command that
 * copies or edits a map must keep them. Before, objects rebuilt with `out[k] = v` lost a
 * `__proto__` key, and lookups through the prototype found Object's `constructor`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-file-proto-');

type Obj = Record<string, unknown>;

const FILE = `_format_version: "3.0"
services:
- name: s1
  url: http://example.com
  plugins:
  - name: http-log
    config:
      http_endpoint: http://log.example.com/x
      headers:
        __proto__: p
        constructor: c
        x-other: o
`;

const own = (o: unknown) => Object.keys(o as Obj).sort();
const ownValue = (o: unknown, k: string) => Object.getOwnPropertyDescriptor(o, k)?.value as unknown;

describe('file patch', () => {
  const HEADERS = '$..plugins[*].config.headers';

  it('--value sets a key named __proto__ and removes one named constructor', async () => {
    const r = await runCli(['file', 'patch', '-s', session.write('k.yaml', FILE), '--selector', HEADERS, '--value', '__proto__:"new"', '--value', 'constructor:']);
    expect(r.code, r.stderr).toBe(0);
    const headers = (parse(r.stdout) as { services: Array<{ plugins: Array<{ config: Obj }> }> }).services[0].plugins[0].config.headers;
    expect(own(headers)).toEqual(['__proto__', 'x-other']);
    expect(ownValue(headers, '__proto__')).toBe('new');
  });

  it('a patch file sets __proto__ and removes constructor', async () => {
    const patch = session.write(
      'patch.yaml',
      `_format_version: "1.0"
patches:
- selectors: ['${HEADERS}']
  values:
    __proto__: from-file
  remove: [constructor]
`,
    );
    const r = await runCli(['file', 'patch', '-s', session.write('k.yaml', FILE), patch]);
    expect(r.code, r.stderr).toBe(0);
    const headers = (parse(r.stdout) as { services: Array<{ plugins: Array<{ config: Obj }> }> }).services[0].plugins[0].config.headers;
    expect(own(headers)).toEqual(['__proto__', 'x-other']);
    expect(ownValue(headers, '__proto__')).toBe('from-file');
  });
});

describe('file kong2kic', () => {
  it('keeps the keys in the KongPlugin config', async () => {
    const r = await runCli(['file', 'kong2kic', '-s', session.write('k.yaml', FILE)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/headers:\n\s+__proto__: p\n\s+constructor: c\n\s+x-other: o\n/);
  });
});

describe('file openapi2kong', () => {
  const SPEC = (ref: string) => `openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "http://example.com"}]
x-kong-plugin-http-log:
  config:
    http_endpoint: http://log.example.com/x
    headers:
      __proto__: p
      constructor: c
components:
  schemas:
    __proto__:
      type: object
      properties: {a: {type: string}}
  x-kong:
    logs:
      config:
        http_endpoint: http://log.example.com/y
paths:
  /a:
    post:
      operationId: a
      x-kong-plugin-request-validator:
        enabled: true
      x-kong-plugin-file-log:
        $ref: '${ref}'
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/__proto__'
      responses: {"200": {description: ok}}
`;

  it('keeps a plugin config key named __proto__ and a component schema named __proto__', async () => {
    const r = await runCli(['file', 'openapi2kong', '-s', session.write('spec.yaml', SPEC('#/components/x-kong/logs'))]);
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout) as { services: Array<{ plugins: Array<{ config: Obj }>; routes: Array<{ plugins: Array<{ name: string; config: Obj }> }> }> };
    expect(own(out.services[0].plugins[0].config.headers)).toEqual(['__proto__', 'constructor']);
    const validator = out.services[0].routes[0].plugins.find((p) => p.name === 'request-validator')!;
    const schema = JSON.parse(validator.config.body_schema as string) as { $ref: string; definitions: Obj };
    expect(schema.$ref).toBe('#/definitions/__proto__');
    expect(own(schema.definitions)).toEqual(['__proto__']);
  });

  it("a $ref to '#/components/x-kong/constructor' is not found, as any other name", async () => {
    const r = await runCli(['file', 'openapi2kong', '-s', session.write('spec.yaml', SPEC('#/components/x-kong/constructor'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("reference '#/components/x-kong/constructor' not found");
  });
});

describe('render', () => {
  it('keeps a map key named __proto__ in the declarative config', async () => {
    const out = session.write('out.json', '');
    const r = await runCli(['render', '-f', session.write('k.yaml', FILE), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { plugins: Array<{ config: Obj }> };
    expect(own(doc.plugins[0].config.headers)).toEqual(['__proto__', 'constructor', 'x-other']);
  });
});

describe('file lint', () => {
  const DOC = `_format_version: "3.0"
services:
- name: s
  host: x
  plugins:
  - name: http-log
    config:
      headers:
        __proto__: p
`;

  it('xor counts a property named constructor only when the value has it', async () => {
    const rules = session.write(
      'rules.yaml',
      `rules:
  one-of-them:
    given: $.services[*]
    severity: error
    then:
      function: xor
      functionOptions:
        properties: [constructor, host]
`,
    );
    const r = await runCli(['file', 'lint', '-s', session.write('k.yaml', DOC), rules]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('a draft-04 schema may name a property __proto__', async () => {
    const rules = session.write(
      'rules.yaml',
      `rules:
  proto-schema:
    given: $.services[*].plugins[*].config.headers
    severity: error
    then:
      function: schema
      functionOptions:
        schema:
          $schema: http://json-schema.org/draft-04/schema#
          type: object
          properties:
            __proto__: {type: string}
`,
    );
    const r = await runCli(['file', 'lint', '-s', session.write('k.yaml', DOC), rules]);
    expect(r.stderr).not.toContain('not a valid draft4 JSON Schema');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
