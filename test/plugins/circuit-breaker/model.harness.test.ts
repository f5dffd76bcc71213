/**
 * A stateful property: random sequences of steps through the real plugin server (KongSim playing
 * Kong, a real loopback upstream, the plugin clock moved through its test clock file: nothing
 * waits for the clock), each checked against the pure model of breaker-model.ts, which follows
 * docs/circuit-breaker.md (and opossum's window):
 *
 * - each run: two services (one whose requests may be held at the upstream, one with a short
 *   read_timeout for Kong's 504), three routes with three Host values, circuit-breaker on each
 *   service or each route, one random valid config per run (scope service, route or
 *   service_host; ranges, threshold, minimum, window/buckets, open duration, multiplier, cap,
 *   probes, slow-call threshold, pending timeout) and a second one (equal or changed);
 * - steps: a request whose upstream answers a status (2xx, in or out of the ranges, the
 *   upstream's own 502/504), slowly, resets the connection (Kong's 502) or times out (Kong's
 *   504); held at the upstream and released later (a call in flight counts in the window; its
 *   outcome may come after the circuit opened, closed, or the call was dropped); refused by a
 *   plugin before the breaker (not a call) or after it (a call without outcome, a probe giving
 *   its place back); the clock moved forward (within a bucket, across buckets, past the window,
 *   the open duration, the pending timeout) or stepped back; a plugin entity restarted with the
 *   same config (shares breakers) or a changed one (fresh breakers); the state endpoint read;
 * - every answer is checked: proxied (the upstream called exactly once) or 503 with
 *   X-Circuit-Breaker-State and Retry-After, and the state-change lines the request logged; the
 *   state endpoint's entry of every breaker of the run (state, since, window counts, pending
 *   calls, probes, open deadline, rejected, last transition) after every clock move and state
 *   change.
 *
 * Not modelled: a config change while a request is in flight (which instance logs it is Kong's
 * business), the plugin attached globally, buffered proxying, refused connections (a closed port:
 * the connection reset stands for Kong's 502), backward clock steps under 1 s (jitter, not
 * absorbed), the service_host LRU bounds, invalid configs, PDK round trips (pdk-cost.harness).
 *
 * The state endpoint is read after each clock move, state change and plugin instance restart: it
 * sweeps every breaker at that clock value, so the 1 s sweep timer of the plugin server cannot
 * see a clock value the model did not.
 *
 * A failure prints fast-check's seed and path; re-run it with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/plugins/circuit-breaker/model.harness.test.ts`
 * (FC_NUM_RUNS for more runs, FC_STATS=1 to print which cases the runs met).
 */
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { GatedUpstream } from '../gated-upstream';
import { configKey, pluginSettings } from '../../../plugins/shared/config-key';
import { withDefaults } from '../../../plugins/circuit-breaker/config';
import type { StateJson, BreakerStateJson } from '../../../plugins/circuit-breaker/state-view';
import { breakerLog, startBreakerEnvWithState, type Api, type BreakerEnv } from './harness-env';
import { ModelBreaker, type Admission, type ModelSettings, type Outcome, type Transition } from './breaker-model';

// ------------------------------------------------------------------ the upstream

/** S1's read_timeout: long, so that a request held at the upstream does not time out. */
const HOLD_READ_TIMEOUT_MS = 10_000;
/** S2's read_timeout: an upstream slower than this gets Kong's 504. */
const SHORT_READ_TIMEOUT_MS = 400;

/** X-Outcome: `status:<n>`, `slow:<ms>` (200 after ms), `reset` (connection dropped: Kong's 502), `timeout`. */
async function respond(_id: string, outcome: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const [kind, arg] = outcome.split(':');
  if (kind === 'reset') return void req.socket.destroy();
  let status = 200;
  if (kind === 'slow') await new Promise((r) => setTimeout(r, Number(arg)));
  if (kind === 'timeout') await new Promise((r) => setTimeout(r, SHORT_READ_TIMEOUT_MS + 300));
  if (kind === 'status') status = Number(arg);
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': '2' });
  res.end('ok');
}

// ------------------------------------------------------------------ generation

type Scope = 'service' | 'route' | 'service_host';

