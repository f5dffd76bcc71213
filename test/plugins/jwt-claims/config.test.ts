import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../../plugins/jwt-claims/config';
import { Schema } from '../../../plugins/jwt-claims/schema';
import { rsaKey } from './tokens';

const pem = rsaKey().pem;
const base = { issuers: [{ issuer: 'https://idp', public_keys: [pem] }] };

function errorsOf(config: Record<string, unknown>): string[] {
  const result = compileConfig(config);
  return result.ok ? [] : result.errors;
}

describe('compileConfig', () => {
  it('fills defaults from the Schema', () => {
    const result = compileConfig(base);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const c = result.config;
    expect(c.headerNames).toEqual(['authorization']);
    expect(c.requiredClaims).toEqual(['exp']);
    expect(c.time).toEqual({ leeway: 30, maxTokenAge: null });
    expect([...c.algorithms]).toHaveLength(10);
    expect(c.jwks).toEqual({ ttlMs: 600_000, cooldownMs: 30_000, timeoutMs: 3000 });
    expect(c.issuers.get('https://idp')?.staticKeys).toHaveLength(1);
  });

  it.each([
    [{ issuers: [] }, 'issuers: at least one issuer is required'],
    [{ issuers: [{ issuer: 'a' }] }, 'issuers[0]: needs a jwks_uri or public_keys'],
    [{ issuers: [{ issuer: 'a', jwks_uri: 'ftp://x/jwks' }] }, 'issuers[0].jwks_uri: must be http or https'],
    [{ issuers: [{ issuer: 'a', jwks_uri: 'not a url' }] }, 'issuers[0].jwks_uri: not a URL'],
    [{ issuers: [{ issuer: 'a', public_keys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] }] }, 'issuers[0].public_keys[0]'],
    [{ issuers: [{ issuer: 'a', public_keys: ['-----BEGIN PRIVATE KEY-----\n…'] }] }, 'a private key was configured'],
    [{ issuers: [base.issuers[0], base.issuers[0]] }, 'is listed twice'],
    [{ ...base, algorithms: ['HS256'] }, 'algorithms: "HS256" is not accepted'],
    [{ ...base, algorithms: [] }, 'algorithms: at least one algorithm is required'],
    [{ ...base, claim_rules: [{ path: 'scope' }] }, 'claim_rules[0]: needs at least one of'],
    [{ ...base, claim_rules: [{ path: 'x', regex: '(' }] }, 'claim_rules[0].regex: not a valid regular expression'],
    [{ ...base, claims_to_headers: [{ claim: 'sub', header: 'X User' }] }, 'not a valid header name'],
    [{ ...base, claims_to_headers: [{ claim: 'sub', header: 'Host' }] }, '"Host" cannot carry a claim'],
    [{ ...base, claims_to_headers: [{ claim: 'sub', header: 'Authorization' }] }, 'cannot carry a claim'],
    [
      { ...base, claims_to_headers: [{ claim: 'sub', header: 'X-A' }, { claim: 'iss', header: 'x-a' }] },
      'is mapped twice',
    ],
    [{ ...base, header_names: [], cookie_names: [], query_param_names: [] }, 'the token must be looked for somewhere'],
  ])('refuses %j', (config, message) => {
    expect(errorsOf(config as Record<string, unknown>).join('\n')).toContain(message);
  });
});

describe('Schema', () => {
  function walk(fields: typeof Schema, visit: (name: string, field: Record<string, unknown>) => void): void {
    for (const item of fields) {
      for (const [name, field] of Object.entries(item)) {
        visit(name, field as Record<string, unknown>);
        const nested = (field.fields ?? field.elements?.fields) as typeof Schema | undefined;
        if (nested) walk(nested, visit);
      }
    }
  }

  it('describes every field and gives every optional field a default; required ones get none (Kong checks a default against its own field)', () => {
    const problems: string[] = [];
    walk(Schema, (name, field) => {
      if (typeof field.description !== 'string' || field.description === '') problems.push(`${name}: no description`);
      if (field.required === true && 'default' in field) problems.push(`${name}: required with a default`);
      if (field.required !== true && !('default' in field)) problems.push(`${name}: no default`);
    });
    expect(problems).toEqual([]);
  });

  it('never offers HS* or none', () => {
    const algorithms = Schema.find((f) => 'algorithms' in f)!.algorithms!;
    expect(algorithms.elements?.one_of).not.toContain('HS256');
    expect(algorithms.elements?.one_of).not.toContain('none');
  });
});
