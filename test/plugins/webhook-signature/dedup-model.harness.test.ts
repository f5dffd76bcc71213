/**
 * A stateful property for de-duplication: arbitrary sequences of deliveries (signed, unsigned,
 * tampered, with repeated event ids and bodies, meeting any upstream outcome, some held at the
 * upstream while a duplicate arrives, on either of two nodes) through the real plugin server,
 * each checked against a model of what the README and the issue promise:
 *
 * - only verified deliveries take part: an unsigned or tampered one gets 401 and never touches
 *   the store nor the upstream;
 * - the event id is remembered per route (namespace) and store: alone when the signature covers
 *   it (Standard Webhooks' webhook-id), together with the body when it does not (GitHub's
 *   X-GitHub-Delivery); with the memory store per node, with Redis on both nodes;
 * - per such key: nothing, in flight, or processed (for dedup.ttl, 1 s here);
 * - processed: 200 + `Webhook-Duplicate: true`, never the upstream; in flight: 409 + Retry-After
 *   (a redelivery held against, or racing, its original: some order of the two explains the
 *   answers, never two deliveries of one event to the upstream);
 * - the upstream answered 2xx: processed; anything else (4xx, 5xx, Kong's 502 for a dropped
 *   connection, Kong's 504 for a slow upstream): released, so the sender's retry goes through;
 * - every event answered: no RPC error in Kong's log, no plugin error, the servers still up.
 *
 * A failure prints fast-check's seed and path; re-run it with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/plugins/webhook-signature/dedup-model.harness.test.ts`
 * (FC_NUM_RUNS for more runs, FC_STATS=1 to print which cases the runs met).
 */
import fc from 'fast-check';
import http from 'node:http';
import { GatedUpstream } from '../gated-upstream';
import { driveSteps, type ModelStep } from '../model-race';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimRequest, SimResult } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { closeAllStores } from '../../../plugins/shared/store';
import { RedisServer } from '../../support/redis-server';
import { post, startWebhookEnv, type WebhookEnv } from './harness-env';
import { githubHeader, newWhsec, standardHeaders } from './signing';

const T = 1_700_000_000;
const TTL_S = 1;
const IN_FLIGHT_TTL_S = 30;
const READ_TIMEOUT_MS = 800;
const SLACK_MS = 60;
const secret = newWhsec();
const GH_SECRET = 'gh-model-secret';

