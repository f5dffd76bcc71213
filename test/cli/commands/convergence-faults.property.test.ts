/**
 * Properties of kong-ctl when things go wrong.
 * - Faults: with a fraction of the writes failing as a node or a balancer in front of it fails
 *   (Kong's 500, a 503, a dropped connection, an answer lost after the write was made), only
 *   idempotent writes are repeated, a failed apply exits 1 with a line per failed change naming
 *   its op, kind, name and cause, and applying the same file again converges.
 * - Reads: a converged node read through failing GETs (retried, as every read is) is never
 *   taken for drift: diff exits 0, or 1 with an error; apply writes nothing; a dump diffs clean.
 * - Bad input: a file with one defect Kong would refuse writes nothing, and says where.
 * Reproduce a failure with the seed printed (convergence-params.ts).
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { SimFault } from '../../../bench/ctl/simulator';
import { deckYaml, expectStoreHolds, isSetAside, modelArb, pairArb, toDeck, type Model } from './convergence-model';
import { runCli } from './run-cli';
import { simSession } from './sim-session';
import { propertyParams, seed, TEST_TIMEOUT_MS } from './convergence-params';

const { sim, addr, write, path, pinned } = simSession('kong-ctl-convergence-faults-');

const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

async function run(args: string[]) {
  const r = await runCli([...args, ...addr()]);
  return { ...r, all: `$ kong-ctl ${args.join(' ')}\n${r.stdout}\n${r.stderr}` };
}

/**
 * The simulator's fault dice for one run: a [0, 1) value per request drawn from the seed and
 * what the request is (method, path and body with ids blanked, as apply picks fresh ids each run),
 * and how many times the same request was seen, so that the same plan meets the same faults
 * whatever order its concurrent writes arrive in, and a failure replays while shrinking.
 */
function dice(seed: number): (r: { method: string; path: string; body: string }) => number {
  const seen = new Map<string, number>();
  const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
  return (r) => {
    const what = `${r.method} ${r.path.replace(UUID, 'ID')} ${r.body.replace(UUID, 'ID')}`;
    const n = seen.get(what) ?? 0;
    seen.set(what, n + 1);
    const h = createHash('sha256').update(`${seed}\u0000${n}\u0000${what}`).digest();
    return h.readUInt32BE(0) / 2 ** 32;
  };
}

const faultPlanArb = fc.record({
  rate: fc.constantFrom(0.1, 0.25, 0.5),
  faults: fc.subarray<SimFault>(['500', '503', 'reset-before', '502-after', 'reset-after'], { minLength: 1 }),
  seed: fc.integer(),
});

/**
 * `b.yaml:3:5: error: services[0]: update service svc-a failed (500): …` (a delete has no line in
 * the file): op, kind and name (`basic-auth credential basic-2 (consumer carol)`), cause.
 */
const FAILED_LINE = /^(?:\S+:\d+:\d+: )?error: (?:[\w.[\]]+: )?(create|update|delete) (service|route|plugin|consumer|upstream|target|certificate|ca_certificate|ca certificate|sni|vault|[\w-]+ credential|acl(?: group)?|jwt secret|key|key set|key_set) (\S.*?) failed(?: \((\d+)\))?: (\S.*)$/;

describe('apply under faults, as a property', () => {
  it('retries only what is safe, reports every failure, and a second apply converges', async () => {
    console.log(`faults property: seed ${seed}`);
    await fc.assert(
      fc.asyncProperty(pairArb, faultPlanArb, ([a, b], plan) => traced(() => faultyRun(a, b, plan))),
      propertyParams(30),
    );
  }, TEST_TIMEOUT_MS);
});

describe('reads under faults, as a property', () => {
  it('a converged node read through failing GETs is never seen as drift: diff exits 0, or 1 with an error, and apply writes nothing', async () => {
    console.log(`read-faults property: seed ${seed}`);
    await fc.assert(
      fc.asyncProperty(modelArb, faultPlanArb, (b, plan) =>
        traced(async () => {
          sim().setFaults(null);
          sim().store.clear();
          const fb = write('b.yaml', deckYaml(b));
          const applied = await run(['apply', '-f', fb, '--allow-mass-delete']);
          expect(applied.code, applied.all).toBe(0);
          sim().resetStats();
          sim().setFaults({ rate: plan.rate, faults: plan.faults, methods: ['GET'], random: dice(plan.seed) });
          const d = await run(['diff', '-f', fb]);
          const ap = await run(['apply', '-f', fb, '--allow-mass-delete']);
          const dumped = await run(['dump', '-o', path('dump.yaml')]);
          sim().setFaults(null);
          const context = `${d.all}\n${ap.all}\n${dumped.all}\nfaults: ${JSON.stringify(sim().faults)}`;
          expect([0, 1], context).toContain(d.code);
          if (d.code === 1) expect(d.stderr, context).toMatch(/error/);
          expect([0, 1], context).toContain(ap.code);
          expect(sim().log.filter((l) => WRITES.includes(l.method)), context).toEqual([]);
          expect([0, 1], context).toContain(dumped.code);
          if (dumped.code === 0) expect((await run(['diff', '-f', path('dump.yaml')])).code, context).toBe(0);
          expectStoreHolds(sim().store, b);
        }),
      ),
      propertyParams(12),
    );
  }, TEST_TIMEOUT_MS);
});

