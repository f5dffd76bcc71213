/**
 * Checks on a verified token's claims. Pure: `now` and the compiled config come in, a Failure
 * (or nothing) comes out.
 */
import { fail, type Failure } from './failures';

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The claim at `path`: a top-level claim of exactly that name first (URI-named claims such as
 * `http://example.com/is_root` contain dots), else the dot-separated path through nested objects.
 * Only own properties are read, so `constructor` or `__proto__` never reach Object.prototype.
 */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (hasOwn(claims, path)) return claims[path];
  let current: unknown = claims;
  for (const part of path.split('.')) {
    if (!isObject(current) || !hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** A scalar claim as text (how rules and forwarded headers compare it); undefined otherwise. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

export interface TimePolicy {
  leeway: number;
  maxTokenAge: number | null;
}

function numericDate(claims: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat'): number | null | undefined {
  const value = claims[name];
  if (value === undefined || !hasOwn(claims, name)) return undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** exp, nbf and iat against `now` (epoch seconds), RFC 7519 §4.1.4–4.1.6 with leeway. */
export function checkTimeClaims(claims: Record<string, unknown>, now: number, policy: TimePolicy): Failure | undefined {
  const exp = numericDate(claims, 'exp');
  const nbf = numericDate(claims, 'nbf');
  const iat = numericDate(claims, 'iat');
  if (exp === null) return fail('bad_claim', 'exp').failure;
  if (nbf === null) return fail('bad_claim', 'nbf').failure;
  if (iat === null) return fail('bad_claim', 'iat').failure;
  if (exp !== undefined && now >= exp + policy.leeway) return { code: 'expired' };
  if (nbf !== undefined && now + policy.leeway < nbf) return { code: 'not_yet_valid' };
  if (policy.maxTokenAge !== null) {
    if (iat === undefined) return { code: 'missing_claim', detail: 'iat' };
    if (iat > now + policy.leeway) return { code: 'issued_in_future' };
    if (now - iat > policy.maxTokenAge + policy.leeway) return { code: 'too_old' };
  }
  return undefined;
}

/** `aud` (a string or an array of strings) must name one of `accepted`; empty `accepted` skips. */
export function checkAudience(claims: Record<string, unknown>, accepted: readonly string[]): Failure | undefined {
  if (accepted.length === 0) return undefined;
  const aud = claims.aud;
  const values = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return values.some((v) => typeof v === 'string' && accepted.includes(v)) ? undefined : { code: 'audience' };
}

export function checkRequiredClaims(claims: Record<string, unknown>, required: readonly string[]): Failure | undefined {
  for (const name of required) {
    const value = claimAt(claims, name);
    if (value === undefined || value === null) return { code: 'missing_claim', detail: name };
  }
  return undefined;
}

export interface CompiledRule {
  path: string;
  equals?: string;
  oneOf?: readonly string[];
  contains?: readonly string[];
  regex?: RegExp;
}

function memberTexts(value: unknown): Set<string> | undefined {
  if (typeof value === 'string') return new Set(value.split(/\s+/).filter((s) => s !== ''));
  if (Array.isArray(value)) {
    const out = new Set<string>();
    for (const item of value) {
      const text = scalarText(item);
      if (text !== undefined) out.add(text);
    }
    return out;
  }
  return undefined;
}

/** Whether one rule holds: every condition it sets must. An absent claim never satisfies it. */
export function ruleHolds(claims: Record<string, unknown>, rule: CompiledRule): boolean {
  const value = claimAt(claims, rule.path);
  if (value === undefined || value === null) return false;
  const text = scalarText(value);
  if (rule.equals !== undefined && text !== rule.equals) return false;
  if (rule.oneOf !== undefined && (text === undefined || !rule.oneOf.includes(text))) return false;
  if (rule.regex !== undefined) {
    if (text === undefined) return false;
    rule.regex.lastIndex = 0;
    if (!rule.regex.test(text)) return false;
  }
  if (rule.contains !== undefined) {
    const members = memberTexts(value);
    if (!members || !rule.contains.every((needed) => members.has(needed))) return false;
  }
  return true;
}

export function checkRules(claims: Record<string, unknown>, rules: readonly CompiledRule[]): Failure | undefined {
  for (const rule of rules) if (!ruleHolds(claims, rule)) return { code: 'rule', detail: rule.path };
  return undefined;
}
