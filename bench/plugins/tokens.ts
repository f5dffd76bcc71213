/** RS256 tokens for the benchmark, signed with node:crypto. */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface BenchKey {
  privateKey: KeyObject;
  pem: string;
}

export function benchKey(): BenchKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function rs256(key: BenchKey, payload: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}
