/**
 * Two requests sent at once may be served in either order, or one may see the other in flight.
 * A model property checks their answers against each such order in turn, each on its own copy
 * of the model, and keeps the first order that explains both.
 */
import { expect } from 'vitest';

export interface RaceModel {
  /** Copies the model the checks read and write; returns what puts the original back. */
  fork(): () => void;
  /** Marks the request's claim as in flight in the model (throws if it makes none); returns what undoes it. */
  inFlight(which: 'a' | 'b'): () => void;
  /** Counts which order explained the race (FC_STATS). */
  seen(what: string): void;
}

export function explainRace(what: string, checkA: () => void, checkB: () => void, model: RaceModel): void {
  const whileInFlight = (first: 'a' | 'b', firstCheck: () => void, secondCheck: () => void) => () => {
    const undo = model.inFlight(first);
    secondCheck();
    undo();
    firstCheck();
  };
  const orders: Array<[string, () => void]> = [
    ['a then b', () => (checkA(), checkB())],
    ['b then a', () => (checkB(), checkA())],
    ['b while a in flight', whileInFlight('a', checkA, checkB)],
    ['a while b in flight', whileInFlight('b', checkB, checkA)],
  ];
  const failures: string[] = [];
  for (const [name, order] of orders) {
    const rollback = model.fork();
    try {
      order();
      model.seen(`race explained by ${name}`);
      return;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
      rollback();
    }
  }
  expect.fail(`${what}: no order of the two explains their answers:\n${failures.join('\n')}`);
}
