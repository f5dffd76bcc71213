import { describe, expect, it } from 'vitest';
import type { KongFieldList } from '../../../plugins/shared/kong-schema';
import { applySchemaDefaults } from '../../../plugins/shared/schema-defaults';

const fields: KongFieldList = [
  { name: { type: 'string', required: true, description: 'n' } },
  { size: { type: 'integer', default: 10, description: 's' } },
  { tags: { type: 'array', elements: { type: 'string' }, default: [], description: 't' } },
  { realm: { type: 'string', default: null, description: 'r' } },
  {
    items: {
      type: 'array',
      default: [],
      description: 'i',
      elements: {
        type: 'record',
        fields: [
          { id: { type: 'string', required: true, description: 'id' } },
          { weight: { type: 'integer', default: 1, description: 'w' } },
        ],
      },
    },
  },
  {
    nested: {
      type: 'record',
      description: 'x',
      default: { on: false },
      fields: [
        { on: { type: 'boolean', default: false, description: 'o' } },
        { level: { type: 'integer', default: 3, description: 'l' } },
      ],
    },
  },
];

describe('applySchemaDefaults', () => {
  it('fills absent and null fields, recursing into records and arrays of records', () => {
    const out = applySchemaDefaults(fields, { name: 'x', size: null, items: [{ id: 'a' }, { id: 'b', weight: 5 }] });
    expect(out).toEqual({
      name: 'x',
      size: 10,
      tags: [],
      realm: null,
      items: [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 5 },
      ],
      nested: { on: false, level: 3 },
    });
  });

  it('keeps given values and unknown keys, and never shares default objects between calls', () => {
    const first = applySchemaDefaults(fields, { name: 'x', tags: ['a'], __seq__: 3 });
    expect(first.tags).toEqual(['a']);
    expect(first.__seq__).toBe(3);
    const a = applySchemaDefaults(fields, {});
    (a.items as unknown[]).push('mutated');
    expect(applySchemaDefaults(fields, {}).items).toEqual([]);
    expect('name' in a).toBe(false);
  });
});