interface Cfg {
  scope: Scope;
  failure_status_ranges: Array<{ from: number; to: number }>;
  error_threshold_percentage: number;
  minimum_requests: number;
  window_ms: number;
  window_buckets: number;
  slow_call_threshold_ms: number | null;
  open_duration_ms: number;
  open_duration_multiplier: number;
  max_open_duration_ms: number;
  half_open_probes: number;
  pending_timeout_ms: number;
}

const RANGES = [
  [
    { from: 429, to: 429 },
    { from: 500, to: 599 },
  ],
  [{ from: 500, to: 599 }],
  [{ from: 500, to: 503 }],
  [{ from: 400, to: 504 }],
  [],
];

const cfgArb: fc.Arbitrary<Cfg> = fc
  .record({
    scope: fc.constantFrom<Scope>('service', 'route', 'service_host'),
    ranges: fc.nat({ max: RANGES.length - 1 }),
    error_threshold_percentage: fc.oneof(fc.constantFrom(0, 25, 33, 50, 66, 99), fc.integer({ min: 0, max: 99 })),
    minimum_requests: fc.integer({ min: 1, max: 6 }),
    window_ms: fc.constantFrom(1000, 3000, 10_000, 60_000),
    window_buckets: fc.oneof(fc.constantFrom(1, 3, 10), fc.integer({ min: 1, max: 12 })),
    slow_call_threshold_ms: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.constantFrom(100, 180) }),
    open_duration_ms: fc.constantFrom(1000, 2500, 5000, 30_000),
    open_duration_multiplier: fc.constantFrom(1, 1.5, 2, 3),
    cap_extra: fc.constantFrom(0, 3000, 100_000),
    half_open_probes: fc.integer({ min: 1, max: 3 }),
    pending_timeout_ms: fc.constantFrom(1000, 4000, 60_000),
  })
  .map(({ ranges, cap_extra, ...c }) => ({ ...c, failure_status_ranges: RANGES[ranges]!, max_open_duration_ms: c.open_duration_ms + cap_extra }));

type OutcomeSpec = { kind: 'status'; status: number } | { kind: 'slow' } | { kind: 'reset' } | { kind: 'timeout' };

const outcomeArb: fc.Arbitrary<OutcomeSpec> = fc.oneof(
  { weight: 7, arbitrary: fc.constant({ kind: 'status' as const, status: 200 }) },
  { weight: 5, arbitrary: fc.constantFrom(500, 503, 429).map((status) => ({ kind: 'status' as const, status })) },
  { weight: 3, arbitrary: fc.constantFrom(201, 404, 502, 504).map((status) => ({ kind: 'status' as const, status })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'slow' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const }) },
);

type Step =
  | { kind: 'req'; route: number; host: number; outcome: OutcomeSpec; hold: boolean; terminate: 'before' | 'after' | null }
  | { kind: 'burst'; route: number; host: number; n: number; status: number }
  | { kind: 'release'; which: number }
  | { kind: 'advance'; ms: number }
  /** To the end of a breaker's open period, its window's next rotation, or the pending timeout of
   *  a call or probe in flight, give or take `delta` ms. */
  | { kind: 'deadline'; which: 'open' | 'bucket' | 'pending'; delta: number }
  | { kind: 'back'; ms: number }
  | { kind: 'reconfig'; entity: number; config: number }
  | { kind: 'state' };

const ROUTES = 3; // 0, 1 on S1 (holds), 2 on S2 (timeouts)
const HOSTS = ['a.test', 'A.Test', 'b.test'];

