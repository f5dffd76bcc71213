/**
 * Two requests sent at once may be served in either order, or one may see the other in flight.
 * A model property checks their answers against each such order in turn, each on its own copy
 * of the model, and keeps the first order that explains both.
 */
import { expect } from 'vitest';

/**
 * `fork` copies the model the checks read and write, and returns what puts the original back;
 * `seen` counts which order explained the race (FC_STATS).
 */
export function explainRace(what: string, orders: Array<[string, () => void]>, fork: () => () => void, seen: (what: string) => void): void {
  const failures: string[] = [];
  for (const [name, order] of orders) {
    const rollback = fork();
    try {
      order();
      seen(`race explained by ${name}`);
      return;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
      rollback();
    }
  }
  expect.fail(`${what}: no order of the two explains their answers:\n${failures.join('\n')}`);
}
