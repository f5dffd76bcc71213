/**
 * Owner tokens and argument checks shared by both backends. A token is 128 random bits: a claim
 * that expired and was taken by another request can never be mistaken for the first one's.
 */
import { randomBytes } from 'node:crypto';

/** Hex characters of every owner token (fixed, so a stored claim can be split without a separator). */
export const TOKEN_LENGTH = 32;

export function newOwnerToken(): string {
  return randomBytes(TOKEN_LENGTH / 2).toString('hex');
}

export function checkKey(key: string): void {
  if (typeof key !== 'string' || key === '') throw new TypeError('store key must be a non-empty string');
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new TypeError(`store TTL must be an integer >= 1 ms, got ${ttlMs}`);
}
