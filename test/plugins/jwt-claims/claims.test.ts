import { describe, expect, it } from 'vitest';
import {
  checkAudience,
  checkRequiredClaims,
  checkRules,
  checkTimeClaims,
  claimAt,
  ruleHolds,
} from '../../../plugins/jwt-claims/claims';

const now = 1_700_000_000;
const policy = { leeway: 30, maxTokenAge: null };

describe('claimAt', () => {
  const claims = JSON.parse(
    '{"a":{"b":{"c":"deep"}},"http://example.com/is_root":true,"arr":["x","y"],"__proto__":{"polluted":1}}',
  );
  it('reads nested paths and URI-named top-level claims', () => {
    expect(claimAt(claims, 'a.b.c')).toBe('deep');
    expect(claimAt(claims, 'http://example.com/is_root')).toBe(true);
    expect(claimAt(claims, 'arr.1')).toBe('y');
    expect(claimAt(claims, 'a.x.c')).toBeUndefined();
  });
  it('never reads inherited properties', () => {
    expect(claimAt(claims, 'constructor')).toBeUndefined();
    expect(claimAt(claims, 'a.toString')).toBeUndefined();
    expect(claimAt(claims, '__proto__.polluted')).toBe(1); // own JSON member, not the prototype
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('checkTimeClaims', () => {
  it('applies leeway on both sides of exp and nbf', () => {
    expect(checkTimeClaims({ exp: now - 29 }, now, policy)).toBeUndefined();
    expect(checkTimeClaims({ exp: now - 30 }, now, policy)).toEqual({ code: 'expired' });
    expect(checkTimeClaims({ exp: now }, now, { leeway: 0, maxTokenAge: null })).toEqual({ code: 'expired' });
    expect(checkTimeClaims({ nbf: now + 30 }, now, policy)).toBeUndefined();
    expect(checkTimeClaims({ nbf: now + 31 }, now, policy)).toEqual({ code: 'not_yet_valid' });
  });
  it('refuses non-numeric NumericDates', () => {
    expect(checkTimeClaims({ exp: '1700000000' }, now, policy)).toEqual({ code: 'bad_claim', detail: 'exp' });
    expect(checkTimeClaims({ nbf: null }, now, policy)).toEqual({ code: 'bad_claim', detail: 'nbf' });
    expect(checkTimeClaims({ iat: [] }, now, policy)).toEqual({ code: 'bad_claim', detail: 'iat' });
  });
  it('bounds the age from iat when max_token_age is set', () => {
    const aged = { leeway: 10, maxTokenAge: 600 };
    expect(checkTimeClaims({}, now, aged)).toEqual({ code: 'missing_claim', detail: 'iat' });
    expect(checkTimeClaims({ iat: now - 610 }, now, aged)).toBeUndefined();
    expect(checkTimeClaims({ iat: now - 611 }, now, aged)).toEqual({ code: 'too_old' });
    expect(checkTimeClaims({ iat: now + 11 }, now, aged)).toEqual({ code: 'issued_in_future' });
  });
});

describe('checkAudience', () => {
  it('accepts any one of the configured audiences, string or array aud', () => {
    expect(checkAudience({ aud: 'api' }, ['other', 'api'])).toBeUndefined();
    expect(checkAudience({ aud: ['x', 'api'] }, ['api'])).toBeUndefined();
    expect(checkAudience({ aud: ['x'] }, ['api'])).toEqual({ code: 'audience' });
    expect(checkAudience({}, ['api'])).toEqual({ code: 'audience' });
    expect(checkAudience({ aud: 5 }, ['5'])).toEqual({ code: 'audience' });
    expect(checkAudience({}, [])).toBeUndefined();
  });
});

describe('checkRequiredClaims', () => {
  it('names the first missing claim; null counts as missing', () => {
    expect(checkRequiredClaims({ sub: 'a', x: { y: 1 } }, ['sub', 'x.y'])).toBeUndefined();
    expect(checkRequiredClaims({ sub: null }, ['sub'])).toEqual({ code: 'missing_claim', detail: 'sub' });
    expect(checkRequiredClaims({}, ['x.y'])).toEqual({ code: 'missing_claim', detail: 'x.y' });
  });
});

describe('claim rules', () => {
  const claims = {
    scope: 'read:orders write:orders',
    roles: ['admin', 'ops', 3],
    tenant: { id: 'acme', tier: 'gold' },
    email_verified: true,
    level: 5,
  };
  it('equals compares the text of scalars', () => {
    expect(ruleHolds(claims, { path: 'tenant.id', equals: 'acme' })).toBe(true);
    expect(ruleHolds(claims, { path: 'email_verified', equals: 'true' })).toBe(true);
    expect(ruleHolds(claims, { path: 'level', equals: '5' })).toBe(true);
    expect(ruleHolds(claims, { path: 'tenant', equals: '[object Object]' })).toBe(false);
    expect(ruleHolds(claims, { path: 'tenant.id', equals: 'ACME' })).toBe(false);
  });
  it('one_of, regex', () => {
    expect(ruleHolds(claims, { path: 'tenant.tier', oneOf: ['silver', 'gold'] })).toBe(true);
    expect(ruleHolds(claims, { path: 'tenant.tier', oneOf: ['silver'] })).toBe(false);
    expect(ruleHolds(claims, { path: 'tenant.id', regex: /^ac/ })).toBe(true);
    expect(ruleHolds(claims, { path: 'tenant.id', regex: /^me/ })).toBe(false);
    expect(ruleHolds(claims, { path: 'roles', regex: /admin/ })).toBe(false); // arrays are not text
  });
  it('contains needs every value, in arrays and in space-separated strings', () => {
    expect(ruleHolds(claims, { path: 'scope', contains: ['write:orders', 'read:orders'] })).toBe(true);
    expect(ruleHolds(claims, { path: 'scope', contains: ['read:orders', 'admin'] })).toBe(false);
    expect(ruleHolds(claims, { path: 'scope', contains: ['read'] })).toBe(false);
    expect(ruleHolds(claims, { path: 'roles', contains: ['admin', '3'] })).toBe(true);
    expect(ruleHolds(claims, { path: 'tenant', contains: ['id'] })).toBe(false);
  });
  it('every condition of a rule must hold, and an absent claim never holds', () => {
    expect(ruleHolds(claims, { path: 'tenant.id', equals: 'acme', regex: /z/ })).toBe(false);
    expect(ruleHolds(claims, { path: 'missing', regex: /.*/ })).toBe(false);
    expect(checkRules(claims, [{ path: 'tenant.id', equals: 'acme' }, { path: 'scope', contains: ['x'] }])).toEqual({
      code: 'rule',
      detail: 'scope',
    });
    expect(checkRules(claims, [])).toBeUndefined();
  });
  it('a global regex keeps no state between requests', () => {
    const rule = { path: 'tenant.id', regex: /acme/g };
    expect(ruleHolds(claims, rule)).toBe(true);
    expect(ruleHolds(claims, rule)).toBe(true);
  });
});
