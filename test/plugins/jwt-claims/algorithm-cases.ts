/**
 * Every JWS algorithm jwt-claims verifies, each with a key of the type and size it needs. The
 * verifier's unit tests (verify.test.ts) and the tests through the plugin server
 * (signatures.harness.test.ts) run this one list, so both layers always cover the same algorithms.
 */
import type { Alg, TestKey } from './tokens';

/** One key per type and size the algorithms need; a test may hold more keys than these. */
export interface AlgorithmKeys {
  rsa: TestKey;
  p256: TestKey;
  p384: TestKey;
  p521: TestKey;
  ed25519: TestKey;
  ed448: TestKey;
}

/** `[alg, key]` rows for `it.each`: EdDSA twice, once per curve. */
export function everyAlgorithm(keys: AlgorithmKeys): Array<[Alg, TestKey]> {
  return [
    ['RS256', keys.rsa],
    ['RS384', keys.rsa],
    ['RS512', keys.rsa],
    ['PS256', keys.rsa],
    ['PS384', keys.rsa],
    ['PS512', keys.rsa],
    ['ES256', keys.p256],
    ['ES384', keys.p384],
    ['ES512', keys.p521],
    ['EdDSA', keys.ed25519],
    ['EdDSA', keys.ed448],
  ];
}
