/**
 * A token from text to verdict: parse, algorithm allow-list, issuer, key, signature, then claims.
 * The issuer named by the (still unverified) `iss` only selects whose keys are tried; a key of
 * another issuer can never verify the token, whatever its `kid`.
 */
import { checkAudience, checkRequiredClaims, checkRules, checkTimeClaims } from './claims';
import { tokenType, type CompiledConfig, type CompiledIssuer } from './config';
import { fail, ok, type Failure, type Result } from './failures';
import { claimHeaders } from './forward-headers';
import type { JwksStore } from './jwks';
import { parseJws, type ParsedJws } from './jws';
import { usableKeys, type VerificationKey } from './keys';
import { isSupportedAlgorithm, verifySignature } from './algorithms';
import type { Algorithm } from './schema';
import type { HeaderValues } from '../shared/pdk';

/** Signature checks one token may cost at most (a JWKS without `kid`s is tried key by key). */
export const MAX_VERIFY_ATTEMPTS = 8;

export interface VerifiedToken {
  claims: Record<string, unknown>;
  /** Headers for the upstream, computed once per token. */
  forwardHeaders: HeaderValues;
  /** Set when the token is genuine but fails a claim rule (403); cached like a pass. */
  ruleFailure?: Failure;
}

/** Finds the JWKS store of an issuer; module scope owns them (runtime.ts). */
export type JwksFor = (issuer: CompiledIssuer) => JwksStore | undefined;

function anyVerifies(alg: Algorithm, keys: readonly VerificationKey[], jws: ParsedJws, budget: { left: number }): boolean {
  for (const { key } of keys) {
    if (budget.left <= 0) return false;
    budget.left -= 1;
    if (verifySignature(alg, key, jws.signingInput, jws.signature)) return true;
  }
  return false;
}

async function checkSignature(
  alg: Algorithm,
  jws: ParsedJws,
  issuer: CompiledIssuer,
  jwks: JwksStore | undefined,
): Promise<Failure | undefined> {
  const budget = { left: MAX_VERIFY_ATTEMPTS };
  const staticKeys = usableKeys(issuer.staticKeys, alg);
  if (anyVerifies(alg, staticKeys, jws, budget)) return undefined;
  if (!jwks) return { code: staticKeys.length > 0 ? 'signature' : 'key_not_found' };
  const kid = typeof jws.header.kid === 'string' ? jws.header.kid : undefined;
  // no cached key that verifies the token: the store refetches once (rotation) and asks again
  let verified = false;
  const lookup = await jwks.lookup(kid, (keys) => (verified = anyVerifies(alg, usableKeys(keys, alg), jws, budget)));
  if (!lookup.available) return { code: 'keys_unavailable' };
  if (verified) return undefined;
  return usableKeys(lookup.keys, alg).length === 0 && staticKeys.length === 0 ? { code: 'key_not_found' } : { code: 'signature' };
}

export async function verifyToken(
  token: string,
  config: CompiledConfig,
  now: number,
  jwksFor: JwksFor,
): Promise<Result<VerifiedToken>> {
  const parsed = parseJws(token);
  if (!parsed.ok) return parsed;
  const jws = parsed.value;
  const alg = jws.header.alg;
  if (!isSupportedAlgorithm(alg) || !config.algorithms.has(alg)) return fail('algorithm');
  const iss = jws.payload.iss;
  const issuer = typeof iss === 'string' ? config.issuers.get(iss) : undefined;
  if (!issuer) return fail('unknown_issuer');

  const signatureFailure = await checkSignature(alg, jws, issuer, jwksFor(issuer));
  if (signatureFailure) return { ok: false, failure: signatureFailure };
  // `typ` is in the signed header: judged once the signature holds, like the claims
  if (config.tokenTypes.length > 0) {
    const typ = jws.header.typ;
    if (typeof typ !== 'string' || !config.tokenTypes.includes(tokenType(typ))) return fail('token_type');
  }

  const claims = jws.payload;
  const claimFailure =
    checkTimeClaims(claims, now, config.time) ??
    checkAudience(claims, issuer.audiences.length > 0 ? issuer.audiences : config.audiences) ??
    checkRequiredClaims(claims, config.requiredClaims);
  if (claimFailure) return { ok: false, failure: claimFailure };

  const verified: VerifiedToken = { claims, forwardHeaders: claimHeaders(claims, config.headerMappings) };
  const ruleFailure = checkRules(claims, config.rules);
  if (ruleFailure) verified.ruleFailure = ruleFailure;
  return ok(verified);
}
