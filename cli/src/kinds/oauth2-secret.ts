/**
 * Checking a client secret against the hash Kong keeps for an oauth2 credential with
 * `hash_secret` (kong/plugins/oauth2/secret.lua). Kong 3.x builds enable PBKDF2 only and write
 * it in PHC form, `$pbkdf2-sha512$i=10000,l=32$<salt>$<hash>`, salt and hash in unpadded
 * base64. Its `verify` derives again with the stored salt, digest, iterations and length, then
 * formats the result with its own constants (sha512, 10000, 32) and compares the whole strings:
 * this does the same, so anything Kong would refuse is a mismatch here too.
 */
import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';

const PHC = /^\$pbkdf2-([a-z0-9-]+)\$([^$]*)\$([A-Za-z0-9+/]*={0,2})\$([A-Za-z0-9+/]*={0,2})$/;
const KONG_DIGEST = 'sha512';
const KONG_ITERATIONS = 10000;
const KONG_LENGTH = 32;
/** Far above Kong's 10000: a stored string asking for more is not Kong's and not worth the CPU. */
const MAX_ITERATIONS = 1_000_000;
const DIGESTS = new Set(['sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/** True or false when `stored` is Kong's PBKDF2 form; undefined when it is anything else. */
export function kongSecretMatches(plain: string, stored: string): boolean | undefined {
  const m = PHC.exec(stored);
  if (!m) return undefined;
  const [, digest, paramText, saltB64, hashB64] = m;
  if (!DIGESTS.has(digest)) return undefined;
  const params = new Map(paramText.split(',').map((p) => p.split('=').map((s) => s.trim()) as [string, string]));
  const iterations = Number(params.get('i'));
  const salt = Buffer.from(saltB64, 'base64');
  const hash = Buffer.from(hashB64, 'base64');
  const length = params.has('l') ? Number(params.get('l')) : hash.length;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return undefined;
  if (!Number.isInteger(length) || length < 1 || length > 1024) return undefined;
  const derived = pbkdf2Sync(plain, salt, iterations, length, digest);
  const expected = Buffer.from(
    `$pbkdf2-${KONG_DIGEST}$i=${KONG_ITERATIONS},l=${KONG_LENGTH}$${unpadded(salt)}$${unpadded(derived)}`,
  );
  const actual = Buffer.from(stored);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function unpadded(b: Buffer): string {
  return b.toString('base64').replace(/=+$/, '');
}
