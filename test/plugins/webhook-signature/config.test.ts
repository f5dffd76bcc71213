/**
 * Config checks Kong's schema format cannot make: every problem is reported (never a secret's
 * value), and the schema itself follows the project's conventions.
 */
import { describe, expect, it } from 'vitest';
import { schemaEntries, type KongField } from '../../../plugins/shared/kong-schema';
import { compileConfig } from '../../../plugins/webhook-signature/config';
import { parseTemplate } from '../../../plugins/webhook-signature/content';
import { Schema } from '../../../plugins/webhook-signature/schema';
import { PROJECT_PLUGINS } from '../../../plugins/registry';

const errorsOf = (raw: Record<string, unknown>): string[] => {
  const r = compileConfig(raw);
  return r.ok ? [] : r.errors;
};

describe('compileConfig', () => {
  it('accepts a minimal config and fills the defaults', () => {
    const r = compileConfig({ secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.scheme.name).toBe('standard-webhooks');
    expect(r.config.tolerance).toBe(300);
    expect(r.config.maxBodySize).toBe(1048576);
    expect(r.config.keys).toHaveLength(1);
    expect(r.config.dedup).toBeNull();
  });

  it('reports every bad secret by index, never its value', () => {
    const errors = errorsOf({ secrets: ['whsec_not*base64', '', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] });
    expect(errors).toEqual(['secrets[0]: is not base64 (optionally prefixed with whsec_)', 'secrets[1]: is empty']);
    expect(errors.join(' ')).not.toContain('not*base64');
    expect(errorsOf({ scheme: 'github', secrets: ['zz'], secret_encoding: 'hex' })).toEqual(['secrets[0]: is not hex']);
    expect(errorsOf({ secrets: [] })).toEqual(['secrets: at least one secret is required']);
  });

  it('algorithm per scheme', () => {
    expect(errorsOf({ scheme: 'stripe', secrets: ['s'], algorithm: 'sha1' })).toEqual(['algorithm: stripe signs with sha256 only']);
    expect(errorsOf({ scheme: 'github', secrets: ['s'], algorithm: 'sha512' })).toHaveLength(1);
    expect(errorsOf({ scheme: 'github', secrets: ['s'], algorithm: 'sha1' })).toEqual([]);
  });

  it('custom needs a signature header and a consistent template', () => {
    expect(errorsOf({ scheme: 'custom', secrets: ['s'] })).toEqual(['custom.signature_header: required with scheme custom']);
    expect(
      errorsOf({
        scheme: 'custom',
        secrets: ['s'],
        custom: { signature_header: 'X Sig', timestamp_header: 'X-Ts', signed_content: '{id}.{body}' },
      }),
    ).toEqual([
      'custom.signature_header: "X Sig" is not a header name',
      'custom.timestamp_header: an unsigned timestamp proves nothing; add {timestamp} to custom.signed_content',
      'custom.signed_content: {id} needs custom.id_header',
    ]);
    expect(errorsOf({ scheme: 'custom', secrets: ['s'], custom: { signature_header: 'X-Sig', signed_content: '{timestamp}' } })).toEqual([
      'custom.signed_content: must contain {body} exactly once',
    ]);
  });

  it('dedup needs an event id source and a usable store', () => {
    expect(errorsOf({ scheme: 'custom', secrets: ['s'], custom: { signature_header: 'X-Sig' }, dedup: { enabled: true } })).toEqual([
      'dedup: scheme custom has no event id; set dedup.id_header or dedup.id_json_field',
    ]);
    expect(errorsOf({ secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], dedup: { enabled: true, id_header: 'X-Id', id_json_field: 'id' } })).toEqual([
      'dedup: set at most one of id_header and id_json_field',
    ]);
    expect(errorsOf({ secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'], dedup: { enabled: true, strategy: 'redis' } })).toEqual([
      'dedup.redis: set host, sentinel_master with sentinel_nodes, or cluster_nodes',
    ]);
    const ok = compileConfig({ scheme: 'stripe', secrets: ['s'], dedup: { enabled: true } });
    expect(ok.ok && ok.config.dedup?.source).toEqual({ jsonField: 'id' });
  });
});

describe('parseTemplate', () => {
  it.each([
    ['{body}', 1],
    ['{timestamp}.{body}', 3],
    ['v0:{timestamp}:{body}', 4],
    ['{id}.{timestamp}.{body}.end', 6],
  ])('%s', (template, parts) => {
    const r = parseTemplate(template);
    expect(r.ok && r.parts.length).toBe(parts);
  });
  it.each([
    ['{body}{body}', 'must contain {body} exactly once'],
    ['{nonce}.{body}', 'unknown placeholder {nonce} (known: {id}, {timestamp}, {body})'],
    ['{body}}', 'unbalanced { or }'],
  ])('refuses %s', (template, error) => {
    const r = parseTemplate(template);
    expect(r.ok ? '' : r.error).toBe(error);
  });
});

describe('Schema', () => {
  const walk = (fields: Array<[string, KongField]>, path: string, out: string[]) => {
    for (const [name, f] of fields) {
      const where = path ? `${path}.${name}` : name;
      if (!f.description) out.push(`${where}: no description`);
      if (!f.required && f.type !== 'record' && !('default' in f)) out.push(`${where}: no default`);
      if (f.type === 'record' && f.fields) walk(schemaEntries(f.fields), where, out);
    }
    return out;
  };
  it('every field has a description, every optional field a default', () => {
    expect(walk(schemaEntries(Schema), '', [])).toEqual([]);
  });
  it('is registered for kong-ctl validate', () => {
    expect(PROJECT_PLUGINS.find((p) => p.Name === 'webhook-signature')?.Schema).toBe(Schema);
  });
});
