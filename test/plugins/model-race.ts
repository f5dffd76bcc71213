/**
 * Two requests sent at once may be served in either order, or one may see the other in flight.
 * A model property checks their answers against each such order in turn, each on its own copy
 * of the model, and keeps the first order that explains both. `driveSteps` runs a property's
 * steps (one request, a race, a pair held at the upstream, a wait) for the model tests.
 */
import { expect } from 'vitest';
import type { GatedUpstream } from './gated-upstream';

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

/** One step of a model property over requests. */
export type ModelStep<R> = { kind: 'one'; req: R } | { kind: 'pair' | 'race'; first: R; second: R } | { kind: 'wait' };

export interface StepDriver<R, Res> {
  /** Prefix of this run's request ids and upstream gates. */
  run: string;
  upstream: Pick<GatedUpstream, 'arrived' | 'open'>;
  /** Long enough for every TTL the model keeps to run out. */
  waitMs: number;
  /** Sends a request, held at the upstream under `gate` when one is given. */
  send(req: R, id: string, gate?: string): Promise<Res>;
  /** Checks an answer against the model and moves the model on. */
  check(req: R, id: string, res: Res, start: number, end: number, what: string): void;
  fork: RaceModel['fork'];
  /** Marks the request's claim as in flight (throws if it makes none); returns what undoes it. */
  inFlight(req: R): () => void;
  seen: RaceModel['seen'];
  /**
   * The first request of a pair reached the upstream and is held there while the second is sent:
   * mark it in flight in the model and return what undoes that, or say why it should never have
   * got there.
   */
  held(first: R, second: R): { undo: () => void } | { fail: string };
}

/**
 * Runs a property's steps: one request; two at once (`race`, explained by `explainRace`); two
 * where the first is held at the upstream while the second is sent (`pair`); or a wait past the
 * TTLs.
 */
export async function driveSteps<R, Res>(steps: Array<ModelStep<R>>, d: StepDriver<R, Res>): Promise<void> {
  let reqSeq = 0;
  const nextId = () => `${d.run}-q${reqSeq++}`;
  const one = async (req: R, what: string) => {
    const id = nextId();
    const start = Date.now();
    const res = await d.send(req, id);
    d.check(req, id, res, start, Date.now(), what);
  };
  for (const [i, step] of steps.entries()) {
    const what = `step ${i} ${JSON.stringify(step)}`;
    if (step.kind === 'wait') {
      await new Promise((r) => setTimeout(r, d.waitMs));
      continue;
    }
    if (step.kind === 'one') {
      await one(step.req, what);
      continue;
    }
    const { first, second } = step;
    if (step.kind === 'race') {
      // both at once: the answers must be those of some order of the two, or of one seen in
      // flight by the other; never two executions of one key
      const ids = [nextId(), nextId()] as const;
      const start = Date.now();
      const [ra, rb] = await Promise.all([first, second].map((req, j) => d.send(req, ids[j]!).then((res) => ({ res, end: Date.now() }))));
      const checkA = () => d.check(first, ids[0], ra!.res, start, ra!.end, `${what} race a`);
      const checkB = () => d.check(second, ids[1], rb!.res, start, rb!.end, `${what} race b`);
      explainRace(what, checkA, checkB, { fork: d.fork, inFlight: (which) => d.inFlight(which === 'a' ? first : second), seen: d.seen });
      continue;
    }
    // a pair: the first held at the upstream (if it gets there) while the second is sent
    const gate = `${d.run}-g${i}`;
    const firstId = nextId();
    const start = Date.now();
    const firstDone = d.send(first, firstId, gate).then((res) => ({ res, end: Date.now() }));
    const raced = await Promise.race([d.upstream.arrived(gate).then(() => 'arrived' as const), firstDone.then(() => 'done' as const)]);
    if (raced === 'done') {
      const { res, end } = await firstDone;
      d.check(first, firstId, res, start, end, `${what} first (answered without the upstream)`);
      await one(second, `${what} second`);
      continue;
    }
    const mark = d.held(first, second);
    if ('fail' in mark) {
      d.upstream.open(gate);
      await firstDone;
      expect.fail(`${what}: ${mark.fail}`);
    }
    try {
      await one(second, `${what} second (first in flight)`);
    } finally {
      d.upstream.open(gate);
    }
    const { res, end } = await firstDone;
    mark.undo();
    d.check(first, firstId, res, start, end, `${what} first (after the gate)`);
  }
}
