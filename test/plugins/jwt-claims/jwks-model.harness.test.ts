/**
 * A stateful property of the JWKS key lifecycle (README "JWKS refresh"): random sequences of
 * steps through the real plugin server (KongSim playing Kong), two real loopback JWKS endpoints
 * the test controls (A over http, B over https from a private CA), and the plugin's clock
 * (KONG_PLUGINS_TEST_CLOCK_FILE) moved explicitly — no sleeping for TTLs or cooldowns. Each
 * step's answers and the number of JWKS fetches each endpoint saw are checked against a small
 * model of what the README promises:
 *
 * - the key sets: keys published, re-keyed under the same kid, withdrawn, replaced wholesale;
 *   with and without kid, several per kty, with and without `alg`, some unusable (`use: enc`,
 *   published with their private part);
 * - the endpoints: 200, 200 slowly (within jwks_timeout), 304, 404, 500, not JSON, over 1 MiB,
 *   stalled past jwks_timeout, connection reset; a random Cache-Control (not honoured);
 * - the clock: advances within and past jwks_refresh_cooldown and jwks_cache_ttl, also exactly to
 *   either bound;
 * - requests with tokens signed by a published key (its kid, or none), a retired one, one never
 *   (or not yet) published, an unknown kid, an issuer the route does not trust; through 2-3
 *   routes whose configs share a key set (same jwks_uri and jwks_* settings) or not;
 * - bursts of 2-4 concurrent requests while the endpoint holds its answer: one fetch per key set
 *   (single flight); each answer is the one the request gets either joining that fetch or coming
 *   after it, and the fetch count is exact where the README leaves no room (cooldown > 0, or no
 *   request that would refetch after it);
 * - plugin instance restarts (same config, or another setting changed: the key set survives;
 *   the verified-token cache survives only the former), and plugin server restarts (all gone).
 *
 * The model per key set: keys (undefined until a fetch succeeded), when they were fetched, when
 * a fetch was last attempted. A request: verified-token cache hit (cache on) → 200; untrusted
 * issuer → 401; no set yet → fetch now if the cooldown allows; set older than jwks_cache_ttl →
 * fetch in the background if the cooldown allows (this request uses the old keys); no set →
 * 503 + Retry-After; else the keys of the token's kid (all keys for a token without kid) whose
 * alg and kty fit the token's alg, at most 8 tried; none verifies → refetch and wait if this
 * request has not waited for a fetch yet and the cooldown allows (or join the background fetch),
 * then try the new keys of that kid with what is left of the 8; → 200, or 401 No matching
 * signing key / Invalid signature. A failed fetch keeps the old keys.
 *
 * A failure prints fast-check's seed and path; re-run it with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/plugins/jwt-claims/jwks-model.harness.test.ts`
 * (FC_NUM_RUNS for more runs, FC_STATS=1 to print which cases the runs met, FC_TRACE=1 to print
 * every step and what the model expected).
 */
import fc from 'fast-check';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimResult } from '../../harness';
import { TEST_PLUGIN_SERVER } from '../../harness/plugin-server-process';
import { MAX_JWKS_BYTES } from '../../../plugins/jwt-claims/jwks';
import { MAX_VERIFY_ATTEMPTS } from '../../../plugins/jwt-claims/verify';
import { makeTestCertificates, type TestCertificates } from '../../support/redis-tls';
import { bearer, startJwtClaims, type JwtClaimsEnv } from './harness-env';
import { ecKey, edKey, makeToken, rsaKey, type Alg, type TestKey } from './tokens';

// ------------------------------------------------------------------ keys and tokens

type Kty = 'RSA' | 'EC' | 'OKP';
const MATERIALS: ReadonlyArray<{ kty: Kty; key: TestKey }> = [
  { kty: 'RSA', key: rsaKey() },
  { kty: 'RSA', key: rsaKey() },
  { kty: 'RSA', key: rsaKey() },
  { kty: 'EC', key: ecKey('P-256') },
  { kty: 'EC', key: ecKey('P-256') },
  { kty: 'OKP', key: edKey() },
  { kty: 'OKP', key: edKey() },
];
const ALGS_FOR: Record<Kty, Alg[]> = { RSA: ['RS256', 'PS256'], EC: ['ES256'], OKP: ['EdDSA'] };
const KIDS = ['k1', 'k2', 'k3', 'k4'] as const;

/** One member of a published key set. */
interface Entry {
  kid: string | null;
  mat: number;
  /** Index into [no alg, ...ALGS_FOR[kty]] (modulo). */
  alg: number;
  /** sig: usable; enc: `use: enc`; private: published with its private part (never used). */
  flavour: 'sig' | 'enc' | 'private';
}

