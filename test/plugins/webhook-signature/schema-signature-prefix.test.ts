/**
 * `custom.signature_prefix` defaults to "" (README), and Kong accepts that default: Kong refuses an
 * empty string in any string field without `len_min: 0` (kong/db/schema/init.lua: "empty strings
 * are not accepted by default"), and it fills the default into the `custom` record a custom-scheme
 * config provides, so without it every custom config lacking a prefix would be refused by the
 * Admin API. Checked with kong-ctl's model of Kong's field validation.
 */
import { describe, expect, it } from 'vitest';
import { checkRecord, fieldError } from '../../../cli/src/desired/kong-schema-check';
import { applySchemaDefaults } from '../../../plugins/shared/schema-defaults';
import { Schema } from '../../../plugins/webhook-signature/schema';

type Fields = Parameters<typeof checkRecord>[1];

function field(path: string[]): Record<string, unknown> {
  let fields = Schema as unknown as Array<Record<string, Record<string, unknown>>>;
  let found: Record<string, unknown> | undefined;
  for (const name of path) {
    found = fields.find((f) => name in f)![name];
    fields = (found!.fields ?? []) as typeof fields;
  }
  return found!;
}

describe('custom.signature_prefix default', () => {
  it("the schema's own default passes Kong's field validation", () => {
    const prefix = field(['custom', 'signature_prefix']);
    expect(prefix.default).toBe('');
    expect(fieldError(prefix.default, prefix as never)).toBeNull();
  });

  it('a custom-scheme config as Kong stores it (defaults filled in) is valid', () => {
    const config = applySchemaDefaults(Schema, { scheme: 'custom', secrets: ['s3cret'], custom: { signature_header: 'X-Signature' } });
    expect((config.custom as Record<string, unknown>).signature_prefix).toBe('');
    expect(checkRecord(config, Schema as unknown as Fields)).toEqual([]);
  });
});
