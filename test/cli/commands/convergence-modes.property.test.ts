/**
 * Properties of the other ways CI runs apply, each against what it promises (README, "Apply
 * options"), over the same arbitrary pairs of files as convergence.property.test.ts:
 * - `--no-deletes` (decK's `gateway apply`): B's entities are created and updated, nothing is
 *   deleted, and every live entity B does not name stays exactly as it was; afterwards the
 *   no-deletes plan is empty and the full plan holds exactly the deletes it kept. It may fail only
 *   where the full apply must delete before it writes (a live entity B replaces: another id for
 *   its name): refused before any write where a write would take a unique value (within one parent too: a plugin at its scope) an entity it
 *   keeps holds, or a create would overwrite by id an entity it keeps (one below the replaced
 *   entity), never by Kong's 409 once writes are made. B is often partial: services, consumers or key
 *   sets left out, live as the full file has them, and named by what B adds under them; and
 *   half the time B replaces no live entity (its ids are the live ones' where it gives any).
 * - `apply --plan FILE` (FILE: a saved `diff -o json`): applies exactly the reviewed plan when it
 *   is still the plan, and converges; refuses, writing nothing, whenever the plan's digest has
 *   changed since, because the gateway changed (another apply got there first) or the files did;
 *   files only written otherwise (lists reordered, nesting changed) keep the digest.
 * DB-less nodes (`POST /config`) are not covered: the simulator is a Postgres-mode node.
 * Reproduce a failure with the seed printed (convergence-params.ts).
 */
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countWrites, isSetAside, deckYaml, entityCount, expectStoreHolds, handOverLabel, modelArb, pairArb, partialOf, withoutReplacements, type Model } from './convergence-model';
import { runCli } from './run-cli';
import { simSession } from './sim-session';
import { propertyParams, seed, TEST_TIMEOUT_MS } from './convergence-params';

const { sim, addr, write, path, pinned } = simSession('kong-ctl-convergence-modes-');
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

type PlanDoc = {
  summary: { add: number; change: number; destroy: number };
  changes: Array<{ op: string; kind: string; key: string; id?: string }>;
  digest: string;
  kept_by_no_deletes?: number;
};

async function run(args: string[]) {
  const r = await runCli([...args, ...addr()]);
  return { ...r, all: `$ kong-ctl ${args.join(' ')}\n${r.stdout}\n${r.stderr}` };
}

async function planOf(args: string[]): Promise<PlanDoc & { text: string }> {
  const r = await run(['diff', ...args, '-o', 'json']);
  expect([0, 2], r.all).toContain(r.code);
  return { ...(JSON.parse(r.stdout) as PlanDoc), text: r.stdout };
}

/** The writes of the last apply, counted as `plan` counts changes (countWrites). */
function writesSeen(plan: { changes: Array<{ op: string; id?: string }> } = { changes: [] }) {
  const writes = sim().log.filter((l) => WRITES.includes(l.method));
  return { writes, ...countWrites(writes, plan) };
}

/** Every row, by table and id. */
function rows(): Map<string, string> {
  const store = sim().store;
  const out = new Map<string, string>();
  for (const t of store.tables()) for (const o of store.all(t)) out.set(`${t}/${String(o.id)}`, JSON.stringify(o));
  return out;
}

/** The table of the simulator a plan's kind lives in. */
const TABLE: Record<string, string> = {
  service: 'services',
  route: 'routes',
  plugin: 'plugins',
  consumer: 'consumers',
  upstream: 'upstreams',
  target: 'targets',
  certificate: 'certificates',
  ca_certificate: 'ca_certificates',
  sni: 'snis',
  vault: 'vaults',
  key_set: 'key_sets',
  key: 'keys',
  keyauth_credential: 'keyauth_credentials',
  basicauth_credential: 'basicauth_credentials',
  jwt_secret: 'jwt_secrets',
  hmacauth_credential: 'hmacauth_credentials',
  acl: 'acls',
  oauth2_credential: 'oauth2_credentials',
};
const rowKey = (c: { kind: string; id?: string }) => {
  expect(TABLE[c.kind], `a table for ${c.kind}`).toBeDefined();
  return `${TABLE[c.kind]}/${String(c.id)}`;
};

async function applyA(a: Model) {
  sim().setFaults(null);
  sim().store.clear();
  const fa = write('a.yaml', deckYaml(a));
  const first = await run(['apply', '-f', fa, '--allow-mass-delete']);
  expect(first.code, first.all).toBe(0);
}

const labels = new Map<string, number>();
const partialChoiceArb = fc.option(fc.record({ kinds: fc.subarray(['service', 'consumer', 'key_set'] as const, { minLength: 1 }), pick: fc.nat(5) }), { nil: undefined, freq: 2 });
const outcomes = { partial: 0, partialNaming: 0, converged: 0, refusedBefore: 0, refusedScoped: 0, planApplied: 0, planRefused: 0, staleButSame: 0 };

