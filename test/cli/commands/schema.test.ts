/**
 * `kong-ctl schema`: the JSON Schema editors check decK files with while they are written.
 * It must be a valid draft-07 schema that plain validators (ajv, as editors' are) compile
 * without kong-ctl's own keyword, accept the example the README applies, and say what is wrong
 * with a file where an editor would underline it: offline for this project's plugins, online
 * for every plugin the node has.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const EXAMPLE = readFileSync(join(__dirname, '..', '..', '..', 'kong', 'kong.yaml'), 'utf8').replace(
  '${{ env "DECK_WEBHOOK_SECRET" }}',
  'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
);

/** Compiled as an editor's validator would: strict about unknown keywords, so `x-kong` must be gone. */
function compile(text: string): ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(text));
}

function errorsOf(validate: ValidateFunction, doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const { addr, path } = simSession('kong-ctl-schema-');

describe('kong-ctl schema (offline)', () => {
  it('is a draft-07 schema without kong-ctl keywords, and the example validates against it', async () => {
    const r = await runCli(['schema']);
    expect(r.code, r.stderr).toBe(0);
    // No x-kong keyword (Kong's own values may say x-kong, as response-ratelimiting's default header does).
    expect(r.stdout).not.toMatch(/"x-kong":/);
    expect(JSON.parse(r.stdout)).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', required: ['_format_version'] });
    expect(errorsOf(compile(r.stdout), parse(EXAMPLE))).toEqual([]);
  });

  it("offers Kong 3.4's bundled plugin configs, holding against a file only what no newer Kong accepts either", async () => {
    const schema = JSON.parse((await runCli(['schema'])).stdout);
    const rateLimiting = schema.definitions.plugin.allOf.find((x: any) => x.if.properties.name.const === 'rate-limiting');
    expect(Object.keys(rateLimiting.then.properties.config.properties)).toEqual(expect.arrayContaining(['minute', 'policy', 'redis_host']));
    const validate = compile(JSON.stringify(schema));
    const file = (config: unknown) => ({ _format_version: '3.0', plugins: [{ name: 'rate-limiting', config }] });
    expect(errorsOf(validate, file({ minute: 'lots' }))).toContain('/plugins/0/config/minute must be number,null');
    // A field, a choice or an omission a newer Kong may accept: no underline.
    expect(errorsOf(validate, file({ minute: 5, policy: 'sliding-window', redis: { host: 'redis' } }))).toEqual([]);
    expect(errorsOf(validate, { _format_version: '3.0', plugins: [{ name: 'opentelemetry', config: { traces_endpoint: 'http://c:4318' } }] })).toEqual([]);
  });

  it("says what is wrong where an editor underlines it: this project's plugin configs, Kong's types and values", async () => {
    const validate = compile((await runCli(['schema'])).stdout);
    const doc = parse(EXAMPLE);
    doc.services[0].port = 'eighty';
    doc.services[0].routes[0].plugins[0].config.consumer_cache_ttl = 7200;
    doc.services[0].routes[1].plugins[0].config.reqired = true;
    doc.services[0].routes[2].plugins[0].config.scheme = 'stripey';
    doc.services[0].routes[2].protocols = ['gopher'];
    const errors = errorsOf(validate, doc);
    expect(errors).toContain('/services/0/port must be integer,null');
    expect(errors).toContain('/services/0/routes/0/plugins/0/config/consumer_cache_ttl must be <= 3600');
    expect(errors).toContain('/services/0/routes/1/plugins/0/config must NOT have additional properties');
    expect(errors).toContain('/services/0/routes/2/plugins/0/config/scheme must be equal to one of the allowed values');
    expect(errors).toContain('/services/0/routes/2/protocols/0 must be equal to one of the allowed values');
    expect(errors.filter((e) => e.startsWith('/_format_version'))).toEqual([]);
    expect(errorsOf(validate, { ...parse(EXAMPLE), _format_version: '1.1' })).toContain('/_format_version must be equal to constant');
  });

  it('carries the descriptions and defaults of the plugin schemas, for hover help and completion', async () => {
    const schema = JSON.parse((await runCli(['schema'])).stdout);
    const byName = (name: string) => schema.definitions.plugin.allOf.find((c: any) => c.if.properties.name.const === name).then.properties.config;
    const idem = byName('idempotency').properties;
    expect(idem.header_name).toMatchObject({ default: 'Idempotency-Key', description: expect.any(String) });
    expect(typeof byName('webhook-signature').properties.scheme.description).toBe('string');
    // Offline, any plugin name is accepted (a custom plugin, a newer Kong's): the known ones are offered.
    expect(schema.definitions.plugin.properties.name.enum).toBeUndefined();
    expect(schema.definitions.plugin.properties.name.examples).toEqual(expect.arrayContaining(['rate-limiting', 'jwt-claims', 'idempotency']));
  });

  it('-o writes the file and says so on stderr', async () => {
    const out = path('kong-ctl.schema.json');
    const r = await runCli(['schema', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Wrote the JSON Schema of Kong 3.4 to 3.9 (offline baseline`);
    expect(() => compile(readFileSync(out, 'utf8'))).not.toThrow();
  });
});

describe('kong-ctl schema --online', () => {
  it("describes the node: exactly its plugins, each with the config schema it serves", async () => {
    const r = await runCli(['schema', '--online', ...addr()]);
    expect(r.code, r.stderr).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.title).toMatch(/^decK file for Kong 3\.4\.2 at http:\/\/127\.0\.0\.1:\d+ \(kong-ctl\)$/);
    const names: string[] = schema.definitions.plugin.properties.name.enum;
    expect(names).toContain('rate-limiting');
    expect(names).not.toContain('ai-proxy'); // a later Kong's: not on this node
    const validate = compile(r.stdout);
    const rl = schema.definitions.plugin.allOf.find((c: any) => c.if.properties.name.const === 'rate-limiting').then.properties.config;
    expect(rl.properties.minute.description).toBe('The number of HTTP requests that can be made per minute.');

    const doc = { _format_version: '3.0', plugins: [{ name: 'rate-limiting', config: { minute: -1, policy: 'cluster-ish' } }, { name: 'ai-proxy' }] };
    const errors = errorsOf(validate, doc);
    expect(errors).toContain('/plugins/0/config/minute must be > 0');
    expect(errors).toContain('/plugins/0/config/policy must be equal to one of the allowed values');
    expect(errors).toContain('/plugins/1/name must be equal to one of the allowed values');
    expect(errorsOf(validate, { _format_version: '3.0', plugins: [{ name: 'rate-limiting', config: { minute: 5 } }] })).toEqual([]);
  });
});