/** Mostly the first route and Host, so that one breaker sees enough calls to open. */
const routeArb = fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, { weight: 2, arbitrary: fc.constant(2) });
const hostArb = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({
      kind: fc.constant('req' as const),
      route: routeArb,
      host: hostArb,
      outcome: outcomeArb,
      hold: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      terminate: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constant('before' as const) }, { weight: 2, arbitrary: fc.constant('after' as const) }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('burst' as const),
      route: routeArb,
      host: hostArb,
      n: fc.integer({ min: 2, max: 6 }),
      status: fc.constantFrom(200, 500, 500, 503, 429),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('release' as const), which: fc.nat({ max: 5 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.constantFrom(1, 40, 150, 333, 999), fc.constantFrom(1000, 1700, 2500, 5000), fc.constantFrom(10_000, 31_000, 65_000, 200_000)),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('deadline' as const), which: fc.constantFrom('open' as const, 'bucket' as const, 'pending' as const), delta: fc.constantFrom(-1, 0, 0, 1, 500) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('back' as const), ms: fc.constantFrom(1500, 5000, 40_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reconfig' as const), entity: fc.nat({ max: 2 }), config: fc.nat({ max: 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'state' as const }) },
);

const runArb = fc.record({
  attach: fc.constantFrom<'service' | 'route'>('service', 'route'),
  config: cfgArb,
  /** The second config: the same (a restart), or some fields of another. */
  other: fc.option(cfgArb, { nil: undefined, freq: 2 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'max' }),
});

// ------------------------------------------------------------------ helpers

const stats = new Map<string, number>();
const seen = (what: string) => void stats.set(what, (stats.get(what) ?? 0) + 1);

const FC_SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const FC_PATH = process.env.FC_PATH;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 50);

const iso = (ms: number): string => new Date(ms).toISOString();

function settingsOf(c: Cfg): ModelSettings {
  return {
    errorThresholdPercentage: c.error_threshold_percentage,
    minimumRequests: c.minimum_requests,
    windowMs: c.window_ms,
    windowBuckets: c.window_buckets,
    openDurationMs: c.open_duration_ms,
    openDurationMultiplier: c.open_duration_multiplier,
    maxOpenDurationMs: c.max_open_duration_ms,
    halfOpenProbes: c.half_open_probes,
    pendingTimeoutMs: c.pending_timeout_ms,
  };
}

const inRanges = (status: number, c: Cfg) => c.failure_status_ranges.some((r) => status >= r.from && status <= r.to);

/** docs, "What a logged request means", from the answer Kong gave (the latency from its header). */
function outcomeOf(res: SimResult, c: Cfg): Outcome {
  if (inRanges(res.status, c)) return { kind: 'failure', detail: `status ${res.status}` };
  if ((res.status === 502 || res.status === 504) && res.source === 'error') {
    return { kind: 'failure', detail: `upstream ${res.status === 504 ? 'timeout' : 'connection error'} (${res.status})` };
  }
  const latency = Number(res.headers.first('x-kong-upstream-latency'));
  if (c.slow_call_threshold_ms !== null && latency > c.slow_call_threshold_ms) return { kind: 'failure', detail: `slow call (${Math.round(latency)} ms)` };
  return { kind: 'success' };
}

// ------------------------------------------------------------------ the property

let env: BreakerEnv;
let statePath: string;
const upstream = new GatedUpstream(respond);

beforeAll(async () => {
  await upstream.start();
  ({ env, statePath } = await startBreakerEnvWithState());
});
afterAll(async () => {
  if (process.env.FC_STATS) console.log(JSON.stringify(Object.fromEntries([...stats.entries()].sort()), null, 1));
  await env?.close();
  await upstream.close();
});

interface Entity {
  pluginId: string;
  /** The config Kong has for it, and the one its current plugin instance runs with (a new
   *  instance starts at the entity's next request). */
  config: number;
  instanceConfig: number | undefined;
}

interface ModelEntry {
  breaker: ModelBreaker;
  key: string;
  scope: Scope;
  serviceId: string | null;
  routeId: string | null;
  host: string | null;
  /** The service's or route's name, once Kong gave it (router in access, serialize in log). */
  name: string | null;
  knownName: string;
}

interface Family {
  id: string;
  cfg: Cfg;
  breakers: Map<string, ModelEntry>;
}

interface Held {
  id: string;
  gate: string;
  what: string;
  done: Promise<SimResult>;
  admission: Admission;
  entry: ModelEntry;
  family: Family;
  accessLines: string[];
  expectStatus: number;
  expectSource: 'service' | 'error';
}

describe(`circuit-breaker model (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it('every step answers as the model says', async () => {
    let runSeq = 0;
    let reqSeq = 0;
    await fc.assert(
      fc.asyncProperty(runArb, async ({ attach, config, other, steps }) => {
        const run = `m${process.pid}r${runSeq++}`;
        // unique per run: a config of this run never shares a family with another run's entities
        const unique = (c: Cfg): Cfg => ({ ...c, pending_timeout_ms: c.pending_timeout_ms + runSeq });
        const merged = other ? { ...config, ...pick(other) } : config;
        merged.max_open_duration_ms = Math.max(merged.max_open_duration_ms, merged.open_duration_ms);
        const configs: Cfg[] = [unique(config), unique(merged)];
        const familyIds = configs.map((c) => configKey(pluginSettings(withDefaults(c))));
        const families = new Map<string, Family>();
        const familyOf = (i: number): Family => {
          const id = familyIds[i]!;
          let f = families.get(id);
          if (!f) families.set(id, (f = { id, cfg: configs[i]!, breakers: new Map() }));
          return f;
        };

        // the universe: S1 (routes 0, 1; requests may be held) and S2 (route 2; Kong's 504)
        const hosts = ['a.test', 'b.test', 'c.test'];
        const r0 = env.api(`${run}a`, { port: upstream.port, readTimeoutMs: HOLD_READ_TIMEOUT_MS, hosts, config: { ...configs[0]! }, attach });
        const r1 = env.api(`${run}b`, { service: r0.service, hosts, config: attach === 'route' ? { ...configs[0]! } : undefined, attach });
        const r2 = env.api(`${run}c`, { port: upstream.port, readTimeoutMs: SHORT_READ_TIMEOUT_MS, hosts, config: { ...configs[0]! }, attach });
        const routes: Api[] = [r0, r1, r2];
        const entities: Entity[] = [r0, r1, r2].filter((r) => r.pluginId).map((r) => ({ pluginId: r.pluginId!, config: 0, instanceConfig: undefined }));
        const entityOfRoute = (i: number): Entity => (attach === 'service' ? entities[i === 2 ? 1 : 0]! : entities[i]!);
        const serviceIds = new Set([r0.service.id, r2.service.id]);
        const routeIds = new Set(routes.map((r) => r.routeId));
        const held: Held[] = [];

        const nowMs = () => env.now() * 1000;

        const who = (e: ModelEntry): string => {
          const named = ` (${e.knownName})`;
          if (e.scope === 'service') return `service ${e.serviceId}${named}`;
          if (e.scope === 'route') return `route ${e.routeId}${named}`;
          return `service ${e.serviceId}${named} host ${e.host}`;
        };
        /** A state change since the last step: the state endpoint is read after the step. */
        let changed = false;
        const lines = (e: ModelEntry, ts: Transition[]): string[] =>
          ts.map((t) => {
            changed = true;
            if (t.to === 'open') return `warn [circuit-breaker] circuit opened${t.from === 'half_open' ? ' again' : ''} for ${who(e)}: ${t.reason}; requests get 503 for ${t.openForMs} ms`;
            if (t.to === 'half_open') return `notice [circuit-breaker] circuit half-open for ${who(e)}: ${t.reason}`;
            return `notice [circuit-breaker] circuit closed for ${who(e)}: ${t.reason}`;
          });
        const logged = (res: SimResult) => breakerLog(res).map((l) => `${l.level} ${l.message}`);

        /** The breaker a request of route `r` with Host `h` goes to (creating it: access), under `family`. */
        const entryFor = (family: Family, r: number, h: number, create: boolean): ModelEntry | undefined => {
          const scope = family.cfg.scope;
          const route = routes[r]!;
          const host = HOSTS[h]!.toLowerCase();
          const key =
            scope === 'service' ? `service:${route.service.id}` : scope === 'route' ? `route:${route.routeId}` : `service_host:${route.service.id}|${host}`;
          let e = family.breakers.get(key);
          if (!e && create) {
            e = {
              breaker: new ModelBreaker(settingsOf(family.cfg), nowMs()),
              key,
              scope,
              serviceId: scope === 'route' ? null : route.service.id,
              routeId: scope === 'route' ? route.routeId : null,
              host: scope === 'service_host' ? host : null,
              name: null,
              knownName: scope === 'route' ? route.name : route.service.name!,
            };
            family.breakers.set(key, e);
          }
          return e;
        };
        /** access takes the id from the instance config when the plugin sits on what its scope names; else Kong's router names it. */
        const accessNames = (scope: Scope) => !((scope === 'route' && attach === 'route') || (scope !== 'route' && attach === 'service'));

        /** The entity of route `r` at a request: Kong starts a new instance after a config change. */
        let restarted = false;
        const instanceOf = (r: number): Family => {
          const entity = entityOfRoute(r);
          if (entity.instanceConfig !== entity.config) {
            if (entity.instanceConfig !== undefined) restarted = true;
            entity.instanceConfig = entity.config;
          }
          return familyOf(entity.instanceConfig);
        };

        /** docs "Node-wide, in memory": what the sweep forgets. */
        const sweep = (now: number) => {
          const inUse = new Set(entities.map((e) => (e.instanceConfig === undefined ? undefined : familyIds[e.instanceConfig])));
          for (const f of families.values()) {
            const retired = !inUse.has(f.id);
            for (const [k, e] of f.breakers) {
              e.breaker.sweep(now);
              if (e.breaker.isIdle(now) || (retired && e.breaker.isUnused(now))) {
                f.breakers.delete(k);
                seen(retired && e.breaker.state !== 'closed' ? 'forgot a retired config breaker' : 'forgot an idle breaker');
              }
            }
          }
        };

        const checkState = async (what: string) => {
          const res = await env.get(statePath);
          expect(res.status, what).toBe(200);
          const now = nowMs();
          sweep(now);
          const actual = (res.json() as StateJson).breakers.filter(
            (b) => (b.service_id !== null && serviceIds.has(b.service_id)) || (b.route_id !== null && routeIds.has(b.route_id)),
          );
          const expected: BreakerStateJson[] = [];
          for (const f of families.values()) {
            for (const e of f.breakers.values()) {
              const v = e.breaker.view(now);
              expected.push({
                key: e.key,
                scope: e.scope,
                service_id: e.serviceId,
                route_id: e.routeId,
                host: e.host,
                name: e.name,
                config_id: f.id.slice(0, 12),
                state: v.state,
                since: iso(v.sinceMs),
                last_request_at: iso(v.lastRequestAtMs),
                open_until: v.openUntilMs === null ? null : iso(v.openUntilMs),
                retry_after_seconds: v.retryAfterSeconds,
                open_duration_ms: v.openDurationMs,
                failed_trials: v.failedTrials,
                window: {
                  length_ms: f.cfg.window_ms,
                  calls: v.window.fires,
                  successes: v.window.successes,
                  failures: v.window.failures,
                  failure_percentage: v.window.failurePercentage,
                  minimum_requests: f.cfg.minimum_requests,
                  error_threshold_percentage: f.cfg.error_threshold_percentage,
                },
                pending_calls: v.pendingCalls,
                rejected: v.rejected,
                probes: v.probes,
                last_transition: v.lastTransition ? { from: v.lastTransition.from, to: v.lastTransition.to, at: iso(v.lastTransition.atMs), reason: v.lastTransition.reason } : null,
              });
              seen(`state ${v.state}`);
            }
          }
          const order = (a: BreakerStateJson, b: BreakerStateJson) => (a.key === b.key ? (a.config_id < b.config_id ? -1 : 1) : a.key < b.key ? -1 : 1);
          expect(actual, `${what}: the state endpoint`).toEqual(expected.sort(order));
        };

        /** Checks a proxied request's answer against what the upstream was told, and settles it in the model. */
        const finish = (res: SimResult, h: Omit<Held, 'done' | 'gate'>) => {
          expect(res.status, `${h.what}: status`).toBe(h.expectStatus);
          expect(res.source, `${h.what}: source`).toBe(h.expectSource);
          expect(upstream.hits(h.id), `${h.what}: upstream hits`).toBe(1);
          expect(res.headers.first('x-circuit-breaker-state'), h.what).toBeUndefined();
          const outcome = outcomeOf(res, h.family.cfg);
          seen(`outcome ${outcome.kind}${outcome.kind === 'failure' ? ` ${outcome.detail.replace(/\d+ ms/, 'N ms')}` : ''} (${h.admission.kind})`);
          // the log phase finds the breaker by its key: another one if the sweep forgot it meanwhile
          const entry = h.family.breakers.get(h.entry.key);
          if (entry !== h.entry) seen(entry ? 'settled on a re-created breaker' : 'settled on a forgotten breaker');
          const after: string[] = [];
          if (entry) {
            entry.breaker.log(h.admission, outcome, nowMs(), reqSeq);
            if (entry.breaker.note) seen(`${entry.breaker.note} (${h.admission.kind}, ${outcome.kind})`);
            entry.name = entry.knownName;
            after.push(...lines(entry, entry.breaker.drain()));
          }
          expect(logged(res), `${h.what}: logged state changes`).toEqual([...h.accessLines, ...after]);
        };

        const release = async (i: number) => {
          const [h] = held.splice(i, 1);
          upstream.open(h!.gate);
          finish(await h!.done, h!);
          seen('released a held request');
        };

        const request = async (r: number, hi: number, spec: OutcomeSpec, hold: boolean, terminate: 'before' | 'after' | null, what: string) => {
          const family = instanceOf(r);
          const cfg = family.cfg;
          const id = `${run}-q${reqSeq++}`;
          // S1 cannot time out (holds need its long read_timeout): its "timeout" is a plain 500
          if (r !== 2 && spec.kind === 'timeout') spec = { kind: 'status', status: 500 };
          if (spec.kind === 'timeout' || spec.kind === 'slow') hold = false;
          const slowMs = (cfg.slow_call_threshold_ms ?? 100) + 60;
          const wire = spec.kind === 'status' ? `status:${spec.status}` : spec.kind === 'slow' ? `slow:${slowMs}` : spec.kind;
          const headers: Array<[string, string]> = [
            ['Host', HOSTS[hi]!],
            ['X-Req', id],
            ['X-Outcome', wire],
          ];
          const gate = `${id}-gate`;
          if (hold) headers.push(['X-Gate', gate]);
          if (terminate === 'before') headers.push(['X-Terminate-Before', '429']);
          if (terminate === 'after') headers.push(['X-Terminate-After', '418']);
          const send = () => env.request({ method: 'GET', path: routes[r]!.path, headers });

          if (terminate === 'before') {
            // refused before the breaker: its log phase still looks at the breaker, if there is one
            const res = await send();
            expect(res.status, what).toBe(429);
            expect(upstream.hits(id), what).toBe(0);
            const e = entryFor(family, r, hi, false);
            const expectedLines: string[] = [];
            if (e) {
              e.breaker.log({ kind: 'reject', state: 'open', retryAfterSeconds: 0 }, { kind: 'none' }, nowMs(), reqSeq);
              e.name = e.knownName;
              expectedLines.push(...lines(e, e.breaker.drain()));
            }
            expect(logged(res), `${what}: logged state changes`).toEqual(expectedLines);
            seen('refused before the breaker');
            return;
          }

          const entry = entryFor(family, r, hi, true)!;
          if (accessNames(cfg.scope)) entry.name = entry.knownName;
          const admission = entry.breaker.admit(nowMs(), reqSeq - 1);
          const accessLines = lines(entry, entry.breaker.drain());
          seen(`admission ${admission.kind}${admission.kind === 'reject' ? ` ${admission.state}` : ''}${terminate ? ` terminate-${terminate}` : ''}`);

          if (admission.kind === 'reject') {
            const res = await send();
            expect(res.status, `${what}: refused by the breaker (${res.text()})`).toBe(503);
            expect(res.source, what).toBe('exit');
            expect(res.json(), what).toEqual({ message: 'The upstream server is currently unavailable' });
            expect(res.headers.first('x-circuit-breaker-state'), what).toBe(admission.state);
            expect(res.headers.first('retry-after'), what).toBe(String(admission.retryAfterSeconds));
            expect(upstream.hits(id), what).toBe(0);
            entry.breaker.log(admission, { kind: 'none' }, nowMs(), reqSeq);
            entry.name = entry.knownName;
            expect(logged(res), `${what}: logged state changes`).toEqual([...accessLines, ...lines(entry, entry.breaker.drain())]);
            return;
          }
          if (terminate === 'after') {
            const res = await send();
            expect(res.status, `${what}: let through, then refused by a later plugin`).toBe(418);
            expect(upstream.hits(id), what).toBe(0);
            entry.breaker.log(admission, { kind: 'none' }, nowMs(), reqSeq);
            entry.name = entry.knownName;
            expect(logged(res), `${what}: logged state changes`).toEqual([...accessLines, ...lines(entry, entry.breaker.drain())]);
            return;
          }
          const expectStatus = spec.kind === 'status' ? spec.status : spec.kind === 'reset' ? 502 : spec.kind === 'timeout' ? 504 : 200;
          const expectSource = spec.kind === 'reset' || spec.kind === 'timeout' ? 'error' : 'service';
          const h = { id, what, admission, entry, family, accessLines, expectStatus, expectSource } as const;
          if (!hold) return finish(await send(), h);
          const done = send();
          const raced = await Promise.race([upstream.arrived(gate).then(() => 'arrived' as const), done.then(() => 'done' as const)]);
          if (raced === 'done') expect.fail(`${what}: the held request was answered before reaching the upstream: ${(await done).status}`);
          held.push({ ...h, gate, done });
          seen(`held a ${admission.kind}`);
        };

        try {
          for (const [i, step] of steps.entries()) {
            const what = `${run} step ${i} ${JSON.stringify(step)} (clock ${nowMs()})`;
            switch (step.kind) {
              case 'req':
                await request(step.route, step.host, step.outcome, step.hold && step.route !== 2, step.terminate, what);
                break;
              case 'burst':
                for (let n = 0; n < step.n; n++) await request(step.route, step.host, { kind: 'status', status: step.status }, false, null, `${what} #${n}`);
                break;
              case 'release':
                if (held.length > 0) await release(step.which % held.length);
                break;
              case 'advance':
                env.advance(step.ms);
                await checkState(what);
                break;
              case 'back':
                // every breaker has seen the clock before the step (checkState sweeps them all)
                await checkState(`${what} before`);
                env.setClock(env.now() - step.ms / 1000);
                await checkState(what);
                seen('clock stepped back');
                break;
              case 'reconfig': {
                if (held.length > 0) break; // an instance change under a request in flight: not modelled
                const entity = entities[step.entity % entities.length]!;
                entity.config = step.config;
                env.sim.updatePlugin(entity.pluginId, { ...configs[step.config]! });
                seen(`reconfigured ${familyIds[step.config] === familyIds[entity.instanceConfig ?? 0] ? 'same' : 'changed'}`);
                break;
              }
              case 'deadline': {
                // the first breaker (by key) with such a deadline ahead
                const now = nowMs();
                const targets = [...families.values()]
                  .flatMap((f) => [...f.breakers.values()])
                  .sort((a, b) => (a.key < b.key ? -1 : 1))
                  .map((e) => {
                    const d = e.breaker.deadlines();
                    return step.which === 'open' ? d.openUntilMs : step.which === 'bucket' ? d.nextRotationMs : d.nextExpiryMs;
                  })
                  .filter((t): t is number => t !== null && t + step.delta > now);
                if (targets.length === 0) break;
                env.setClock((targets[0]! + step.delta) / 1000);
                seen(`clock to a deadline: ${step.which} ${step.delta}`);
                await checkState(what);
                break;
              }
              case 'state':
                await checkState(what);
                break;
            }
            if (restarted || changed) {
              // a new instance may retire a config: read the state now, as the sweep timer may;
              // and a state change is worth a look at the state endpoint
              await checkState(`${what} (after ${restarted ? 'an instance restart' : 'a state change'})`);
              restarted = changed = false;
            }
          }
          while (held.length > 0) await release(0);
          await checkState(`${run} end`);
        } finally {
          for (const h of held) upstream.open(h.gate);
          await Promise.allSettled(held.map((h) => h.done));
        }
      }),
      { numRuns: NUM_RUNS, seed: FC_SEED, path: FC_PATH, endOnFailure: FC_PATH !== undefined },
    );
  }, 600_000);
});

/** Some fields of `other` (the second config differs from the first in those). */
function pick(other: Cfg): Partial<Cfg> {
  const keys = Object.keys(other) as Array<keyof Cfg>;
  const out: Partial<Cfg> = {};
  // deterministic from the generated value: every other field, starting at one its hash picks
  const start = (other.minimum_requests + other.half_open_probes) % 2;
  for (let i = start; i < keys.length; i += 2) (out as Record<string, unknown>)[keys[i]!] = other[keys[i]!];
  return out;
}
