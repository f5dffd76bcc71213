/**
 * The Kong-schema validator against REAL Kong 3.4.2 schemas and answers: what Kong refused
 * must be refused with Kong's words, and what Kong accepted and returned must pass.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRecord,
  checkValue,
  fieldError,
  formatFieldPath,
} from '../../../cli/src/desired/kong-schema-check';
import { KONG_ENTITY_SCHEMAS, entityFields } from '../../../cli/src/desired/kong-entity-schemas';
import type { FieldList, FieldSchema } from '../../../cli/src/model/schema';
import { configFields, exchange, pluginSchemas } from './helpers';

const PLUGINS = pluginSchemas();

function flat(problems: Array<{ path: Array<string | number>; message: string }>): Record<string, string> {
  return Object.fromEntries(problems.map((p) => [formatFieldPath(p.path) || '@entity', p.message]));
}

function field(fields: FieldList, name: string): FieldSchema {
  const f = fields.find((x) => name in x)?.[name];
  if (!f) throw new Error(`no field ${name}`);
  return f;
}

describe('what Kong 3.4.2 refused, refused with the same words', () => {
  it('rate-limiting config {minute: -1, policy: nope} (fixture 095)', () => {
    const x = exchange('095');
    const body = x.request.body as { config: unknown };
    const problems = checkRecord(body.config, configFields(PLUGINS['rate-limiting']), { path: ['config'] });
    expect(flat(problems)).toEqual({
      'config.minute': x.response.body.fields.config.minute,
      'config.policy': x.response.body.fields.config.policy,
    });
  });

  it('rate-limiting config {} fails the plugin entity check (fixture 124)', () => {
    const x = exchange('124');
    const { name: _name, ...entity } = x.request.body as Record<string, unknown>;
    const rl = PLUGINS['rate-limiting'];
    const problems = checkRecord(entity, rl.fields, { entityChecks: rl.entity_checks });
    expect(problems.map((p) => p.message)).toEqual(x.response.body.fields['@entity']);
  });

  it('a service with port 99999 and no host (fixture 122)', () => {
    const x = exchange('122');
    const problems = checkRecord(x.request.body, KONG_ENTITY_SCHEMAS.service.fields);
    expect(flat(problems)).toEqual(x.response.body.fields);
  });

  it('a service with a bad port, protocol and an unknown field (fixture 061)', () => {
    const x = exchange('061');
    const problems = checkRecord(x.request.body, KONG_ENTITY_SCHEMAS.service.fields);
    expect(flat(problems)).toEqual(x.response.body.fields);
  });

  it('route paths with empty segments (fixture 068)', () => {
    const x = exchange('068');
    const body = x.request.body as { paths: string[] };
    const paths = field(KONG_ENTITY_SCHEMAS.route.fields, 'paths');
    expect(checkValue(body.paths, paths).map((p) => p.message)).toEqual(x.response.body.fields.paths);
  });
});

describe('what Kong 3.4.2 accepted and returned, accepted', () => {
  it.each(['107', '085', '086', '087', '088', '089', '090', '091', '096'])('plugins in fixture %s', (n) => {
    const body = exchange(n).response.body;
    const plugins = (Array.isArray(body.data) ? body.data : [body]) as Array<Record<string, unknown>>;
    for (const p of plugins) {
      const schema = PLUGINS[String(p.name)];
      expect(checkRecord(p.config, configFields(schema), { path: ['config'] }), String(p.name)).toEqual([]);
      expect(checkRecord(p, schema.fields, { entityChecks: schema.entity_checks }).filter((x) => x.path[0] === 'config')).toEqual([]);
    }
  });

  it.each([
    ['103', 'service'],
    ['106', 'route'],
    ['109', 'consumer'],
    ['110', 'upstream'],
    ['101', 'target'],
    ['079', 'keyauth_credential'],
    ['080', 'jwt_secret'],
    ['081', 'basicauth_credential'],
    ['082', 'hmacauth_credential'],
    ['083', 'acl'],
  ] as const)('entities in fixture %s (%s)', (n, kind) => {
    const schema = KONG_ENTITY_SCHEMAS[kind];
    for (const e of exchange(n).response.body.data as unknown[]) {
      expect(checkRecord(e, entityFields(kind), { entityChecks: schema.entity_checks })).toEqual([]);
    }
  });
});

describe('Kong schema semantics', () => {
  const routeFields = KONG_ENTITY_SCHEMAS.route.fields;

  it('checks map keys and values (route headers cannot hold Host)', () => {
    const headers = field(routeFields, 'headers');
    expect(checkValue({ Host: ['a'], 'x-v': 'one' }, headers, ['headers'])).toEqual([
      {
        path: ['headers', 'Host'],
        message: "invalid key: cannot contain 'host' header, which must be specified in the 'hosts' attribute",
        atKey: true,
      },
      { path: ['headers', 'x-v'], message: 'expected an array' },
    ]);
  });

  it('runs entity checks of records inside sets (route sources)', () => {
    const sources = field(routeFields, 'sources');
    expect(checkValue([{ ip: '10.0.0.1' }, {}, { port: 70000 }], sources, ['sources'])).toEqual([
      { path: ['sources', 1], message: "at least one of these fields must be non-empty: 'ip', 'port'" },
      { path: ['sources', 2, 'port'], message: 'value should be between 0 and 65535' },
    ]);
  });

  it('reads defaults for conditional entity checks, as Kong does after filling them', () => {
    const up = KONG_ENTITY_SCHEMAS.upstream;
    // hash_on defaults to none, which forces hash_fallback to none.
    expect(flat(checkRecord({ name: 'u', hash_fallback: 'ip' }, up.fields, { entityChecks: up.entity_checks }))).toEqual({
      hash_fallback: 'expected one of: none when hash_on is none',
    });
    expect(checkRecord({ name: 'u', hash_on: 'ip', hash_fallback: 'header', hash_fallback_header: 'x-h' }, up.fields, { entityChecks: up.entity_checks })).toEqual([]);
  });

  it('fills required records from their sub-defaults and reports what stays missing', () => {
    const rt = configFields(PLUGINS['request-transformer']);
    expect(checkRecord({}, rt)).toEqual([]);
    expect(checkRecord({ add: { headers: ['a:b'] } }, rt)).toEqual([]);
    const hl = configFields(PLUGINS['http-log']);
    expect(flat(checkRecord({}, hl))).toEqual({ http_endpoint: 'required field missing' });
  });

  it('refuses empty strings and explicit null on required fields', () => {
    expect(fieldError('', { type: 'string' })).toBe('length must be at least 1');
    expect(fieldError(null, { type: 'string', required: true, default: 'x' })).toBe('required field missing');
    expect(fieldError(null, { type: 'string' })).toBeNull();
  });

  it('skips vault references in referenceable fields', () => {
    const password = field(configFields(PLUGINS['rate-limiting']), 'redis_password');
    expect(password.referenceable).toBe(true);
    expect(fieldError('{vault://env/redis-password}', { ...password, len_min: 64 })).toBeNull();
    expect(fieldError('short', { ...password, len_min: 64 })).toBe('length must be at least 64');
  });

  it('does not guess on Lua patterns outside the supported subset', () => {
    expect(fieldError('((x)', { type: 'string', match: '^%b()$' })).toBeNull();
    expect(fieldError('abc', { type: 'string', match: '^%d+$' })).toBe('invalid value: abc');
  });

  it('applies Kong validators in order, first failure wins', () => {
    const f: FieldSchema = { type: 'string', one_of: ['a', 'bb'], len_min: 2 };
    expect(fieldError('a', f)).toBe('length must be at least 2');
    expect(fieldError('c', f)).toBe('expected one of: a, bb');
    expect(fieldError(5, { type: 'integer', between: [1, 3], gt: 4 })).toBe('value should be between 1 and 3');
    expect(fieldError(0, { type: 'number', between: [0, 3], gt: 0 })).toBe('value must be greater than 0');
    expect(fieldError(1.5, { type: 'integer' })).toBe('expected an integer');
    expect(fieldError('x', { type: 'string', uuid: true })).toBe('expected a valid UUID');
    expect(fieldError(['a'], { type: 'array', elements: { type: 'string' }, contains: 'b' })).toBe('expected to contain: b');
    expect(fieldError('/x', { type: 'string', starts_with: '~' })).toBe('should start with: ~');
  });
});
