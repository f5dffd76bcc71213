/** Test keys and token signing with node:crypto only (no JWT library in the loop). */
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export type Alg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM of the public key. */
  pem: string;
  jwk(extra?: Record<string, unknown>): Record<string, unknown>;
}

function wrap(pair: { privateKey: KeyObject; publicKey: KeyObject }): TestKey {
  return {
    ...pair,
    pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    jwk: (extra = {}) => ({ ...pair.publicKey.export({ format: 'jwk' }), ...extra }),
  };
}

export function rsaKey(bits = 2048): TestKey {
  return wrap(generateKeyPairSync('rsa', { modulusLength: bits }));
}
export function ecKey(curve: 'P-256' | 'P-384' | 'P-521'): TestKey {
  return wrap(generateKeyPairSync('ec', { namedCurve: curve }));
}
export function edKey(kind: 'ed25519' | 'ed448' = 'ed25519'): TestKey {
  return wrap(kind === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ed448'));
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signingInput(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64(header)}.${b64(payload)}`;
}

export function signRaw(alg: Alg, key: KeyObject, input: string): Buffer {
  const data = Buffer.from(input);
  const hash = `sha${alg.slice(2)}`;
  if (alg.startsWith('RS')) return sign(hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
  if (alg.startsWith('PS')) {
    return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  if (alg.startsWith('ES')) return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  return sign(null, data, key);
}

/** A compact JWS: header gets `alg` (and `kid` when given). */
export function makeToken(
  alg: Alg,
  key: KeyObject,
  payload: Record<string, unknown>,
  headerExtra: Record<string, unknown> = {},
): string {
  const input = signingInput({ alg, typ: 'JWT', ...headerExtra }, payload);
  return `${input}.${signRaw(alg, key, input).toString('base64url')}`;
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);