/** Statuses the upstream answers with; `reset`: connection dropped (Kong's 502); `slow`: after read_timeout (Kong's 504). */
const OUTCOMES = ['200', '202', '204', '400', '404', '409', '429', '500', '502', '503', 'reset', 'slow'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** Answers by the request's X-Outcome; a request with X-Gate is held until open(gate). */
async function respond(id: string, outcome: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (outcome === 'reset') return void req.socket.destroy();
  if (outcome === 'slow') await new Promise((r) => setTimeout(r, READ_TIMEOUT_MS + 150));
  const status = outcome === 'slow' ? 200 : Number(outcome);
  res.writeHead(status, { 'Content-Type': 'text/plain', 'X-Req': id });
  res.end(status === 204 ? undefined : `upstream ${id}`);
}

// ------------------------------------------------------------------ deliveries

/** resigned: the sender's retry, signed again 2 min later (within tolerance); stale: signed 10 min ago (std only: GitHub signs no time). */
type Signing = 'valid' | 'resigned' | 'stale' | 'unsigned' | 'tampered-body' | 'tampered-id' | 'wrong-secret';

interface Delivery {
  node: 0 | 1;
  /** std: Standard Webhooks (webhook-id signed); gh: GitHub (X-GitHub-Delivery not signed). */
  route: 'std' | 'gh';
  /** null: no event id header; twice: e1's header sent twice (ambiguous: no event id). */
  event: 'e1' | 'e2' | null | 'twice';
  body: 0 | 1;
  signing: Signing;
  outcome: Outcome;
}

type Template = Omit<Delivery, 'node' | 'outcome' | 'signing'>;
interface Ref {
  tpl: number;
  tweak: Partial<Template> | null;
  node: 0 | 1;
  signing: Signing;
  outcome: Outcome;
}
/** pair: the first held at the upstream while the second is sent; race: both at once, nothing held. */
type StepRef = ModelStep<Ref>;
type Step = ModelStep<Delivery>;

const templateArb: fc.Arbitrary<Template> = fc.record({
  route: fc.constantFrom('std' as const, 'gh' as const),
  event: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('e1' as const, 'e2' as const) }, { weight: 1, arbitrary: fc.constantFrom(null, 'twice' as const) }),
  body: fc.constantFrom(0 as const, 1 as const),
});
const tweakArb: fc.Arbitrary<Partial<Template>> = fc.oneof(
  fc.record({ route: fc.constantFrom('std' as const, 'gh' as const) }),
  fc.record({ event: fc.constantFrom('e1' as const, 'e2' as const, null, 'twice' as const) }),
  fc.record({ body: fc.constantFrom(0 as const, 1 as const) }),
);
const signingArb: fc.Arbitrary<Signing> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('valid' as const) },
  { weight: 2, arbitrary: fc.constant('resigned' as const) },
  { weight: 1, arbitrary: fc.constant('stale' as const) },
  { weight: 3, arbitrary: fc.constantFrom('unsigned' as const, 'tampered-body' as const, 'tampered-id' as const, 'wrong-secret' as const) },
);
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('200' as const) },
  { weight: 6, arbitrary: fc.constantFrom(...OUTCOMES.filter((o) => o !== 'slow')) },
  { weight: 1, arbitrary: fc.constant('slow' as const) },
);
const refArb: fc.Arbitrary<Ref> = fc.record({
  tpl: fc.nat({ max: 2 }),
  tweak: fc.option(tweakArb, { freq: 3, nil: null }),
  node: fc.constantFrom(0 as const, 1 as const),
  signing: signingArb,
  outcome: outcomeArb,
});
const runArb = fc.record({
  templates: fc.array(templateArb, { minLength: 3, maxLength: 3 }),
  steps: fc.array(
    fc.oneof(
      { weight: 10, arbitrary: refArb.map((req): StepRef => ({ kind: 'one', req })) },
      { weight: 5, arbitrary: fc.record({ kind: fc.constantFrom('pair' as const, 'race' as const), first: refArb, second: refArb }) },
      // the sender's redelivery while the first is still in progress: the same delivery, to either node
      {
        weight: 5,
        arbitrary: refArb.chain((first) =>
          fc.record({
            kind: fc.constantFrom('pair' as const, 'race' as const),
            first: fc.constant(first),
            second: fc.record({ node: fc.constantFrom(0 as const, 1 as const), outcome: outcomeArb, signing: signingArb }).map((o) => ({ ...first, ...o })),
          }),
        ),
      },
      { weight: 1, arbitrary: fc.constant<StepRef>({ kind: 'wait' }) },
    ),
    { minLength: 1, maxLength: 12 },
  ),
});

function resolve(templates: Template[], ref: Ref, held = false): Delivery {
  // While a first delivery is held at the upstream the second must not take read_timeout.
  const outcome = held && ref.outcome === 'slow' ? '200' : ref.outcome;
  return { ...templates[ref.tpl]!, ...(ref.tweak ?? {}), node: ref.node, signing: ref.signing, outcome };
}

// ------------------------------------------------------------------ the property

const upstream = new GatedUpstream(respond);
let redis: RedisServer | undefined;
let env: WebhookEnv;
const paths: Record<'memory' | 'redis', Record<Delivery['route'], string>> = { memory: { std: '', gh: '' }, redis: { std: '', gh: '' } };

beforeAll(async () => {
  await upstream.start();
  redis = await RedisServer.start();
  env = await startWebhookEnv({ nodes: 2 });
  env.setClock(T);
  for (const node of env.nodes) for (const service of node.sim.services.values()) Object.assign(service, { port: upstream.port, read_timeout: READ_TIMEOUT_MS, retries: 0 });
  for (const strategy of ['memory', 'redis'] as const) {
    const store = strategy === 'redis' ? { strategy, redis: { host: '127.0.0.1', port: redis.port } } : { strategy };
    const dedup = { enabled: true, ttl: TTL_S, in_flight_ttl: IN_FLIGHT_TTL_S, ...store };
    paths[strategy].std = env.route(`dedup-model-${strategy}-std`, { secrets: [secret], dedup });
    paths[strategy].gh = env.route(`dedup-model-${strategy}-gh`, { scheme: 'github', secrets: [GH_SECRET], dedup });
  }
});
afterAll(async () => {
  if (process.env.FC_STATS) console.log(JSON.stringify(Object.fromEntries([...stats.entries()].sort()), null, 1));
  await env?.close();
  await closeAllStores();
  await upstream.close();
  await redis?.close();
});

const stats = new Map<string, number>();
const seen = (what: string) => void stats.set(what, (stats.get(what) ?? 0) + 1);

const FC_SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const FC_PATH = process.env.FC_PATH;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 30);

type Slot = { kind: 'processed'; start: number; end: number } | { kind: 'inflight' };

