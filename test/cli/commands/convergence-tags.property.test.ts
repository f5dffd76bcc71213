/**
 * Property: with --select-tag, kong-ctl manages only the tagged part of Kong. Team A's
 * entities are applied untagged; then two arbitrary files of another team, with its select tag
 * and names of its own, are applied in turn (creates, updates, moves, deletes among its own):
 * every untagged entity stays exactly as it was, and when the apply succeeds the tagged part is
 * exactly the file, with nothing left to plan within the tag. A collision Kong refuses (a global
 * plugin or a CA certificate both teams declare) may fail the apply, and still changes nothing
 * untagged.
 * Reproduce a failure with the seed printed (convergence-params.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deckYaml, entityCount, modelArb, pairArb, renamed, type Model } from './convergence-model';
import { runCli } from './run-cli';
import { simSession } from './sim-session';
import { propertyParams, runs, seed, TEST_TIMEOUT_MS } from './convergence-params';

const { sim, addr, write, pinned } = simSession('kong-ctl-convergence-tags-');

const numRuns = runs(25);
const TAG = 'team-x';
const outcomes = { applied: 0, collided: 0 };
/** What the collisions were, by the kind of entity both teams declared. */
const collisions = new Map<string, number>();

async function run(args: string[]) {
  const r = await runCli([...args, ...addr()]);
  return { ...r, all: `$ kong-ctl ${args.join(' ')}\n${r.stdout}\n${r.stderr}` };
}

type Row = Record<string, unknown>;
const tagged = (o: Row) => Array.isArray(o.tags) && (o.tags as string[]).includes(TAG);

/** Every untagged row, by table and id. */
function untagged(): Map<string, string> {
  const store = sim().store;
  const out = new Map<string, string>();
  for (const t of store.tables()) for (const o of store.all(t)) if (!tagged(o)) out.set(`${t}/${String(o.id)}`, JSON.stringify(o));
  return out;
}

function taggedCount(): number {
  const store = sim().store;
  return store.tables().reduce((n, t) => n + store.all(t).filter(tagged).length, 0);
}

async function applyTagged(m: Model, name: string, theirs: Map<string, string>) {
  const f = write(name, deckYaml(renamed(m, 'x')));
  const r = await run(['apply', '-f', f, '--select-tag', TAG, '--allow-mass-delete']);
  expect([0, 1], r.all).toContain(r.code);
  expect(untagged(), `untagged entities changed\n${r.all}`).toEqual(theirs);
  if (r.code === 1) {
    // Only a collision with the other team's entities: an id both declare (a certificate),
    // refused before any write, or what Kong itself refuses (a global plugin, a CA certificate).
    expect(r.all).toMatch(/already exists in Kong outside the select tags|failed \(409\): UNIQUE violation/);
    outcomes.collided++;
    for (const line of r.all.split('\n').filter((l) => /already exists in Kong outside the select tags|failed \(409\)/.test(l))) {
      const what = /(?:create |: )(ca_certificate|certificate|plugin|key set|key|vault|sni|upstream|service|route|consumer|target|[\w-]+ credential|acl|jwt secret)\b/.exec(line)?.[1] ?? 'other';
      collisions.set(what, (collisions.get(what) ?? 0) + 1);
    }
    return false;
  }
  outcomes.applied++;
  const d = await run(['diff', '-f', f, '--select-tag', TAG]);
  expect(d.code, d.all).toBe(0);
  expect(taggedCount(), r.all).toBe(entityCount(m));
  return true;
}

describe('select tags, as a property', () => {
  it("another team's tagged files converge and never touch an untagged entity", async () => {
    console.log(`select-tag property: seed ${seed}, ${numRuns} runs`);
    await fc.assert(
      fc.asyncProperty(modelArb, pairArb, (a, [b1, b2]) =>
        pinned(async () => {
          sim().store.clear();
          const fa = write('a.yaml', deckYaml(a));
          const first = await run(['apply', '-f', fa, '--allow-mass-delete']);
          expect(first.code, first.all).toBe(0);
          const theirs = untagged();
          if (await applyTagged(b1, 'b1.yaml', theirs)) await applyTagged(b2, 'b2.yaml', theirs);
        }),
      ),
      propertyParams(25),
    );
    console.log(`select-tag property: ${outcomes.applied} tagged applies converged, ${outcomes.collided} refused for a collision (${[...collisions].map(([k, n]) => `${n} ${k}`).join(', ')})`);
  }, TEST_TIMEOUT_MS);
});
