/**
 * Verification keys: from JWK (a JWKS document) or PEM (the config), as node:crypto KeyObjects
 * with the JWK's `kid` and `alg` kept, since both restrict which tokens a key may verify.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Algorithm } from './schema';
import { keyFitsAlgorithm, MIN_RSA_BITS } from './algorithms';

export interface VerificationKey {
  key: KeyObject;
  /** From the JWK; PEM keys have none and are tried for any `kid`. */
  kid?: string;
  /** From the JWK: when present, the only algorithm this key verifies (RFC 7517 §4.4). */
  alg?: string;
}

const KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7517 §4.3: `key_ops` is an array of strings without duplicates; it must list `verify`. */
function allowsVerify(keyOps: unknown): boolean {
  return (
    Array.isArray(keyOps) &&
    keyOps.every((op) => typeof op === 'string') &&
    new Set(keyOps).size === keyOps.length &&
    keyOps.includes('verify')
  );
}

/** The JWK carries private key members (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2: `d` and friends). */
export function publishesPrivatePart(jwk: unknown): boolean {
  return isObject(jwk) && PRIVATE_MEMBERS.some((m) => jwk[m] !== undefined);
}

/** A JWK usable for signature verification, or undefined (skipped, never an error: one odd key
 *  in an identity provider's set must not take the others down). */
export function parseJwk(jwk: unknown): VerificationKey | undefined {
  if (!isObject(jwk) || typeof jwk.kty !== 'string' || !KEY_TYPES.has(jwk.kty)) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (jwk.key_ops !== undefined && !allowsVerify(jwk.key_ops)) return undefined;
  // RFC 7517 §4.4: a string. Any other value is no restriction to drop: the key goes unused.
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') return undefined;
  // A private key in a key set anyone can fetch is a disclosed key: anyone can sign with it, so
  // tokens it verifies prove nothing (jose refuses such keys too).
  if (publishesPrivatePart(jwk)) return undefined;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return undefined;
  }
  const out: VerificationKey = { key };
  if (typeof jwk.kid === 'string') out.kid = jwk.kid;
  if (typeof jwk.alg === 'string') out.alg = jwk.alg;
  return out;
}

/** A PEM public key (SPKI, PKCS#1 or X.509 certificate) from the config; throws on anything else,
 *  including a private key pasted by mistake (it must not sit in a plugin config). */
export function parsePemPublicKey(pem: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) throw new Error('a private key was configured; configure the public key instead');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    // OpenSSL's own reason ("DECODER routines::unsupported") tells an operator nothing
    throw new Error('not a readable PEM public key (SPKI "PUBLIC KEY", "RSA PUBLIC KEY" or an X.509 "CERTIFICATE")');
  }
  if (key.type !== 'public') throw new Error('not a public key');
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) throw new Error(`RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required`);
  return key;
}

/** Keys that may verify a token with this `alg` and `kid`. */
export function usableKeys(keys: readonly VerificationKey[], alg: Algorithm): VerificationKey[] {
  return keys.filter((k) => (k.alg === undefined || k.alg === alg) && keyFitsAlgorithm(k.key, alg));
}
