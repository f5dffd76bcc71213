/**
 * Property: any valid file converges from any live state. Two arbitrary files A and B over
 * services, routes, plugins at every scope, consumers with credentials, upstreams with targets,
 * certificates with SNIs, CA certificates and vaults, their names drawn from small pools so they
 * overlap. Apply A to an empty Kong, then B: each time `diff` finds nothing left, Kong holds
 * exactly the file, `diff -f B` beforehand planned exactly the writes apply made, and a dump of
 * the result diffs clean against the node.
 * Reproduce a failure with the seed printed (convergence-params.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countWrites, deckYaml, expectStoreHolds, handOverLabel, knownUnorderable, pairArb, type Model } from './convergence-model';
import { runCli } from './run-cli';
import { simSession } from './sim-session';
import { propertyParams, runs, seed, TEST_TIMEOUT_MS } from './convergence-params';

const { sim, addr, write, path, pinned } = simSession('kong-ctl-convergence-');

const numRuns = runs(40);

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** How many runs handed unique values over, and how many of those in a cycle met a new reference (convergence-model.ts handOvers). */
const labels = new Map<string, number>();
/** How many runs planned an update as a delete and a create with its id (diff/replacements.ts). */
let replacing = 0;

async function run(args: string[]) {
  const r = await runCli([...args, ...addr()]);
  return { ...r, all: `$ kong-ctl ${args.join(' ')}\n${r.stdout}\n${r.stderr}` };
}

/** apply, and what the store saw, counted as `plan` counts changes (countWrites). */
async function applyCounting(file: string, parallelism: number, plan: { changes: Array<{ op: string; id?: string }> } = { changes: [] }) {
  sim().resetStats();
  const r = await run(['apply', '-f', file, '--allow-mass-delete', '--parallelism', String(parallelism)]);
  const writes = sim().log.filter((l) => WRITE_METHODS.includes(l.method));
  return { r, ...countWrites(writes, plan), writes };
}

async function expectNoDrift(file: string, what: string) {
  const d = await run(['diff', '-f', file]);
  expect(d.code, `${what}: diff after apply should find nothing\n${d.all}`).toBe(0);
}

async function converge(a: Model, b: Model, parallelism: number) {
  sim().store.clear();
  const fa = write('a.yaml', deckYaml(a));
  const fb = write('b.yaml', deckYaml(b));

  const first = await applyCounting(fa, parallelism);
  expect(first.r.code, first.r.all).toBe(0);
  await expectNoDrift(fa, 'A');
  expectStoreHolds(sim().store, a);

  const planned = await run(['diff', '-f', fb, '-o', 'json']);
  expect([0, 2], planned.all).toContain(planned.code);
  const plan = JSON.parse(planned.stdout) as { summary: { add: number; change: number; destroy: number }; changes: Array<{ op: string; id?: string; replacement?: unknown }> };
  if (plan.changes.some((c) => c.replacement)) replacing++;
  const summary = plan.summary;

  const second = await applyCounting(fb, parallelism, plan);
  expect(second.r.code, second.r.all).toBe(0);
  expect(second.seen, `writes apply made vs the plan diff showed\n${planned.stdout}\n${second.writes.map((w) => `${w.method} ${w.path}`).join('\n')}`).toEqual(summary);
  expect(planned.code).toBe(summary.add + summary.change + summary.destroy === 0 ? 0 : 2);
  if (!knownUnorderable(a, b)) expect(second.setAsides, 'a set-aside without a cycle of hand-overs').toBe(0);
  await expectNoDrift(fb, 'B');
  expectStoreHolds(sim().store, b);

  const dumped = path('dump.yaml');
  const d = await run(['dump', '-o', dumped]);
  expect(d.code, d.all).toBe(0);
  await expectNoDrift(dumped, 'dump of B');
}

describe('convergence, as a property', () => {
  it('any file converges from any live state, as planned, and its dump diffs clean', async () => {
    console.log(`convergence property: seed ${seed}, ${numRuns} runs`);
    await fc.assert(
      fc.asyncProperty(pairArb, fc.constantFrom(1, 3, 10), ([a, b], parallelism) => {
        const label = handOverLabel(a, b);
        labels.set(label, (labels.get(label) ?? 0) + 1);
        return pinned(() => converge(a, b, parallelism));
      }),
      propertyParams(40),
    );
    // Counted over every run tried, shrinking included.
    console.log(`convergence property: ${[...labels].map(([l, n]) => `${n} ${l}`).join(', ')}; ${replacing} with a replacement`);
  }, TEST_TIMEOUT_MS);
});