function declaredAlg(e: Entry): Alg | undefined {
  const choices = [undefined, ...ALGS_FOR[MATERIALS[e.mat]!.kty]];
  return choices[e.alg % choices.length];
}

function jwkOf(e: Entry): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (e.kid !== null) extra.kid = e.kid;
  const alg = declaredAlg(e);
  if (alg !== undefined) extra.alg = alg;
  const key = MATERIALS[e.mat]!.key;
  if (e.flavour === 'private') return { ...key.privateKey.export({ format: 'jwk' }), ...extra };
  if (e.flavour === 'enc') extra.use = 'enc';
  return key.jwk(extra);
}

/** A key the plugin holds: what decides whether it verifies a token. */
interface Usable {
  kid: string | null;
  mat: number;
  alg: Alg | undefined;
}

const usableOf = (entries: readonly Entry[]): Usable[] =>
  entries.filter((e) => e.flavour === 'sig').map((e) => ({ kid: e.kid, mat: e.mat, alg: declaredAlg(e) }));

const fits = (mat: number, alg: Alg): boolean => ALGS_FOR[MATERIALS[mat]!.kty].includes(alg);

type TokenPick =
  | { kind: 'current'; n: number }
  | { kind: 'past'; n: number }
  | { kind: 'any'; mat: number; kid: string | null | 'fresh' };

interface TokenSpec {
  /** Which of the route's issuers signed it (modulo), or the other one (untrusted on a one-issuer route). */
  issuer: number;
  foreign: boolean;
  pick: TokenPick;
  alg: number;
  nonce: number;
}

interface Token {
  text: string;
  idp: 0 | 1;
  kid: string | null;
  mat: number;
  alg: Alg;
  /** How it was picked (for the stats). */
  how: string;
}

// ------------------------------------------------------------------ the JWKS endpoints

const MODES = ['ok', 'slow', '304', '404', '500', 'malformed', 'oversized', 'stall', 'reset'] as const;
type Mode = (typeof MODES)[number];
const SUCCEEDS = new Set<Mode>(['ok', 'slow']);

/** jwks_timeout of every route (ms, real time): a stalled endpoint costs this much. */
const TIMEOUT_MS = 1000;
/** How late a `slow` endpoint answers (within jwks_timeout). */
const SLOW_MS = 60;
/** How long the endpoint holds its answers during a burst, so that the burst's requests meet one fetch. */
const HOLD_MS = 150;

