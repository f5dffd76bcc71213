/**
 * What each accepted JWS algorithm needs from a key, and how node:crypto verifies it.
 * Binding the algorithm to the key type (not trusting the token's `alg` alone) is what rules out
 * algorithm confusion: an RSA key never verifies an ES/EdDSA signature and vice versa.
 */
import { constants, verify, type KeyObject } from 'node:crypto';
import type { Algorithm } from './schema';

interface AlgorithmSpec {
  /** Hash for crypto.verify; null for EdDSA (the hash is part of the scheme). */
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  family: 'RS' | 'PS' | 'ES' | 'EdDSA';
  /** ES*: the curve (OpenSSL name) and the exact JWS signature length (R || S, RFC 7518 §3.4). */
  curve?: string;
  signatureLength?: number;
}

export const ALGORITHM_SPECS: Record<Algorithm, AlgorithmSpec> = {
  RS256: { family: 'RS', hash: 'sha256' },
  RS384: { family: 'RS', hash: 'sha384' },
  RS512: { family: 'RS', hash: 'sha512' },
  PS256: { family: 'PS', hash: 'sha256' },
  PS384: { family: 'PS', hash: 'sha384' },
  PS512: { family: 'PS', hash: 'sha512' },
  ES256: { family: 'ES', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { family: 'ES', hash: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { family: 'ES', hash: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  EdDSA: { family: 'EdDSA', hash: null },
};

/** RFC 7518 §3.3: RSA keys of 2048 bits or larger MUST be used. */
export const MIN_RSA_BITS = 2048;

export function isSupportedAlgorithm(alg: unknown): alg is Algorithm {
  return typeof alg === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHM_SPECS, alg);
}

/** Whether `key` may verify signatures made with `alg`. */
export function keyFitsAlgorithm(key: KeyObject, alg: Algorithm): boolean {
  if (key.type !== 'public') return false;
  const spec = ALGORITHM_SPECS[alg];
  const details = key.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'RS':
      return key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'PS':
      return (
        (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') &&
        (details.modulusLength ?? 0) >= MIN_RSA_BITS
      );
    case 'ES':
      return key.asymmetricKeyType === 'ec' && details.namedCurve === spec.curve;
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448';
  }
}

/**
 * The exact length a signature must have, where the scheme fixes it: R || S for ES*, and for
 * RS and PS the modulus length (RFC 8017 §8.1.2 and §8.2.2, step 1). OpenSSL checks the latter
 * for PKCS#1 v1.5 but not for PSS, where a signature with its leading zero byte dropped still
 * verifies: a second text for the same token. Ed25519/Ed448 signatures OpenSSL checks itself.
 */
function signatureLength(spec: AlgorithmSpec, key: KeyObject): number | undefined {
  if (spec.family === 'RS' || spec.family === 'PS') return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  return spec.signatureLength;
}

/** Verify a JWS signature; any crypto error counts as a bad signature. */
export function verifySignature(alg: Algorithm, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const spec = ALGORITHM_SPECS[alg];
  const length = signatureLength(spec, key);
  if (length !== undefined && signature.length !== length) return false;
  try {
    switch (spec.family) {
      case 'RS':
        return verify(spec.hash, signingInput, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'PS':
        return verify(
          spec.hash,
          signingInput,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case 'ES':
        return verify(spec.hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'EdDSA':
        return verify(null, signingInput, key, signature);
    }
  } catch {
    return false;
  }
}
