/**
 * sim-session's `pinned`: a run a property abandons at a timeout goes on after its test, and must
 * reach only that test's simulator and folder, never the next test's (convergence-params.ts).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { Simulator } from '../../../bench/ctl/simulator';
import { simSession } from './sim-session';

const { sim, write, pinned } = simSession('kong-ctl-sim-session-');

let resume = () => {};
let leaked: Promise<{ sim: Simulator; file: string }> | undefined;

it('a run pinned in one test is left running when the test ends', async () => {
  const gate = new Promise<void>((r) => (resume = r));
  const mine = sim();
  leaked = pinned(async () => {
    await gate;
    return { sim: sim(), file: write('b.yaml', 'written late') };
  });
  expect(await pinned(async () => sim())).toBe(mine);
});

it('what it does after the next test has begun reaches only its own simulator and folder', async () => {
  const mine = sim();
  const file = write('b.yaml', 'the next test');
  resume();
  const late = await leaked!;
  expect(late.sim).not.toBe(mine);
  expect(late.file).not.toBe(file);
  expect(readFileSync(file, 'utf8')).toBe('the next test');
  expect(readFileSync(late.file, 'utf8')).toBe('written late');
});