/** A JWKS endpoint on loopback whose key set and health the test sets; it counts fetches. */
class Endpoint {
  path = '/none';
  entries: Entry[] = [];
  mode: Mode = 'ok';
  cacheControl: string | undefined;
  holdMs = 0;
  hits = 0;
  /** Requests for another run's path: a fetch the settling missed. */
  stray = 0;
  /** TCP connections open now. */
  open = 0;
  url = '';
  private server!: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly tls?: { cert: Buffer; key: Buffer }) {}

  async start(): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    this.server = this.tls ? https.createServer(this.tls, handler) : http.createServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.open += 1;
      this.sockets.add(socket);
      socket.on('close', () => {
        this.open -= 1;
        this.sockets.delete(socket);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  reset(path: string, entries: Entry[]): void {
    Object.assign(this, { path, entries, mode: 'ok', cacheControl: undefined, holdMs: 0, hits: 0 });
  }

  get uri(): string {
    return `${this.url}${this.path}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url !== this.path) {
      this.stray += 1;
      res.writeHead(404).end();
      return;
    }
    this.hits += 1;
    const mode = this.mode;
    const doc = JSON.stringify({ keys: this.entries.map(jwkOf) });
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/jwk-set+json' };
    if (this.cacheControl !== undefined) headers['cache-control'] = this.cacheControl;
    const answer = (): void => {
      switch (mode) {
        case 'ok':
        case 'slow':
          return void res.writeHead(200, headers).end(doc);
        case '304':
          return void res.writeHead(304, { etag: '"v1"' }).end();
        case '404':
        case '500':
          return void res.writeHead(Number(mode), { 'content-type': 'text/plain' }).end('no');
        case 'malformed':
          return void res.writeHead(200, headers).end(doc.slice(0, -2));
        case 'oversized':
          // a valid key set, but over the bound
          return void res.writeHead(200, headers).end(doc + ' '.repeat(MAX_JWKS_BYTES + 1 - Buffer.byteLength(doc)));
        case 'stall':
          res.writeHead(200, headers);
          return void res.write('{"keys":[');
        case 'reset':
          return void req.socket.destroy();
      }
    };
    const delay = this.holdMs + (mode === 'slow' ? SLOW_MS : 0);
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ------------------------------------------------------------------ the model

interface RouteSpec {
  idps: ReadonlyArray<0 | 1>;
  ttl: number;
  cooldown: number;
  cache: boolean;
}

/** One key set as the plugin holds it (per jwks_uri and jwks_* settings). */
interface StoreModel {
  keys: Usable[] | undefined;
  fetchedAt: number;
  lastAttemptAt: number;
}

type Outcome = { ok: true; keys: Usable[] } | { ok: false };

type Answer = { kind: 'pass' } | { kind: 'refuse'; message: string } | { kind: 'unavailable'; retryAfter: string };

const answerText = (a: Answer): string => (a.kind === 'pass' ? '200' : a.kind === 'refuse' ? `401 ${a.message}` : `503 Retry-After ${a.retryAfter}`);

const newStore = (): StoreModel => ({ keys: undefined, fetchedAt: -Infinity, lastAttemptAt: -Infinity });
const cloneStore = (s: StoreModel): StoreModel => ({ ...s, keys: s.keys ? [...s.keys] : undefined });

const select = (keys: readonly Usable[], kid: string | null): Usable[] => (kid === null ? [...keys] : keys.filter((k) => k.kid === kid));

/** Whether any of `keys` verifies `token` (the plugin's 8 signature checks per token, `budget`). */
function verifies(keys: readonly Usable[], token: Token, budget: { left: number }): boolean {
  for (const k of keys) {
    if ((k.alg !== undefined && k.alg !== token.alg) || !fits(k.mat, token.alg)) continue;
    if (budget.left <= 0) return false;
    budget.left -= 1;
    if (k.mat === token.mat) return true;
  }
  return false;
}

/**
 * One request's answer on key set `st` (mutated), every fetch answering `out`: the README's
 * rules. No set yet: fetch and wait (cooldown permitting). Older than the TTL: fetch in the
 * background (cooldown permitting) and judge with the keys held. No held key (of the token's
 * kid, or any without kid) verifies it: refetch and wait (or wait for the background fetch),
 * unless this request already waited for one or the cooldown forbids, and judge again.
 */
function judge(
  st: StoreModel,
  spec: RouteSpec,
  now: number,
  token: Token,
  out: Outcome,
  note: (what: string) => void = () => {},
): { answer: Answer; fetches: number } {
  let fetches = 0;
  const allowed = (): boolean => now - st.lastAttemptAt >= spec.cooldown;
  const apply = (): void => {
    if (out.ok) {
      st.keys = out.keys;
      st.fetchedAt = now;
    }
  };
  const fetchNow = (why: string): boolean => {
    if (!allowed()) {
      note(`${why}: blocked by the cooldown`);
      return false;
    }
    note(`${why}: fetch ${out.ok ? 'succeeds' : 'fails'}`);
    st.lastAttemptAt = now;
    fetches += 1;
    apply();
    return true;
  };
  let waited = false;
  let background = false;
  if (st.keys === undefined) waited = fetchNow(st.lastAttemptAt === -Infinity ? 'first use' : 'no key set yet');
  else if (now - st.fetchedAt >= spec.ttl) {
    if (allowed()) {
      note(`stale: background fetch ${out.ok ? 'succeeds' : 'fails'}`);
      st.lastAttemptAt = now;
      fetches += 1;
      background = true;
    } else note('stale: refresh blocked by the cooldown');
  }
  if (st.keys === undefined) return { answer: { kind: 'unavailable', retryAfter: String(Math.max(1, spec.cooldown)) }, fetches };
  const budget = { left: MAX_VERIFY_ATTEMPTS };
  let found = select(st.keys, token.kid);
  let ok = verifies(found, token, budget);
  if (!ok && !waited) {
    const why = token.kid === null ? 'no key verifies the kid-less token' : found.length === 0 ? 'unknown kid' : 'no key of its kid verifies it';
    if (background) {
      note(`${why}: joins the background fetch`);
      apply();
      background = false;
      waited = true;
    } else waited = fetchNow(why);
    if (waited) {
      found = select(st.keys, token.kid);
      ok = verifies(found, token, budget);
    }
  }
  if (background) apply();
  if (ok) return { answer: { kind: 'pass' }, fetches };
  const usable = found.filter((k) => (k.alg === undefined || k.alg === token.alg) && fits(k.mat, token.alg));
  return { answer: { kind: 'refuse', message: usable.length === 0 ? 'No matching signing key' : 'Invalid signature' }, fetches };
}

// ------------------------------------------------------------------ steps

type Step =
  | { kind: 'publish'; idp: 0 | 1; entry: Entry }
  | { kind: 'rekey'; idp: 0 | 1; n: number; mat: number }
  | { kind: 'withdraw'; idp: 0 | 1; n: number }
  | { kind: 'replace'; idp: 0 | 1; entry: Entry }
  | { kind: 'mode'; idp: 0 | 1; mode: Mode }
  | { kind: 'cache-control'; idp: 0 | 1; value: string | undefined }
  | { kind: 'clock'; by: number }
  | { kind: 'request'; route: number; token: TokenSpec }
  /** The last single request again (same route, same token: a client retrying), after `by` seconds. */
  | { kind: 'again'; by: number }
  | { kind: 'burst'; reqs: Array<{ route: number; token: TokenSpec }> }
  | { kind: 'restart-instance'; route: number; change: boolean }
  | { kind: 'restart-server' };

const idpArb = fc.constantFrom(0 as const, 1 as const);
const entryArb: fc.Arbitrary<Entry> = fc.record({
  kid: fc.option(fc.constantFrom(...KIDS), { freq: 4, nil: null }),
  mat: fc.nat({ max: MATERIALS.length - 1 }),
  alg: fc.nat({ max: 5 }),
  flavour: fc.oneof({ weight: 10, arbitrary: fc.constant('sig' as const) }, { weight: 1, arbitrary: fc.constantFrom('enc' as const, 'private' as const) }),
});
const tokenArb: fc.Arbitrary<TokenSpec> = fc.record({
  issuer: fc.nat({ max: 1 }),
  foreign: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  pick: fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('current' as const), n: fc.nat({ max: 9 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('past' as const), n: fc.nat({ max: 9 }) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('any' as const),
        mat: fc.nat({ max: MATERIALS.length - 1 }),
        kid: fc.oneof(fc.constantFrom(...KIDS), fc.constant(null), fc.constant('fresh' as const)),
      }),
    },
  ),
  alg: fc.nat({ max: 3 }),
  nonce: fc.nat({ max: 1 }),
});
const reqArb = fc.record({ route: fc.nat({ max: 2 }), token: tokenArb });
/** Seconds: within and past the cooldowns (10, 30) and TTLs (60, 600), and exactly at each. */
const ADVANCES = [1, 10, 11, 30, 31, 60, 61, 600, 601];

const modeArb: fc.Arbitrary<Mode> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('ok' as const) },
  { weight: 6, arbitrary: fc.constantFrom(...MODES.filter((m) => m !== 'stall' && m !== 'ok')) },
  // costs a jwks_timeout per fetch
  { weight: 1, arbitrary: fc.constant('stall' as const) },
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 24, arbitrary: fc.record({ kind: fc.constant('request' as const), route: fc.nat({ max: 2 }), token: tokenArb }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('again' as const), by: fc.constantFrom(0, ...ADVANCES) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('burst' as const), reqs: fc.array(reqArb, { minLength: 2, maxLength: 4 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('publish' as const), idp: idpArb, entry: entryArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rekey' as const), idp: idpArb, n: fc.nat({ max: 9 }), mat: fc.nat({ max: MATERIALS.length - 1 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), idp: idpArb, n: fc.nat({ max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), idp: idpArb, entry: entryArb }) },
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('mode' as const), idp: idpArb, mode: modeArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('cache-control' as const),
      idp: idpArb,
      value: fc.constantFrom(undefined, 'max-age=0', 'no-store', 'max-age=1', 'public, max-age=86400'),
    }),
  },
  { weight: 16, arbitrary: fc.record({ kind: fc.constant('clock' as const), by: fc.constantFrom(...ADVANCES) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restart-instance' as const), route: fc.nat({ max: 2 }), change: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart-server' as const }) },
);

const routeArb = fc.record({
  idps: fc.constantFrom<ReadonlyArray<0 | 1>>([0], [1], [0, 1], [1, 0]),
  ttl: fc.constantFrom(60, 600),
  cooldown: fc.constantFrom(0, 10, 30),
  cache: fc.boolean(),
  /** The first route's jwks_* settings: so that routes share key sets more often than not. */
  likeFirst: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 2, arbitrary: fc.constant(false) }),
});

const runArb = fc.record({
  routes: fc
    .array(routeArb, { minLength: 2, maxLength: 3 })
    .map((rs): RouteSpec[] => rs.map(({ likeFirst, ...r }) => (likeFirst ? { ...r, ttl: rs[0]!.ttl, cooldown: rs[0]!.cooldown } : r))),
  initial: fc.tuple(fc.array(entryArb, { maxLength: 3 }), fc.array(entryArb, { maxLength: 3 })),
  modes: fc.tuple(...[0, 1].map(() => fc.oneof({ weight: 3, arbitrary: fc.constant('ok' as const) }, { weight: 1, arbitrary: modeArb }))),
  steps: fc.array(stepArb, { minLength: 4, maxLength: 30, size: 'max' }),
});

/** At most this many members per key set (a kid-less token tries at most MAX_VERIFY_ATTEMPTS). */
const MAX_ENTRIES = 10;

// ------------------------------------------------------------------ the property

/** What the runs met, printed with FC_STATS=1: a property that never meets a case proves nothing about it. */
const stats = new Map<string, number>();
const seen = (what: string) => void stats.set(what, (stats.get(what) ?? 0) + 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FC_SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const FC_PATH = process.env.FC_PATH;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 50);

const PROBE_ISS = 'https://probe.example/';
const probeKey = ecKey('P-256');

let certs: TestCertificates;
let env: JwtClaimsEnv;
let endpoints: [Endpoint, Endpoint];
let probePath: string;
let probeToken: string;

beforeAll(async () => {
  certs = makeTestCertificates(['IP:127.0.0.1']);
  endpoints = [
    await new Endpoint().start(),
    await new Endpoint({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) }).start(),
  ];
  env = await startJwtClaims({ serverEnv: { NODE_EXTRA_CA_CERTS: certs.ca } });
  // static keys only: a request that touches no key set, to let the plugin server's event loop turn
  probePath = env.route('jwks-model-probe', { issuers: [{ issuer: PROBE_ISS, public_keys: [probeKey.pem] }], cache_size: 0 });
  probeToken = makeToken('ES256', probeKey.privateKey, { iss: PROBE_ISS, sub: 'probe', exp: 4_000_000_000 });
}, 60_000);

afterAll(async () => {
  if (process.env.FC_STATS) console.log(JSON.stringify(Object.fromEntries([...stats.entries()].sort()), null, 1));
  await env?.close();
  await Promise.all((endpoints ?? []).map((e) => e?.close()));
  certs?.remove();
});

describe(`jwt-claims JWKS lifecycle model (${TEST_PLUGIN_SERVER} plugin server)`, () => {
  it('every step answers, and fetches, as the README says', async () => {
    let runSeq = 0;
    await fc.assert(
      fc.asyncProperty(runArb, async ({ routes: routeSpecs, initial, modes, steps }) => {
        const run = runSeq++;
        const T0 = 2_000_000_000 + run * 1_000_000;
        let now = T0;
        env.setClock(now);
        const issuerOf = (idp: 0 | 1) => `https://${idp === 0 ? 'a' : 'b'}.example/run${run}`;
        endpoints.forEach((e, i) => {
          e.reset(`/run${run}/${i}/jwks.json`, [...initial[i]!]);
          e.mode = modes[i]!;
        });
        const history: [Entry[], Entry[]] = [[...initial[0]], [...initial[1]]];
        const expectedHits = [0, 0];

        const routes = routeSpecs.map((spec, i) => {
          const config = (variant: boolean) => ({
            issuers: spec.idps.map((idp) => ({ issuer: issuerOf(idp), jwks_uri: endpoints[idp].uri })),
            jwks_cache_ttl: spec.ttl,
            jwks_refresh_cooldown: spec.cooldown,
            jwks_timeout: TIMEOUT_MS,
            cache_size: spec.cache ? 100 : 0,
            // never reached: lru-cache counts it on the real clock, the model on the test clock
            cache_ttl: 86400,
            hide_credentials: variant,
          });
          const { path, pluginId } = env.pluginRoute(`jm${run}r${i}`, config(false));
          return { spec, path, plugin: pluginId, config, variant: false };
        });

        // the plugin's module scope, as the model sees it
        let stores = new Map<string, StoreModel>();
        let tokenCaches = new Map<string, Set<string>>();
        const storeKey = (idp: 0 | 1, spec: RouteSpec) => `${idp}|${spec.ttl}|${spec.cooldown}`;
        const storeOf = (key: string): StoreModel => {
          let st = stores.get(key);
          if (!st) stores.set(key, (st = newStore()));
          return st;
        };
        const runtimeKey = (r: (typeof routes)[number]) => JSON.stringify(r.config(r.variant));
        const tokenCache = (r: (typeof routes)[number]): Set<string> => {
          const key = runtimeKey(r);
          let c = tokenCaches.get(key);
          if (!c) tokenCaches.set(key, (c = new Set()));
          return c;
        };
        const outcomeOf = (idp: 0 | 1): Outcome => {
          const e = endpoints[idp];
          if (!SUCCEEDS.has(e.mode)) return { ok: false };
          const keys = usableOf(e.entries);
          return keys.length > 0 ? { ok: true, keys } : { ok: false };
        };

        const tokens = new Map<string, string>();
        let fresh = 0;
        const tokenFor = (routeSpec: RouteSpec, tspec: TokenSpec): Token => {
          const own = routeSpec.idps[tspec.issuer % routeSpec.idps.length]!;
          const spec = { ...tspec, idp: tspec.foreign ? ((1 - own) as 0 | 1) : own };
          let kid: string | null;
          let mat: number;
          let how: string = spec.pick.kind;
          const pick = spec.pick;
          const current = endpoints[spec.idp].entries;
          if (pick.kind === 'current' && current.length > 0) {
            const e = current[pick.n % current.length]!;
            [kid, mat] = [e.kid, e.mat];
          } else if (pick.kind === 'past' && history[spec.idp].length > 0) {
            const e = history[spec.idp][pick.n % history[spec.idp].length]!;
            [kid, mat] = [e.kid, e.mat];
            if (!current.some((c) => c.kid === kid && c.mat === mat)) how = 'retired';
          } else if (pick.kind === 'any') {
            mat = pick.mat;
            kid = pick.kid === 'fresh' ? `fresh-${fresh++}` : pick.kid;
            how = current.some((c) => c.kid === kid && c.mat === mat) ? 'any (published)' : pick.kid === 'fresh' ? 'unknown kid' : 'any (not published)';
          } else {
            mat = (pick as { n: number }).n % MATERIALS.length;
            kid = KIDS[(pick as { n: number }).n % KIDS.length]!;
            how = 'any (none published)';
          }
          if (kid === null) how += ', no kid';
          const algs = ALGS_FOR[MATERIALS[mat]!.kty];
          const alg = algs[spec.alg % algs.length]!;
          const memo = `${spec.idp}|${kid}|${mat}|${alg}|${spec.nonce}`;
          let text = tokens.get(memo);
          if (!text) {
            const header = kid === null ? {} : { kid };
            text = makeToken(alg, MATERIALS[mat]!.key.privateKey, { iss: issuerOf(spec.idp), sub: 'u', exp: T0 + 900_000, n: spec.nonce }, header);
            tokens.set(memo, text);
          }
          return { text, idp: spec.idp, kid, mat, alg, how };
        };

        /** The answer to `token` on `route` against `st` (mutated), the fetches it made. */
        const decide = (route: (typeof routes)[number], token: Token, lookupStores: (key: string) => StoreModel, cacheHit: boolean, note?: (what: string) => void) => {
          if (route.spec.cache && cacheHit) return { answer: { kind: 'pass' } as Answer, fetches: 0, store: undefined, cached: true };
          if (!route.spec.idps.includes(token.idp)) return { answer: { kind: 'refuse', message: 'Untrusted token issuer' } as Answer, fetches: 0, store: undefined, cached: false };
          const key = storeKey(token.idp, route.spec);
          const st = lookupStores(key);
          const { answer, fetches } = judge(st, route.spec, now, token, outcomeOf(token.idp), note);
          return { answer, fetches, store: key, cached: false };
        };

        const probe = async () => {
          const res = await env.request(bearer(probePath, probeToken));
          expect(res.status, `probe: ${res.text()}`).toBe(200);
        };

        /** Waits until each endpoint saw at least `atLeast` fetches and no exchange is open. */
        const settle = async (atLeast: number[]) => {
          const deadline = Date.now() + 5000;
          for (;;) {
            while (endpoints.some((e, i) => e.open > 0 || e.hits < atLeast[i]!) && Date.now() < deadline) await sleep(2);
            await probe();
            await new Promise((r) => setImmediate(r));
            if (endpoints.every((e) => e.open === 0) || Date.now() >= deadline) return;
          }
        };

        const checkAnswer = (res: SimResult, accepted: Answer[], what: string) => {
          const bad = res.kongLog.filter(
            (l) => (l.level === 'err' || l.level === 'crit') && !(l.plugin === 'jwt-claims' && /published with its private part/.test(l.message)),
          );
          expect(bad.map((l) => l.message), `${what}: errors in Kong's log`).toEqual([]);
          expect(env.server.running, `${what}: the plugin server exited`).toBe(true);
          const got: Answer =
            res.status === 200
              ? { kind: 'pass' }
              : res.status === 503
                ? { kind: 'unavailable', retryAfter: res.headers.first('retry-after') ?? '' }
                : { kind: 'refuse', message: (res.json() as { message: string }).message };
          expect(accepted.map(answerText), `${what}: answered ${res.status} ${res.text()}`).toContain(answerText(got));
          if (got.kind === 'pass') {
            expect(res.upstreamRequest, what).toBeDefined();
            return got;
          }
          expect(res.upstreamRequest, `${what}: reached the upstream`).toBeUndefined();
          if (got.kind === 'unavailable') {
            expect(res.json(), what).toEqual({ message: 'Signing keys unavailable' });
            expect(res.headers.first('www-authenticate'), what).toBeUndefined();
          } else {
            expect(res.status, what).toBe(401);
            expect(res.headers.first('www-authenticate'), what).toBe(`Bearer error="invalid_token", error_description="${got.message}"`);
          }
          return got;
        };

        const checkHits = (what: string, min = expectedHits, max = expectedHits) => {
          endpoints.forEach((e, i) => {
            expect(e.stray, `${what}: a fetch of another run`).toBe(0);
            expect(e.hits, `${what}: JWKS fetches of endpoint ${'AB'[i]} (expected ${min[i]}..${max[i]})`).toBeGreaterThanOrEqual(min[i]!);
            expect(e.hits, `${what}: JWKS fetches of endpoint ${'AB'[i]} (expected ${min[i]}..${max[i]})`).toBeLessThanOrEqual(max[i]!);
          });
        };

        const idpOfStore = (key: string) => Number(key.split('|')[0]) as 0 | 1;

        await settle(expectedHits);
        checkHits('start');
        let last: { route: number; token: TokenSpec; resolved: Token } | undefined;
        for (const [i, original] of steps.entries()) {
          let step = original;
          if (step.kind === 'again') {
            if (!last) continue;
            if (step.by > 0) {
              now += step.by;
              env.setClock(now);
            }
            step = { kind: 'request', route: last.route, token: last.token };
          }
          const what = `run ${run} step ${i} ${JSON.stringify(original)}${original === step ? '' : ` (now ${now - T0} s)`}`;
          if (process.env.FC_TRACE) console.log(what.slice(0, 160));
          switch (step.kind) {
            case 'publish':
            case 'replace': {
              const list = endpoints[step.idp].entries;
              if (step.kind === 'replace') list.length = 0;
              list.push(step.entry);
              if (list.length > MAX_ENTRIES) list.shift();
              history[step.idp].push(step.entry);
              break;
            }
            case 'rekey': {
              const list = endpoints[step.idp].entries;
              if (list.length === 0) break;
              const at = step.n % list.length;
              const entry = { ...list[at]!, mat: step.mat };
              list[at] = entry;
              history[step.idp].push(entry);
              break;
            }
            case 'withdraw': {
              const list = endpoints[step.idp].entries;
              if (list.length > 0) list.splice(step.n % list.length, 1);
              break;
            }
            case 'mode':
              endpoints[step.idp].mode = step.mode;
              break;
            case 'cache-control':
              endpoints[step.idp].cacheControl = step.value;
              break;
            case 'clock':
              now += step.by;
              env.setClock(now);
              break;
            case 'restart-instance': {
              const r = routes[step.route % routes.length]!;
              if (step.change) r.variant = !r.variant;
              seen(`restart instance${step.change ? ' (other config)' : ''}`);
              env.sim.updatePlugin(r.plugin, r.config(r.variant));
              break;
            }
            case 'restart-server':
              seen('restart server');
              await env.server.restart();
              // Kong keeps the old process's instance ids (neither server sends the serverPid
              // notification). kong-pdk's new process numbers its instances from 0 again, so a
              // kept id can reach another route's instance: with it, this model plays a Kong
              // that forgot them. Ours numbers from a random point (plugins/server/id-base.ts),
              // so a kept id meets nothing and Kong starts the instance again by itself.
              if (TEST_PLUGIN_SERVER === 'kong-pdk') env.sim.external.resetInstances('jwt-claims');
              stores = new Map();
              tokenCaches = new Map();
              break;
            case 'request': {
              const route = routes[step.route % routes.length]!;
              const token = original.kind === 'again' && last ? last.resolved : tokenFor(route.spec, step.token);
              last = { route: step.route, token: step.token, resolved: token };
              const cache = tokenCache(route);
              const notes: string[] = [];
              const d = decide(route, token, storeOf, cache.has(token.text), (n) => notes.push(n));
              if (d.store) expectedHits[idpOfStore(d.store)]! += d.fetches;
              const res = await env.request(bearer(route.path, token.text));
              await settle(expectedHits);
              checkAnswer(res, [d.answer], what);
              checkHits(what);
              if (d.answer.kind === 'pass' && route.spec.cache) cache.add(token.text);
              seen(`${answerText(d.answer)}${d.cached ? ' (cached token)' : ''} | ${token.how}`);
              if (d.fetches > 0) seen(`fetch ${endpoints[token.idp].mode}`);
              for (const n of notes) seen(`lookup: ${n} (cooldown ${route.spec.cooldown})`);
              if (process.env.FC_TRACE) console.log(`  -> ${answerText(d.answer)} ${token.how} ${notes.join('; ')}`);
              break;
            }
            case 'burst': {
              const reqs = step.reqs.map((r) => {
                const route = routes[r.route % routes.length]!;
                return { route, token: tokenFor(route.spec, r.token) };
              });
              // each request alone, joining the burst's fetch (from the state before) ...
              const before = new Map([...stores].map(([k, s]) => [k, cloneStore(s)]));
              const cachedBefore = reqs.map(({ route, token }) => tokenCache(route).has(token.text));
              const after = new Map<string, StoreModel>();
              const early = reqs.map(({ route, token }, j) => {
                const mine = new Map<string, StoreModel>();
                const d = decide(route, token, (k) => {
                  if (!mine.has(k)) mine.set(k, cloneStore(before.get(k) ?? newStore()));
                  return mine.get(k)!;
                }, cachedBefore[j]!);
                if (d.store && d.fetches > 0) after.set(d.store, mine.get(d.store)!);
                return d;
              });
              // ... or coming after it (every fetch of the burst gets the same answer)
              const late = reqs.map(({ route, token }, j) =>
                decide(route, token, (k) => cloneStore(after.get(k) ?? before.get(k) ?? newStore()), cachedBefore[j]!),
              );
              const min = [0, 0];
              const max = [0, 0];
              for (const key of after.keys()) {
                const idp = idpOfStore(key);
                min[idp]! += 1;
                max[idp]! += 1;
                if (Number(key.split('|')[2]) > 0) continue; // the cooldown stops every later fetch
                reqs.forEach((_, j) => {
                  const e = early[j]!.store === key ? early[j]!.fetches : 0;
                  const l = late[j]!.store === key ? late[j]!.fetches : 0;
                  max[idp]! += Math.max(e > 0 ? e - 1 : 0, l);
                });
              }
              const base = [...expectedHits];
              endpoints.forEach((e) => (e.holdMs = HOLD_MS));
              let results: SimResult[];
              try {
                results = await Promise.all(reqs.map(({ route, token }) => env.request(bearer(route.path, token.text))));
              } finally {
                endpoints.forEach((e) => (e.holdMs = 0));
              }
              const lo = base.map((b, i) => b + min[i]!);
              const hi = base.map((b, i) => b + max[i]!);
              await settle(lo);
              const passed = new Set<string>();
              reqs.forEach(({ route, token }, j) => {
                const accepted = [early[j]!.answer, late[j]!.answer];
                // a copy of a token that passed earlier in the burst may meet it in the token cache
                if (route.spec.cache && reqs.some((o, k) => k !== j && o.token.text === token.text && runtimeKey(o.route) === runtimeKey(route))) {
                  accepted.push({ kind: 'pass' });
                }
                const got = checkAnswer(results[j]!, accepted, `${what} request ${j}`);
                if (got.kind === 'pass') passed.add(`${runtimeKey(route)}\n${token.text}`);
                const same = answerText(early[j]!.answer) === answerText(late[j]!.answer);
                seen(`burst: ${same ? 'one answer' : `early ${answerText(early[j]!.answer)} or late ${answerText(late[j]!.answer)}: ${answerText(got) === answerText(early[j]!.answer) ? 'early' : 'late'}`}`);
              });
              checkHits(what, lo, hi);
              const sharedFetch = reqs.filter((_, j) => early[j]!.fetches > 0).length;
              if (sharedFetch > 1) seen(`burst: ${sharedFetch} requests share one fetch${lo.join() === hi.join() ? ' (exact count)' : ''}`);
              endpoints.forEach((e, i) => (expectedHits[i] = e.hits));
              for (const [k, s] of after) stores.set(k, s);
              for (const { route, token } of reqs) if (route.spec.cache && passed.has(`${runtimeKey(route)}\n${token.text}`)) tokenCache(route).add(token.text);
              break;
            }
          }
        }
      }),
      { numRuns: NUM_RUNS, seed: FC_SEED, path: FC_PATH, endOnFailure: FC_PATH !== undefined },
    );
  }, 600_000);
});
