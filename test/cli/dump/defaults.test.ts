import { describe, expect, it } from 'vitest';
import { equalsDefault, fieldsFor, stripDefaults } from '../../../cli/src/dump/defaults';
import type { FieldList, Schemas } from '../../../cli/src/model/schema';
import { entitySchemas, listData, pluginSchemas } from '../kong/fixtures';

const schemas: Schemas = { entities: entitySchemas(), plugins: pluginSchemas() };

describe('equalsDefault', () => {
  it('compares sets without order, arrays with order', () => {
    expect(equalsDefault(['https', 'http', 'grpcs', 'grpc'], { type: 'set', default: ['grpc', 'grpcs', 'http', 'https'] })).toBe(true);
    expect(equalsDefault(['b', 'a'], { type: 'array', default: ['a', 'b'] })).toBe(false);
    expect(equalsDefault(['a', 'b'], { type: 'array', default: ['a', 'b'] })).toBe(true);
  });

  it('treats Lua’s empty table {} as the empty list for array fields', () => {
    expect(equalsDefault([], { type: 'array', default: {} })).toBe(true);
    expect(equalsDefault({}, { type: 'array', default: [] })).toBe(true);
    expect(equalsDefault(['x'], { type: 'array', default: {} })).toBe(false);
  });

  it('is false when the schema has no default', () => {
    expect(equalsDefault(null, { type: 'string' })).toBe(false);
  });
});

describe('stripDefaults with the recorded schemas', () => {
  it('reduces the recorded upstream to what was chosen (healthchecks are all defaults)', () => {
    const up = { ...listData('110')[0] };
    delete up.id;
    delete up.created_at;
    delete up.updated_at;
    expect(stripDefaults(up, schemas.entities.upstream!.fields)).toEqual({ name: 'orders-up', tags: ['team-a'] });
  });

  it('keeps only the non-default parts of a record', () => {
    const up = listData('110')[0] as any;
    const changed = { ...up, healthchecks: { ...up.healthchecks, active: { ...up.healthchecks.active, concurrency: 20 } } };
    const out = stripDefaults(changed, schemas.entities.upstream!.fields);
    expect(out.healthchecks).toEqual({ active: { concurrency: 20 } });
  });

  it('strips a plugin’s config with its own schema and the rest with the plugin entity schema', () => {
    const rl = listData('107').find((p) => p.name === 'rate-limiting' && p.consumer === null)!;
    const fields = { ...rl } as Record<string, unknown>;
    for (const k of ['id', 'created_at', 'updated_at', 'service', 'route', 'consumer']) delete fields[k];
    const { fields: list, shorthands } = fieldsFor('plugin', fields, schemas);
    expect(stripDefaults(fields, list, shorthands)).toEqual({ name: 'rate-limiting', config: { minute: 100 }, tags: ['team-a'] });
  });

  it('drops shorthand aliases (Kong ≥ 3.6 echoes redis_host beside redis.host) and keeps unknown fields', () => {
    const fields: FieldList = [{ redis: { type: 'record', fields: [{ host: { type: 'string' } }, { port: { type: 'integer', default: 6379 } }] } }];
    const shorthands: FieldList = [{ redis_host: { type: 'string' } }];
    expect(stripDefaults({ redis_host: 'r', redis: { host: 'r', port: 6379 }, extra: 1, gone: null }, fields, shorthands)).toEqual({
      redis: { host: 'r' },
      extra: 1,
    });
  });
});