describe.each(['memory', 'redis'] as const)(`webhook de-duplication model on the %s store (${TEST_PLUGIN_SERVER} plugin server)`, (strategy) => {
  it('every delivery is answered as the model says', async () => {
    let runSeq = 0;
    await fc.assert(
      fc.asyncProperty(runArb, async ({ templates, steps: refs }) => {
        const steps: Step[] = refs.map((r) =>
          r.kind === 'one'
            ? { kind: 'one', req: resolve(templates, r.req) }
            : r.kind === 'wait'
              ? r
              : { kind: r.kind, first: resolve(templates, r.first, r.kind === 'race'), second: resolve(templates, r.second, true) },
        );
        const run = `${strategy}${process.pid}r${runSeq++}`;
        let model = new Map<string, Slot>();

        const bodyOf = (d: Delivery) => `{"type":"invoice.paid","n":${d.body},"run":"${run}"}`;

        /** What the plugin does before the store: 401 (not verified), 400 (no id), or the key it claims. */
        const classify = (d: Delivery): { kind: '401' } | { kind: '400'; message: string } | { kind: 'dedup'; key: string } => {
          if (d.signing === 'stale' && d.route === 'std') return { kind: '401' };
          if (d.signing !== 'valid' && d.signing !== 'resigned' && d.signing !== 'stale') return { kind: '401' };
          // std signs its id: none, or two, fail verification; gh's unsigned id is looked for after it
          if (d.event === null || d.event === 'twice') return d.route === 'std' ? { kind: '401' } : { kind: '400', message: 'Missing webhook event id (x-github-delivery header)' };
          const where = strategy === 'memory' ? `node${d.node}` : 'redis';
          // the id alone when signed (std); with the body when not (gh)
          return { kind: 'dedup', key: `${where}|${d.route}|${d.event}${d.route === 'gh' ? `|${d.body}` : ''}` };
        };

        const build = (d: Delivery, id: string, gate?: string): SimRequest => {
          const body = bodyOf(d);
          const eventId = d.event === null ? undefined : `${run}-${d.event === 'twice' ? 'e1' : d.event}`;
          const extra: Array<[string, string]> = [['X-Req', id], ['X-Outcome', d.outcome]];
          if (gate) extra.push(['X-Gate', gate]);
          const signedBody = d.signing === 'tampered-body' ? `${body} ` : body;
          let signed: Array<[string, string]> = [];
          if (d.route === 'std') {
            const signedId = d.signing === 'tampered-id' ? `${eventId ?? ''}x` : (eventId ?? '');
            const ts = d.signing === 'resigned' ? T + 120 : d.signing === 'stale' ? T - 600 : T;
            signed = standardHeaders(d.signing === 'wrong-secret' ? newWhsec() : secret, signedId, ts, signedBody);
            if (eventId === undefined) signed = signed.filter(([n]) => n !== 'webhook-id');
            else signed = signed.flatMap(([n, v]): Array<[string, string]> => (n === 'webhook-id' ? (d.event === 'twice' ? [[n, eventId], [n, eventId]] : [[n, eventId]]) : [[n, v]]));
          } else {
            signed = [['X-Hub-Signature-256', githubHeader(d.signing === 'wrong-secret' ? 'not-the-secret' : GH_SECRET, signedBody)]];
            // GitHub does not sign its delivery id: "tampered-id" is a captured delivery under another id, verified
            if (eventId !== undefined) signed.push(['X-GitHub-Delivery', d.signing === 'tampered-id' ? `${eventId}-forged` : eventId]);
            if (d.event === 'twice') signed.push(['X-GitHub-Delivery', eventId!]);
          }
          if (d.signing === 'unsigned') signed = signed.filter(([n]) => !/signature/i.test(n));
          return post(paths[strategy][d.route], [...signed, ...extra], body);
        };

        const answered = (res: SimResult, what: string) => {
          const bad = res.kongLog.filter((l) => (l.plugin === undefined && (l.level === 'err' || l.level === 'crit') && !/^upstream /.test(l.message)) || (l.plugin === 'webhook-signature' && (l.level === 'err' || l.level === 'warn')));
          expect(bad.map((l) => l.message), `${what}: errors in Kong's log`).toEqual([]);
          expect(env.nodes.every((n) => n.server.running), `${what}: a plugin server exited`).toBe(true);
        };

        /** A GitHub delivery replayed under a made-up id is verified: it claims (made-up id, body). */
        const forgedGh = (d: Delivery) => d.route === 'gh' && d.signing === 'tampered-id';
        const classifyAny = (d: Delivery) => (forgedGh(d) ? classify({ ...d, signing: 'valid' }) : classify(d));
        /** The store key the delivery claims, undefined when it is refused before any claim. */
        const keyOf = (d: Delivery): string | undefined => {
          const c = classifyAny(d);
          return c.kind !== 'dedup' ? undefined : forgedGh(d) ? `${c.key}|forged` : c.key;
        };

        const check = (d: Delivery, id: string, res: SimResult, start: number, end: number, what: string) => {
          answered(res, what);
          const c = classifyAny(d);
          if (c.kind === '401') {
            seen('401');
            expect(res.status, `${what}: ${res.text()}`).toBe(401);
            expect(upstream.hits(id), what).toBe(0);
            return;
          }
          if (c.kind === '400') {
            seen('400');
            expect(res.status, what).toBe(400);
            expect(res.json(), what).toEqual({ message: c.message });
            expect(upstream.hits(id), what).toBe(0);
            return;
          }
          const key = keyOf(d)!;
          const slot = model.get(key);
          if (slot?.kind === 'inflight') {
            seen('409 in flight');
            expect(res.status, `${what}: ${res.text()}`).toBe(409);
            expect(res.json(), what).toEqual({ message: 'Webhook delivery already in progress' });
            const retryAfter = Number(res.headers.first('retry-after'));
            expect(retryAfter >= 1 && retryAfter <= IN_FLIGHT_TTL_S, `${what}: Retry-After ${retryAfter}`).toBe(true);
            expect(upstream.hits(id), what).toBe(0);
            return;
          }
          let processed = slot?.kind === 'processed' ? slot : undefined;
          if (processed) {
            const surelyAlive = end < processed.start + TTL_S * 1000 - SLACK_MS;
            const surelyGone = start > processed.end + TTL_S * 1000 + SLACK_MS;
            const looksDuplicate = res.headers.first('webhook-duplicate') !== undefined;
            seen(surelyGone ? 'id expired' : surelyAlive ? 'id alive' : `id maybe expired: ${looksDuplicate ? 'kept' : 'gone'}`);
            if (surelyGone || (!surelyAlive && !looksDuplicate)) processed = undefined;
          }
          if (processed) {
            seen('duplicate');
            expect(res.status, `${what}: ${res.text()}`).toBe(200);
            expect(res.source, what).toBe('exit');
            expect(res.headers.first('webhook-duplicate'), what).toBe('true');
            expect(res.json(), what).toEqual({ message: 'Webhook delivery already processed' });
            expect(upstream.hits(id), `${what}: a processed delivery reached the upstream again`).toBe(0);
            return;
          }
          seen(`proxied ${d.outcome}`);
          expect(upstream.hits(id), `${what}: upstream hits`).toBe(1);
          expect(res.headers.first('webhook-duplicate'), what).toBeUndefined();
          if (d.outcome === 'reset' || d.outcome === 'slow') {
            expect(res.status, what).toBe(d.outcome === 'reset' ? 502 : 504);
            expect(res.source, what).toBe('error');
            model.delete(key);
            return;
          }
          expect(res.status, what).toBe(Number(d.outcome));
          expect(res.source, what).toBe('service');
          if (res.status >= 200 && res.status < 300) model.set(key, { kind: 'processed', start, end });
          else model.delete(key);
        };

        await driveSteps(steps, {
          run,
          upstream,
          waitMs: TTL_S * 1000 + 2 * SLACK_MS,
          send: (d, id, gate) => env.request(build(d, id, gate), d.node),
          check,
          fork: () => {
            const saved = model;
            model = new Map(saved);
            return () => void (model = saved);
          },
          inFlight: (d) => {
            const key = keyOf(d);
            if (key === undefined) throw new Error('refused before any claim');
            const before = model.get(key);
            model.set(key, { kind: 'inflight' });
            return () => {
              if (before) model.set(key, before);
              else model.delete(key);
            };
          },
          seen,
          held: (first, second) => {
            const key = keyOf(first);
            seen(`pair in flight${first.node !== second.node ? ' across nodes' : ''}`);
            if (key === undefined) return { fail: 'a delivery that should have been refused reached the upstream' };
            const previous = model.get(key);
            if (previous?.kind === 'processed' && Date.now() < previous.start + TTL_S * 1000 - SLACK_MS) {
              return { fail: 'the first delivery reached the upstream although its id was processed' };
            }
            model.set(key, { kind: 'inflight' });
            return { undo: () => void model.delete(key) };
          },
        });
      }),
      { numRuns: NUM_RUNS, seed: FC_SEED, path: FC_PATH, endOnFailure: FC_PATH !== undefined },
    );
  }, 600_000);
});