/**
 * One run, pinned to its test (convergence-params.ts). CONVERGENCE_TRACE=file: each run's time
 * and failure appended there, to watch a long run.
 */
async function traced(body: () => Promise<void>): Promise<void> {
  const trace = process.env.CONVERGENCE_TRACE;
  const t0 = Date.now();
  try {
    await pinned(body);
    if (trace) appendFileSync(trace, `ok ${Date.now() - t0} ms\n`);
  } catch (err) {
    if (trace) appendFileSync(trace, `FAILED ${Date.now() - t0} ms: ${String((err as Error).message)}\n`);
    throw err;
  }
}

async function faultyRun(a: Model, b: Model, plan: { rate: number; faults: SimFault[]; seed: number }): Promise<void> {
  sim().setFaults(null);
  sim().store.clear();
  const fa = write('a.yaml', deckYaml(a));
  const fb = write('b.yaml', deckYaml(b));
  const first = await run(['apply', '-f', fa, '--allow-mass-delete']);
  expect(first.code, first.all).toBe(0);

  sim().resetStats();
  sim().setFaults({ rate: plan.rate, faults: plan.faults, random: dice(plan.seed) });
  const faulty = await run(['apply', '-f', fb, '--allow-mass-delete']);
  sim().setFaults(null);
  const writes = sim().log.filter((l) => WRITES.includes(l.method));
  const injected = [...sim().faults];
  const context = `${faulty.all}\nfaults: ${JSON.stringify(injected)}\nwrites:\n${writes.map((w) => `${w.method} ${w.path}`).join('\n')}`;

  // A POST (a target's create) is never sent twice: Kong may have made it already.
  const posts = writes.filter((w) => w.method === 'POST').map((w) => `${w.path} ${w.body ?? ''}`);
  expect(new Set(posts).size, `a POST was repeated\n${context}`).toBe(posts.length);
  expect([0, 1], context).toContain(faulty.code);
  if (faulty.code === 0) {
    expect(faulty.stdout, context).not.toMatch(/ failed( \(\d+\))?: /);
  } else {
    const failedLines = faulty.stdout.split('\n').filter((l) => / failed( \(\d+\))?: /.test(l));
    expect(failedLines.length, `exit 1 without a failed change\n${context}`).toBeGreaterThan(0);
    for (const l of failedLines) expect(l, `failure line without op, kind, name and cause\n${context}`).toMatch(FAILED_LINE);
    const summary = /^Apply: (\d+) done, (\d+) failed, (\d+) not attempted\.$/m.exec(faulty.stdout);
    expect(summary, context).not.toBeNull();
    expect(Number(summary![2]), context).toBe(failedLines.length);
    // A change fails only for faults that could not be retried away: a POST's first (never
    // repeated), or an idempotent write's every attempt (1 + 4 retries).
    for (const l of failedLines) {
      const [, method, reqPath] = /\[(\w+) (\S+)\]$/.exec(l) ?? [];
      expect(method, `failure line without its request\n${context}`).toBeDefined();
      // An entity whose value is set aside for a hand-over gets two PATCHes on one path, the
      // set-aside and the update: count the faults of the one that failed.
      const setAside = /set aside for the hand-over\) failed/.test(l);
      const hits = injected.filter((f) => f.method === method && f.path === reqPath && (method !== 'PATCH' || isSetAside(f.body) === setAside)).length;
      // Sent once: a POST, or a PATCH moving a credential to another consumer or a target to
      // another upstream (sent to the old parent's path, its repeat would meet a 404). Targets
      // of one upstream share their POST's path: one of those failed.
      const once = method === 'POST' || writes.some((w) => w.method === 'PATCH' && w.path === reqPath && /"(consumer|upstream)":/.test(w.body ?? ''));
      if (once) expect(hits, `${l}\n${context}`).toBeGreaterThanOrEqual(1);
      else expect(hits, `${l}\n${context}`).toBe(5);
    }
  }

  const again = await run(['apply', '-f', fb, '--allow-mass-delete']);
  expect(again.code, `${again.all}\nafter the faulty apply:\n${context}`).toBe(0);
  const d = await run(['diff', '-f', fb]);
  expect(d.code, `${d.all}\nafter the faulty apply:\n${context}`).toBe(0);
  expectStoreHolds(sim().store, b);
}

