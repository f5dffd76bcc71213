/**
 * How the convergence properties run (convergence*.property.test.ts), in one place.
 *
 * Each run drives the CLI against the simulator for a second or two, and a failing property
 * shrinks by running hundreds more: left alone, shrinking outlasts the test's timeout, vitest
 * moves on, and the runs still going write into the next test (that is how one failure once
 * showed as three). So a property stops starting runs after its budget and reports what it has
 * (the failure, shrunk so far, with its seed and path; or, with no failure, the budget spent,
 * as a failure, never as a quiet pass on fewer runs), and a run that outlasts RUN_LIMIT_MS fails
 * with its seed instead of hanging. Runs are also pinned to their own simulator and folder
 * (sim-session.ts `pinned`), so a run that goes on after its test touches nothing after it.
 *
 * CONVERGENCE_SEED, CONVERGENCE_RUNS and CONVERGENCE_PATH replay a failure; CONVERGENCE_NO_SHRINK
 * stops at the first failure; CONVERGENCE_BUDGET_MS widens the budget for long runs.
 */
import type fc from 'fast-check';

export const seed = process.env.CONVERGENCE_SEED ? Number(process.env.CONVERGENCE_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);

/** The budget of one property; its test's timeout leaves room for the run in flight and the report. */
export const BUDGET_MS = Number(process.env.CONVERGENCE_BUDGET_MS ?? 200_000);
export const RUN_LIMIT_MS = 60_000;
export const TEST_TIMEOUT_MS = BUDGET_MS + RUN_LIMIT_MS + 30_000;

export function runs(n: number): number {
  return process.env.CONVERGENCE_RUNS ? Number(process.env.CONVERGENCE_RUNS) : n;
}

export function propertyParams<T>(numRuns: number): fc.Parameters<T> {
  return {
    numRuns: runs(numRuns),
    seed,
    ...(process.env.CONVERGENCE_PATH ? { path: process.env.CONVERGENCE_PATH } : {}),
    endOnFailure: Boolean(process.env.CONVERGENCE_NO_SHRINK),
    interruptAfterTimeLimit: BUDGET_MS,
    markInterruptAsFailure: true,
    timeout: RUN_LIMIT_MS,
  };
}
