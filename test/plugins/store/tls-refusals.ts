/**
 * What the TLS topology tests (redis-cluster-tls, redis-sentinel-tls) assert alike: the whole
 * contract passed in the child that trusts the CA, and a store that cannot verify the servers
 * refuses every claim as StoreUnavailableError within its timeout, saying why as far as ioredis
 * lets it (on Cluster and Sentinel it drops the certificate error itself).
 */
import { expect } from 'vitest';
import { StoreUnavailableError, type Store } from '../../../plugins/shared/store';
import type { ContractOutcome } from '../../support/contract-child';

/** The contract has at least this many cases: a child that ran fewer did not run it all. */
const CONTRACT_CASES = 9;

export function expectWholeContractPassed(out: ContractOutcome): void {
  expect(out.failures).toEqual([]);
  expect(out.failed).toBe(0);
  expect(out.passed).toBeGreaterThanOrEqual(CONTRACT_CASES);
  expect(out.passed).toBe(out.total);
}

/** Two claims in a row, each refused within timeoutMs (plus scheduling slack), naming `cause`. */
export async function expectClaimsRefused(store: Store, timeoutMs: number, cause: RegExp): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const t0 = Date.now();
    const error = await store.claim(`k${i}`, 60_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(timeoutMs + 1500);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(cause);
  }
}