/**
 * One defect Kong refuses, added to a valid file as a new element. `baseline`: a check of a
 * bundled plugin's config or scope, or an unknown plugin, which offline `validate` only warns
 * about (a newer Kong or a node with custom plugins may accept it: README); diff and apply
 * check it against the node's own schema and refuse it.
 */
type Defect = { name: string; baseline?: boolean; add(doc: Record<string, unknown>): void };
const push = (doc: Record<string, unknown>, key: string, v: unknown) => void (doc[key] = [...((doc[key] as unknown[]) ?? []), v]);
const DEFECTS: Defect[] = [
  { name: 'port out of range', add: (d) => push(d, 'services', { name: 'bad-svc', host: 'x.internal', port: 70000 }) },
  { name: 'route path without a slash', add: (d) => push(d, 'routes', { name: 'bad-route', paths: ['no-slash'] }) },
  { name: 'duplicate service name', add: (d) => (push(d, 'services', { name: 'dup', host: 'x.internal' }), push(d, 'services', { name: 'dup', host: 'y.internal' })) },
  { name: 'rate-limiting without a limit', baseline: true, add: (d) => push(d, 'plugins', { name: 'rate-limiting', config: { policy: 'local' }, tags: ['bad'] }) },
  { name: 'unknown consumer field', add: (d) => push(d, 'consumers', { username: 'zed', colour: 'blue' }) },
  { name: 'plugin naming a missing service', add: (d) => push(d, 'plugins', { name: 'cors', service: 'nowhere' }) },
  { name: 'key-auth on a consumer', baseline: true, add: (d) => push(d, 'consumers', { username: 'zed', plugins: [{ name: 'key-auth' }] }) },
  { name: 'target weight out of range', add: (d) => push(d, 'upstreams', { name: 'bad-up', targets: [{ target: '10.9.9.9:80', weight: 70000 }] }) },
  { name: 'acl with allow and deny', baseline: true, add: (d) => push(d, 'plugins', { name: 'acl', config: { allow: ['a'], deny: ['b'] }, tags: ['bad'] }) },
  { name: 'unknown protocol', add: (d) => push(d, 'services', { name: 'bad-proto', host: 'x.internal', protocol: 'gopher' }) },
  { name: 'unknown plugin', baseline: true, add: (d) => push(d, 'plugins', { name: 'no-such-plugin' }) },
];

function snapshot(): string {
  const store = sim().store;
  return JSON.stringify(store.tables().map((t) => [t, store.all(t)]));
}

describe('bad input, as a property', () => {
  it('a file Kong would refuse writes nothing: exit 1, the store unchanged, the error at its file:line', async () => {
    console.log(`bad-input property: seed ${seed}`);
    await fc.assert(
      fc.asyncProperty(modelArb, modelArb, fc.constantFrom(...DEFECTS), fc.constantFrom('apply', 'diff', 'validate'), (a: Model, b: Model, defect, command) => pinned(async () => {
        sim().setFaults(null);
        sim().store.clear();
        const fa = write('a.yaml', deckYaml(a));
        expect((await run(['apply', '-f', fa, '--allow-mass-delete'])).code).toBe(0);
        const doc = toDeck(b);
        defect.add(doc);
        const fb = write('b.yaml', stringify(doc, { lineWidth: 0 }));
        const before = snapshot();
        sim().resetStats();
        const args = command === 'validate' ? ['validate', '-f', fb] : [command, '-f', fb, '--allow-mass-delete'].slice(0, command === 'diff' ? 3 : 4);
        const r = command === 'validate' ? await runCli(args) : await run(args);
        const context = `${defect.name}: kong-ctl ${args.join(' ')}\n${r.stdout}\n${r.stderr}`;
        const where = fb.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        if (command === 'validate' && defect.baseline && r.code === 0) {
          expect(`${r.stdout}\n${r.stderr}`, context).toMatch(new RegExp(`${where}:\\d+:\\d+: warning`));
        } else {
          expect(r.code, context).toBe(1);
          expect(`${r.stdout}\n${r.stderr}`, context).toMatch(new RegExp(`${where}:\\d+:\\d+: error`));
        }
        expect(sim().log.filter((l) => WRITES.includes(l.method)), context).toEqual([]);
        expect(snapshot(), context).toBe(before);
      })),
      propertyParams(40),
    );
  }, TEST_TIMEOUT_MS);
});