describe('apply --no-deletes, as a property', () => {
  it('creates and updates what the file names, keeps every other live entity as it was, and the full apply then deletes exactly those', async () => {
    console.log(`no-deletes property: seed ${seed}`);
    await fc.assert(
      fc.asyncProperty(pairArb, fc.boolean(), partialChoiceArb, fc.constantFrom(1, 3, 10), ([a, drawn], compatible, choice, parallelism) => pinned(async () => {
        // Half the time B replaces no live entity, which is what --no-deletes is for.
        const b0 = compatible ? withoutReplacements(a, drawn) : drawn;
        const label = handOverLabel(a, b0);
        labels.set(label, (labels.get(label) ?? 0) + 1);
        // B: the whole file (fb), and what is applied (fp): the same, or B without some parents.
        const cut = choice && partialOf(a, b0, choice.kinds, choice.pick);
        const b = cut ? cut.full : b0;
        if (cut) outcomes.partial++;
        if (cut?.references) outcomes.partialNaming++;
        await applyA(a);
        const fb = write('b.yaml', deckYaml(b));
        const fp = cut ? write('b-partial.yaml', deckYaml(cut.partial)) : fb;
        const full = await planOf(['-f', fb]);
        const kept = new Set(full.changes.filter((c) => c.op === 'delete').map(rowKey));
        const partial = await planOf(['-f', fp, '--no-deletes']);
        expect(partial.summary, partial.text).toEqual({ add: full.summary.add, change: full.summary.change, destroy: 0 });
        // The parents left out are kept too.
        expect(partial.kept_by_no_deletes, partial.text).toBe(kept.size + (cut ? entityCount(b) - entityCount(cut.partial) : 0));

        const before = rows();
        sim().resetStats();
        const r = await run(['apply', '-f', fp, '--no-deletes', '--parallelism', String(parallelism)]);
        const { writes, seen } = writesSeen(partial);
        const context = `${r.all}\n${cut ? `partial file:\n${deckYaml(cut.partial)}\n` : ''}full plan:\n${full.text}\nwrites:\n${writes.map((w) => `${w.method} ${w.path} ${w.body ?? ''}`).join('\n')}`;
        expect([0, 1], context).toContain(r.code);
        expect(seen.destroy, context).toBe(0);
        // What B does not name is untouched: not deleted, not written.
        const after = rows();
        for (const k of kept) expect(after.get(k), `${k} kept as it was\n${context}`).toBe(before.get(k));

        if (r.code === 0) {
          outcomes.converged++;
          expect(seen, context).toEqual(partial.summary);
          for (const f of new Set([fb, fp])) {
            const again = await run(['diff', '-f', f, '--no-deletes']);
            expect(again.code, `${again.all}\n${context}`).toBe(0);
          }
          const rest = await planOf(['-f', fb]);
          expect(new Set(rest.changes.map((c) => `${c.op} ${rowKey(c)}`)), `${rest.text}\n${context}`).toEqual(new Set([...kept].map((k) => `delete ${k}`)));
        } else if (/ which --no-deletes keeps| holds and --no-deletes keeps/.test(r.stderr)) {
          // A write would take what --no-deletes keeps (a value, or an id): refused before any write.
          outcomes.refusedBefore++;
          if (/ (in the same upstream|of the same consumer|at that scope \(one per scope\)|in the same key set|among the keys of no set), which/.test(r.stderr)) outcomes.refusedScoped++;
          expect(r.stderr, context).toMatch(/:\d+:\d+: error: \S+: (create|update) .+ would (overwrite the live .+, which|take .+, which the live .+ holds and) --no-deletes keeps/);
          expect(r.stderr, context).toContain('Nothing was written to Kong.');
          expect(writes, context).toEqual([]);
        } else {
          // Every value Kong keeps unique, scoped ones too, is known before any write.
          expect.fail(`a --no-deletes apply failed once writes were made; apply could have refused it first\n${context}`);
        }

        // The full apply converges on B, and had to free a value of an entity it deletes before a
        // write (the delete first, or the value set aside before the delete) when the no-deletes
        // apply failed for want of that delete.
        sim().resetStats();
        const done = await run(['apply', '-f', fb, '--allow-mass-delete', '--parallelism', '1']);
        expect(done.code, `${done.all}\nafter:\n${context}`).toBe(0);
        const order = writesSeen().writes;
        const deleted = new Set(order.filter((w) => w.method === 'DELETE').map((w) => w.path));
        const freedFirst =
          order.some((w, i) => w.method === 'DELETE' && order.slice(i + 1).some((x) => x.method !== 'DELETE')) ||
          order.some((w) => w.method === 'PATCH' && isSetAside(w.body) && deleted.has(w.path));
        if (r.code !== 0) expect(freedFirst, `a no-deletes apply failed where no delete was needed first\n${done.all}\n${context}`).toBe(true);
        expect((await run(['diff', '-f', fb])).code).toBe(0);
        expectStoreHolds(sim().store, b);
      })),
      propertyParams(15),
    );
    console.log(`no-deletes property: ${outcomes.partial} partial files (${outcomes.partialNaming} naming a live parent they leave out); ${outcomes.converged} converged, ${outcomes.refusedBefore} refused before any write (${outcomes.refusedScoped} for a value unique within a parent); ${[...labels].map(([l, n]) => `${n} ${l}`).join(', ')}`);
  }, TEST_TIMEOUT_MS);
});

/**
 * What changes between the review and the apply: nothing; the way the files are written (their
 * lists in another order, what was nested written at the top and the reverse), which the digest
 * leaves out; the gateway (another apply); or the files.
 */
const staleArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ by: 'nothing' as const }) },
  { weight: 1, arbitrary: fc.constant({ by: 'rewritten' as const }) },
  { weight: 1, arbitrary: modelArb.map((c) => ({ by: 'gateway' as const, c })) },
  { weight: 1, arbitrary: modelArb.map((c) => ({ by: 'files' as const, c })) },
);

/** The same file written otherwise: every list reversed, and what was nested at the top and back. */
function rewritten(m: Model): Model {
  const flip = <T extends { nested: boolean }>(xs: T[]) => xs.map((x) => ({ ...x, nested: !x.nested })).reverse();
  return {
    ...m,
    services: [...m.services].reverse(),
    routes: flip(m.routes),
    plugins: flip(m.plugins),
    consumers: [...m.consumers].reverse(),
    creds: [...m.creds].reverse(),
    upstreams: m.upstreams.map((u) => ({ ...u, targets: [...u.targets].reverse() })).reverse(),
    certificates: m.certificates.map((c) => ({ ...c, snis: [...c.snis].reverse() })).reverse(),
    vaults: [...m.vaults].reverse(),
    keySets: [...m.keySets].reverse(),
    // A key outside any set is written at the top either way.
    keys: m.keys.map((k) => ({ ...k, nested: k.set ? !k.nested : false })).reverse(),
  };
}

describe('apply --plan, as a property', () => {
  it('applies the reviewed plan exactly when it is still the plan, and converges; refuses it, writing nothing, once its digest changed', async () => {
    console.log(`reviewed-plan property: seed ${seed}`);
    await fc.assert(
      fc.asyncProperty(pairArb, staleArb, fc.boolean(), ([a, drawn], stale, noDeletes) => pinned(async () => {
        // --no-deletes cannot apply a file that replaces a live entity (the no-deletes property).
        const b = noDeletes ? withoutReplacements(a, drawn) : drawn;
        await applyA(a);
        const nd = noDeletes ? ['--no-deletes'] : [];
        const fb = write('b.yaml', deckYaml(b));
        const reviewed = await planOf(['-f', fb, ...nd]);
        const saved = path('reviewed.plan.json');
        writeFileSync(saved, reviewed.text);

        // What the apply will read: B's file, or another one written over it; the gateway as A
        // left it, or as another apply made it.
        let file = fb;
        if (stale.by === 'gateway') {
          const other = await run(['apply', '-f', write('c.yaml', deckYaml(stale.c)), '--allow-mass-delete']);
          expect(other.code, other.all).toBe(0);
        }
        if (stale.by === 'files') file = write('b2.yaml', deckYaml(stale.c));
        if (stale.by === 'rewritten') file = write('b2.yaml', deckYaml(rewritten(b)));
        const now = await planOf(['-f', file, ...nd]);
        // Where things are written in the files is no part of the plan (output/plan-digest.ts).
        if (stale.by === 'rewritten') expect(now.digest, `${now.text}\n${reviewed.text}`).toBe(reviewed.digest);

        const before = rows();
        sim().resetStats();
        const r = await run(['apply', '-f', file, '--plan', saved, '--allow-mass-delete', ...nd]);
        const { writes, seen } = writesSeen(reviewed);
        const context = `${stale.by}\n${r.all}\nreviewed:\n${reviewed.text}\nnow:\n${now.text}`;
        if (now.digest !== reviewed.digest) {
          outcomes.planRefused++;
          expect(r.code, context).toBe(1);
          expect(r.stderr, context).toMatch(/error: this plan \(sha256:[0-9a-f]{64}\) is not the one in .*reviewed\.plan\.json \(sha256:[0-9a-f]{64}\): the files or the gateway changed since it was made; review the new plan/);
          expect(r.stderr, context).toContain('Nothing was written to Kong.');
          expect(writes, context).toEqual([]);
          expect(rows(), context).toEqual(before);
          return;
        }
        if (stale.by !== 'nothing') outcomes.staleButSame++;
        outcomes.planApplied++;
        expect(r.code, context).toBe(0);
        expect(seen, `writes apply made vs the reviewed plan\n${context}\n${writes.map((w) => `${w.method} ${w.path}`).join('\n')}`).toEqual(reviewed.summary);
        const d = await run(['diff', '-f', file, ...nd]);
        expect(d.code, `${d.all}\n${context}`).toBe(0);
        if (!noDeletes && (stale.by === 'nothing' || stale.by === 'rewritten')) expectStoreHolds(sim().store, b);
      })),
      propertyParams(15),
    );
    console.log(
      `reviewed-plan property: ${outcomes.planApplied} reviewed plans applied (${outcomes.staleButSame} after a change that left the plan as it was), ${outcomes.planRefused} refused as stale`,
    );
  }, TEST_TIMEOUT_MS);
});
