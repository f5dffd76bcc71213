/**
 * A stateful property: arbitrary sequences of requests through the real plugin server (two
 * nodes, KongSim playing Kong 3.4.2, and 3.9.1 on Redis, a real loopback upstream), each step
 * checked against a small model of what the issue promises:
 *
 * - a key is scoped by (client identity, route): key-auth consumer when one authenticated, else
 *   the configured client header, else the client IP (key-auth's anonymous consumer plus that
 *   fallback; X-Forwarded-For/X-Real-IP from an untrusted peer change nothing); with the memory
 *   store also by node (each node's plugin server keeps its own), with Redis shared by both nodes;
 * - the model holds, per scope and key: nothing, a request in flight (its fingerprint), a claim
 *   Kong's 504 left locked until lock_ttl, or a stored response (fingerprint, status, headers,
 *   body, and when it was stored);
 * - first request: proxied once; 2xx/3xx/4xx stored (but 408/425/429), 5xx, Kong's 502 for a
 *   failed connection and a response above max_response_size release the key; Kong's 504 keeps
 *   it; over HTTP/2 on Kong 3.4 (unbuffered) nothing is stored, failures still release;
 * - same key, same payload (method, target, body bytes): the stored status, headers and body byte
 *   for byte with `Idempotent-Replayed: true`, the upstream not called; another payload: 422;
 *   while the first is in flight: 409 + Retry-After (422 for another payload);
 * - a key header that is malformed, sent twice or too long, a repeated client header, a body over
 *   max_request_body_size or of unknown length: 400/413/411 problem+json; no key, or a method the
 *   route does not guard (GET by default): proxied untouched, nothing stored;
 * - ttl 1 s: a record older than that is gone (a step waits past it); within the few ms where the
 *   record may or may not have expired yet, either answer is taken and the model follows it;
 * - two requests at once (one held at the upstream, or a plain race): answers some order of the
 *   two explains, never two executions of one key;
 * - every event answered: no RPC error in Kong's log, no handler error, the server still up.
 *
 * The upstream's answer is picked by a request header (not part of the fingerprint), so one
 * payload can meet every outcome. Run on the memory store and on a real redis-server.
 *
 * A failure prints fast-check's seed and path; re-run it with
 * `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/plugins/idempotency/model.harness.test.ts`
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
import { Cluster, KONG_VERSION, problemOf, startNode, type Node } from './env';

// ------------------------------------------------------------------ the upstream

const TAIL = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0xc3, 0x28, 0xfe]);
const MAX_RESPONSE_SIZE = 2048;
const TTL_S = 1;
/** ms of clock skew between this process's timestamps and the store's expiry. */
const SLACK_MS = 60;

/** Kong's read_timeout on the service: an upstream slower than this gets Kong's 504. */
const READ_TIMEOUT_MS = 800;
/** lock_ttl: how long a claim Kong's 504 left behind stays locked. */
const LOCK_TTL_S = 2;

/**
 * Statuses the upstream answers with; `chunked`: 201 without Content-Length; `big`: 201 with a
 * body over max_response_size (`big-chunked` without Content-Length); `reset`: the connection
 * dropped before any answer (Kong's 502); `slow`: an answer after Kong's read_timeout (Kong's 504).
 */
const OUTCOMES = ['200', '201', '204', '302', '400', '408', '409', '429', '500', '502', '503', '504', 'chunked', 'big', 'big-chunked', 'reset', 'slow'] as const;
type Outcome = (typeof OUTCOMES)[number];

/** What the upstream sends for request `id` and `outcome` (undefined: the connection is dropped). */
function upstreamAnswer(id: string, outcome: Outcome): { status: number; headers: Array<[string, string]>; body: Buffer } | undefined {
  if (outcome === 'reset' || outcome === 'slow') return undefined;
  const status = Number(outcome) || 201;
  const body =
    status === 204
      ? Buffer.alloc(0)
      : outcome.startsWith('big')
        ? Buffer.concat([Buffer.from(`{"req":"${id}"}`), Buffer.alloc(MAX_RESPONSE_SIZE * 2, 0x61)])
        : Buffer.concat([Buffer.from(`{"req":"${id}"}`), TAIL]);
  const headers: Array<[string, string]> = [
    ['Content-Type', 'application/octet-stream'],
    ['X-Req', id],
    ['Set-Cookie', `a=${id}; Path=/`],
    ['Set-Cookie', 'b=2; Path=/'],
  ];
  if (status === 302) headers.push(['Location', `/elsewhere/${id}`]);
  if (status !== 204 && !outcome.endsWith('chunked')) headers.push(['Content-Length', String(body.length)]);
  return { status, headers, body };
}

/** Answers by the request's X-Outcome (upstreamAnswer); a request with X-Gate is held until open(gate). */
async function respond(id: string, outcome: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (outcome === 'slow') {
    await new Promise((r) => setTimeout(r, READ_TIMEOUT_MS + 150));
    res.writeHead(201, { 'Content-Type': 'text/plain', 'Content-Length': '4' });
    return void res.end('late');
  }
  const answer = upstreamAnswer(id, outcome as Outcome);
  if (!answer) return void req.socket.destroy();
  res.writeHead(answer.status, answer.headers.flat() as unknown as http.OutgoingHttpHeaders);
  res.end(answer.body);
}

// ------------------------------------------------------------------ the universe

interface Client {
  name: string;
  ip: string;
  headers: Array<[string, string]>;
  /** The key-auth consumer its apikey authenticates, on the auth route. */
  consumer?: string;
  /** Its X-Client-Id, which identifies it on the open route. */
  clientId?: string;
  /** Sends X-Client-Id twice: refused on the open route, where it would identify the client. */
  clientIdTwice?: boolean;
}

type KeySpec =
  | { kind: 'none' }
  | { kind: 'ok'; id: 'k1' | 'k2'; quoted: boolean }
  | { kind: 'malformed'; wire: string }
  | { kind: 'twice' }
  | { kind: 'long' };

const METHODS = ['POST', 'PATCH', 'GET'] as const;
const PATHS = ['/a', '/b'] as const;
const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), TAIL]);
/** json, binary, empty without Content-Length, empty with `Content-Length: 0`: the last two are one payload. */
const MAX_REQUEST_BODY = 8192;
/**
 * json, binary, empty without Content-Length, empty with `Content-Length: 0` (the last two are one
 * payload), one over max_request_body_size (413: declared with Content-Length), json chunked
 * (Transfer-Encoding without Content-Length: 411; sent as plain json over HTTP/2, which has no chunking).
 */
const BODIES: ReadonlyArray<{ bytes: Buffer; fp: string; contentLength0?: boolean; declared?: boolean; chunked?: boolean }> = [
  { bytes: Buffer.from('{"amount":100}'), fp: 'json' },
  { bytes: BINARY, fp: 'binary' },
  { bytes: Buffer.alloc(0), fp: 'empty' },
  { bytes: Buffer.alloc(0), fp: 'empty', contentLength0: true },
  { bytes: Buffer.alloc(MAX_REQUEST_BODY + 1, 0x62), fp: 'huge', declared: true },
  { bytes: Buffer.from('{"amount":100}'), fp: 'json', chunked: true },
];
const HUGE = 4;
const CHUNKED = 5;

interface Req {
  node: 0 | 1;
  client: number;
  /** open: no auth, client_header; auth: key-auth, GET guarded too; anon: key-auth with an anonymous consumer, client_header. */
  route: 'open' | 'auth' | 'anon';
  method: (typeof METHODS)[number];
  path: (typeof PATHS)[number];
  body: number;
  key: KeySpec;
  /** Over HTTP/2, which Kong before 3.9 (KongSim plays 3.4) proxies without buffering: no response phase. */
  h2: boolean;
  outcome: Outcome;
}

const keySpec: fc.Arbitrary<KeySpec> = fc.oneof(
  { weight: 14, arbitrary: fc.record({ kind: fc.constant('ok' as const), id: fc.constantFrom('k1' as const, 'k2' as const), quoted: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('malformed' as const), wire: fc.constantFrom('a b', '"unterminated', 'k1,k2', '""', '"a\\bc"') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'twice' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'long' as const }) },
);

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('200' as const, '201' as const) },
  { weight: 6, arbitrary: fc.constantFrom(...OUTCOMES.filter((o) => o !== 'slow')) },
  // costs a read_timeout
  { weight: 1, arbitrary: fc.constant('slow' as const) },
);

/** Clients 0-2 are anonymous (key-auth refuses them on the auth route), 3-4 consumers: drawn more. */
function clientArb(clients: number): fc.Arbitrary<number> {
  return fc.oneof({ weight: 1, arbitrary: fc.nat({ max: clients - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(clients - 2, clients - 1) });
}

/** A request's payload and sender; node and outcome are drawn per step. */
type Template = Omit<Req, 'node' | 'outcome'>;

function templateArb(clients: number): fc.Arbitrary<Template> {
  return fc.record({
    client: clientArb(clients),
    route: fc.constantFrom('open' as const, 'auth' as const, 'anon' as const),
    method: fc.oneof({ weight: 4, arbitrary: fc.constant('POST' as const) }, { weight: 1, arbitrary: fc.constantFrom('PATCH' as const, 'GET' as const) }),
    path: fc.oneof({ weight: 4, arbitrary: fc.constant('/a' as const) }, { weight: 1, arbitrary: fc.constant('/b' as const) }),
    body: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.constantFrom(1, 2, 3) }, { weight: 1, arbitrary: fc.constantFrom(HUGE, CHUNKED) }),
    key: keySpec,
    h2: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });
}

/** One field of a template changed: another sender, payload or key for the same rest. */
function tweakArb(clients: number): fc.Arbitrary<Partial<Template>> {
  return fc.oneof(
    fc.record({ client: clientArb(clients) }),
    fc.record({ route: fc.constantFrom('open' as const, 'auth' as const, 'anon' as const) }),
    fc.record({ method: fc.constantFrom(...METHODS) }),
    fc.record({ path: fc.constantFrom(...PATHS) }),
    fc.record({ body: fc.nat({ max: BODIES.length - 1 }) }),
    fc.record({ key: keySpec }),
    fc.record({ h2: fc.boolean() }),
  );
}

/** A request of the run: template `tpl`, maybe tweaked, to a node, meeting an outcome. */
interface Ref {
  tpl: number;
  tweak: Partial<Template> | null;
  node: 0 | 1;
  outcome: Outcome;
}

/** pair: the first held at the upstream while the second is sent; race: both sent at once, nothing held. */
type StepRef = ModelStep<Ref>;

function refArb(clients: number): fc.Arbitrary<Ref> {
  return fc.record({
    tpl: fc.nat({ max: 2 }),
    tweak: fc.option(tweakArb(clients), { freq: 3, nil: null }),
    node: fc.constantFrom(0 as const, 1 as const),
    outcome: outcomeArb,
  });
}

/** Runs of up to 12 steps over three request templates, so that keys meet again. */
function runArb(clients: number): fc.Arbitrary<{ templates: Template[]; steps: StepRef[] }> {
  const step: fc.Arbitrary<StepRef> = fc.oneof(
    { weight: 12, arbitrary: refArb(clients).map((req) => ({ kind: 'one' as const, req })) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('pair' as const), first: refArb(clients), second: refArb(clients) }) },
    {
      weight: 4,
      // mostly the same request twice (a client's retry racing its original), to either node
      arbitrary: refArb(clients).chain((first) =>
        fc.record({
          kind: fc.constant('race' as const),
          first: fc.constant(first),
          second: fc.oneof(
            { weight: 3, arbitrary: fc.record({ node: fc.constantFrom(0 as const, 1 as const), outcome: outcomeArb }).map((o) => ({ ...first, ...o })) },
            { weight: 1, arbitrary: refArb(clients) },
          ),
        }),
      ),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'wait' as const }) },
  );
  return fc.record({ templates: fc.array(templateArb(clients), { minLength: 3, maxLength: 3 }), steps: fc.array(step, { minLength: 1, maxLength: 12 }) });
}

function resolve(templates: Template[], ref: Ref, held = false): Req {
  // While a first request is held at the upstream the second must not take Kong's read_timeout,
  // or the first would time out too.
  const outcome = held && ref.outcome === 'slow' ? '201' : ref.outcome;
  const req = { ...templates[ref.tpl]!, ...(ref.tweak ?? {}), node: ref.node, outcome };
  return req.h2 && req.body === CHUNKED ? { ...req, body: 0 } : req;
}

// ------------------------------------------------------------------ the model

interface Stored {
  fp: string;
  status: number;
  headers: string;
  body: Buffer;
  /** When the request that stored it started and ended (Date.now()). */
  start: number;
  end: number;
}

/** inflight: held at the upstream now; locked: Kong's 504 left the claim until lock_ttl (claimed in [start, end]). */
type Slot = { kind: 'stored'; stored: Stored } | { kind: 'inflight'; fp: string } | { kind: 'locked'; fp: string; start: number; end: number };

/** What the plugin is expected to do with a request, before the store is consulted. */
type Class =
  | { kind: 'key-auth-401' }
  | { kind: 'pass' }
  | { kind: 'bad-key'; title: string; status?: number }
  | { kind: 'guarded'; scope: string; fp: string };

/**
 * Headers Kong or another plugin sets on each response, not the upstream: not part of a replay.
 * WWW-Authenticate is key-auth's, set on a request without an apikey before it falls back to the
 * anonymous consumer (kong/plugins/key-auth/handler.lua), so on the anon route it is on a replay
 * to a client without a key whatever the first request of its scope sent (a wrong apikey: none).
 * The model's upstream never sends one.
 */
const KONG_OWN = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'server', 'via', 'idempotent-replayed', 'www-authenticate']);

/** The headers a replay must repeat, as one comparable string: Kong's own left out, values in order per name. */
function replayable(res: SimResult): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of res.headers.all()) {
    const n = name.toLowerCase();
    if (KONG_OWN.has(n) || n.startsWith('x-kong-')) continue;
    byName.set(n, [...(byName.get(n) ?? []), value]);
  }
  return JSON.stringify([...byName.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Outcomes that release the key whatever the transport: 5xx from the upstream, 408/425/429, Kong's 502 (connection failed). */
const RELEASED = new Set<Outcome>(['408', '429', '500', '502', '503', '504', 'reset']);

function isStoredOutcome(outcome: Outcome): boolean {
  return ['200', '201', '204', '302', '400', '409', 'chunked'].includes(outcome);
}

/** What the runs met, printed with FC_STATS=1: a property that never meets a case proves nothing about it. */
const stats = new Map<string, number>();
const seen = (what: string) => void stats.set(what, (stats.get(what) ?? 0) + 1);

const DRAFT = 'https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/';

// ------------------------------------------------------------------ the property

const upstream = new GatedUpstream(respond);
let redis: RedisServer | undefined;

beforeAll(async () => {
  await upstream.start();
  redis = await RedisServer.start();
});
afterAll(async () => {
  if (process.env.FC_STATS) console.log(JSON.stringify(Object.fromEntries([...stats.entries()].sort()), null, 1));
  await closeAllStores();
  await upstream.close();
  await redis?.close();
});

const FC_SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const FC_PATH = process.env.FC_PATH;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 35);

/**
 * Kong 3.4.2 (what every idempotency harness test plays: HTTP/2 unbuffered) on both stores, and
 * Kong 3.9.1 (the Docker image: HTTP/2 buffered like HTTP/1.1) on Redis.
 */
describe.each([
  ['memory', KONG_VERSION],
  ['redis', KONG_VERSION],
  ['redis', '3.9.1'],
] as const)(`idempotency model on the %s store, Kong %s (${TEST_PLUGIN_SERVER} plugin server)`, (strategy, kongVersion) => {
  /** Kong before 3.9 turns response buffering off for HTTP/2: no response phase, settled in log. */
  const unbufferedH2 = kongVersion === KONG_VERSION;
  let nodes: Node[];
  let clients: Client[];
  let paths: Record<Req['route'], string>;
  let anonymousId: string;
  const AUTH_METHODS = new Set(['POST', 'PATCH', 'GET']);
  const OPEN_METHODS = new Set(['POST', 'PATCH']);

  beforeAll(async () => {
    const store = strategy === 'redis' ? { strategy, redis: { host: '127.0.0.1', port: redis!.port } } : { strategy };
    const common = { ...store, ttl: TTL_S, lock_ttl: LOCK_TTL_S, max_response_size: MAX_RESPONSE_SIZE };
    const cluster = new Cluster(upstream.port);
    Object.assign(cluster.service, { read_timeout: READ_TIMEOUT_MS, retries: 0 });
    const alice = cluster.tenant(`alice-${strategy}`);
    const bob = cluster.tenant(`bob-${strategy}`);
    // a consumer whose credential nobody uses: key-auth's `anonymous`
    anonymousId = cluster.tenant(`anonymous-${strategy}`).consumer.id;
    paths = {
      open: cluster.route({ name: `model-${strategy}-${kongVersion}-open`, config: { ...common, client_header: 'X-Client-Id' } }),
      auth: cluster.route({ name: `model-${strategy}-${kongVersion}-auth`, config: { ...common, methods: [...AUTH_METHODS] }, keyAuth: true }),
      anon: cluster.route({
        name: `model-${strategy}-${kongVersion}-anon`,
        config: { ...common, client_header: 'X-Client-Id' },
        plugins: [{ name: 'key-auth', config: { anonymous: anonymousId } }],
      }),
    };
    clients = [
      { name: 'ip1', ip: '10.0.0.1', headers: [] },
      { name: 'ip2', ip: '10.0.0.2', headers: [] },
      { name: 'hdr-x', ip: '10.0.0.2', headers: [['X-Client-Id', 'x']], clientId: 'x' },
      // Kong trusts no proxy here (trusted_ips unset): forwarded addresses are the client's own words
      { name: 'ip1-forwarding', ip: '10.0.0.1', headers: [['X-Forwarded-For', '10.0.0.2'], ['X-Real-IP', '10.0.0.2']] },
      // an empty client header identifies no one: the IP does (ip1's)
      { name: 'hdr-empty', ip: '10.0.0.1', headers: [['X-Client-Id', '']] },
      { name: 'hdr-twice', ip: '10.0.0.2', headers: [['X-Client-Id', 'x'], ['X-Client-Id', 'y']], clientIdTwice: true },
      // an apikey nobody has: refused on the auth route, the anonymous consumer on the anon route
      { name: 'wrong-apikey', ip: '10.0.0.2', headers: [['apikey', 'nobody-has-this-key']] },
      // from ip1's address: on the open route (no key-auth) alice is ip1
      { name: 'alice', ip: '10.0.0.1', headers: [['apikey', alice.apikey]], consumer: alice.consumer.id },
      { name: 'bob', ip: '10.0.0.1', headers: [['apikey', bob.apikey]], consumer: bob.consumer.id },
    ];
    nodes = [await startNode(cluster, { kongVersion }), await startNode(cluster, { kongVersion })];
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
  });

  it('every step answers as the model says', async () => {
    let runSeq = 0;
    await fc.assert(
      fc.asyncProperty(runArb(clients.length), async ({ templates, steps: refs }) => {
        const steps = refs.map((r): ModelStep<Req> =>
          r.kind === 'one'
            ? { kind: r.kind, req: resolve(templates, r.req) }
            : r.kind === 'wait'
              ? r
              : { kind: r.kind, first: resolve(templates, r.first, r.kind === 'race'), second: resolve(templates, r.second, true) },
        );
        const run = `${strategy}${kongVersion}-${process.pid}r${runSeq++}`;
        let model = new Map<string, Slot>();

        const classify = (req: Req): Class => {
          const client = clients[req.client]!;
          if (req.route === 'auth' && client.consumer === undefined) return { kind: 'key-auth-401' };
          if (!(req.route === 'auth' ? AUTH_METHODS : OPEN_METHODS).has(req.method)) return { kind: 'pass' };
          switch (req.key.kind) {
            case 'none':
              return { kind: 'pass' };
            case 'malformed':
            case 'twice':
              return { kind: 'bad-key', title: 'Idempotency-Key is malformed' };
            case 'long':
              return { kind: 'bad-key', title: 'Idempotency-Key is too long' };
            case 'ok': {
              if (BODIES[req.body]!.declared) return { kind: 'bad-key', title: 'Content Too Large', status: 413 };
              if (BODIES[req.body]!.chunked) return { kind: 'bad-key', title: 'Length Required', status: 411 };
              // the client header identifies only a client without a credential
              const fallback = client.clientId !== undefined ? `header:${client.clientId}` : `ip:${client.ip}`;
              let identity: string;
              if (req.route === 'open') identity = fallback;
              else if (client.consumer !== undefined) identity = `consumer:${client.consumer}`;
              else identity = `consumer:${anonymousId}|${fallback}`; // anon route only: auth refused it above
              if (client.clientIdTwice && !(req.route !== 'open' && client.consumer !== undefined)) return { kind: 'bad-key', title: 'Bad Request' };
              const where = strategy === 'memory' ? `node${req.node}` : 'redis';
              return { kind: 'guarded', scope: `${where}|${req.route}|${identity}|${req.key.id}`, fp: `${req.method} ${req.path} ${BODIES[req.body]!.fp}` };
            }
          }
        };

        const build = (req: Req, id: string, gate?: string): SimRequest => {
          const client = clients[req.client]!;
          const body = BODIES[req.body]!;
          const headers: Array<[string, string]> = [...client.headers, ['X-Req', id], ['X-Outcome', req.outcome]];
          if (gate) headers.push(['X-Gate', gate]);
          if (body.contentLength0) headers.push(['Content-Length', '0']);
          if (body.declared) headers.push(['Content-Length', String(body.bytes.length)]);
          if (body.chunked) headers.push(['Transfer-Encoding', 'chunked']);
          const k = req.key;
          if (k.kind === 'ok') headers.push(['Idempotency-Key', k.quoted ? `"${run}-${k.id}"` : `${run}-${k.id}`]);
          else if (k.kind === 'malformed') headers.push(['Idempotency-Key', k.wire]);
          else if (k.kind === 'twice') headers.push(['Idempotency-Key', `${run}-k1`], ['Idempotency-Key', `${run}-k1`]);
          else if (k.kind === 'long') headers.push(['Idempotency-Key', `${run}-${'k'.repeat(256)}`]);
          return { method: req.method, path: `${paths[req.route]}${req.path}`, headers, body: body.bytes, clientIp: client.ip, httpVersion: req.h2 ? 2 : 1.1 };
        };

        const answered = (res: SimResult, what: string, mayLock: boolean) => {
          const bad = res.kongLog.filter((l) => (l.plugin === undefined && (l.level === 'err' || l.level === 'crit') && !/^upstream /.test(l.message)) || (l.plugin === 'idempotency' && l.level === 'err'));
          expect(bad.map((l) => l.message), `${what}: errors in Kong's log`).toEqual([]);
          expect(nodes.every((n) => n.server.running), `${what}: a plugin server exited`).toBe(true);
          expect(
            res.kongLog
              .filter((l) => l.plugin === 'idempotency' && /lock expired|response handler failed|stays locked/.test(l.message))
              .filter((l) => !(mayLock && /stays locked until lock_ttl/.test(l.message)))
              .map((l) => l.message),
            what,
          ).toEqual([]);
        };

        const expectProxied = (res: SimResult, req: Req, id: string, what: string) => {
          seen(`proxied ${req.outcome}${what.includes('not guarded') ? ' unguarded' : ''}`);
          const sent = upstreamAnswer(id, req.outcome);
          expect(upstream.hits(id), `${what}: upstream hits`).toBe(1);
          expect(res.headers.first('idempotent-replayed'), what).toBeUndefined();
          if (req.outcome === 'slow') {
            expect(res.status, what).toBe(504);
            expect(res.source, what).toBe('error');
            return;
          }
          if (!sent) {
            expect(res.status, what).toBe(502);
            expect(res.source, what).toBe('error');
            return;
          }
          expect(res.status, what).toBe(sent.status);
          expect(res.source, what).toBe('service');
          expect(res.body.equals(sent.body), `${what}: body as the upstream sent it`).toBe(true);
          expect(res.headers.values('set-cookie'), what).toEqual([`a=${id}; Path=/`, 'b=2; Path=/']);
        };

        const expectProblem = (res: SimResult, id: string, status: number, title: string, what: string) => {
          seen(`problem ${status} ${title}${what.includes('in flight') ? ' in flight' : ''}`);
          expect(upstream.hits(id), `${what}: upstream hits`).toBe(0);
          expect(res.status, `${what}: ${res.text()}`).toBe(status);
          expect(res.source, what).toBe('exit');
          const p = problemOf(res);
          expect(p.title, what).toBe(title);
          expect(p.type, what).toBe(['Bad Request', 'Content Too Large', 'Length Required'].includes(title) ? 'about:blank' : DRAFT);
          if (status === 409) expect(res.headers.first('retry-after'), what).toBe('1');
          else expect(res.headers.first('retry-after'), what).toBeUndefined();
        };

        const expectReplay = (res: SimResult, id: string, stored: Stored, what: string) => {
          seen(`replay ${stored.status}`);
          expect(upstream.hits(id), `${what}: the upstream was called for a stored key`).toBe(0);
          expect(res.status, `${what}: ${res.text()}`).toBe(stored.status);
          expect(res.source, what).toBe('exit');
          expect(res.headers.first('idempotent-replayed'), what).toBe('true');
          expect(res.headers.values('idempotent-replayed'), what).toEqual(['true']);
          expect(res.body.equals(stored.body), `${what}: replayed body ${JSON.stringify(res.body.toString('latin1'))} vs stored ${JSON.stringify(stored.body.toString('latin1'))}`).toBe(true);
          expect(replayable(res), `${what}: replayed headers`).toBe(stored.headers);
          if (stored.status !== 204) expect(res.headers.first('content-length'), what).toBe(String(stored.body.length));
        };

        /** Checks a finished request against the model and moves the model on. */
        const check = (req: Req, id: string, res: SimResult, start: number, end: number, what: string) => {
          answered(res, what, (req.h2 && unbufferedH2) || req.outcome === 'slow');
          const c = classify(req);
          if (c.kind === 'key-auth-401') {
            seen('key-auth 401');
            expect(res.status, what).toBe(401);
            expect(upstream.hits(id), what).toBe(0);
            return;
          }
          if (c.kind === 'pass') return expectProxied(res, req, id, `${what} (not guarded)`);
          if (c.kind === 'bad-key') return expectProblem(res, id, c.status ?? 400, c.title, what);
          const slot = model.get(c.scope);
          if (slot?.kind === 'locked') {
            // Locked from its claim (in [start, end] of its request) for lock_ttl.
            const surelyLocked = end < slot.start + LOCK_TTL_S * 1000 - SLACK_MS;
            const surelyFree = start > slot.end + LOCK_TTL_S * 1000 + SLACK_MS;
            const looksLocked = res.status === 409 || res.status === 422;
            seen(surelyFree ? 'lock expired' : surelyLocked ? 'lock alive' : `lock maybe expired: ${looksLocked ? 'kept' : 'gone'}`);
            if (surelyLocked || (!surelyFree && looksLocked)) {
              return slot.fp === c.fp
                ? expectProblem(res, id, 409, 'A request is outstanding for this Idempotency-Key', `${what} (locked after Kong's 504)`)
                : expectProblem(res, id, 422, 'Idempotency-Key is already used', `${what} (locked after Kong's 504, other payload)`);
            }
          } else if (slot?.kind === 'inflight') {
            return slot.fp === c.fp
              ? expectProblem(res, id, 409, 'A request is outstanding for this Idempotency-Key', `${what} (in flight)`)
              : expectProblem(res, id, 422, 'Idempotency-Key is already used', `${what} (in flight, other payload)`);
          }
          let stored = slot?.kind === 'stored' ? slot.stored : undefined;
          if (stored) {
            // The record lives ttl from its completion, somewhere in [start, end] of its request;
            // this request's claim happened somewhere in [start, end] of its own.
            const surelyAlive = end < stored.start + TTL_S * 1000 - SLACK_MS;
            const surelyGone = start > stored.end + TTL_S * 1000 + SLACK_MS;
            const looksReplayed = res.headers.first('idempotent-replayed') !== undefined || res.status === 422;
            seen(surelyGone ? 'record expired' : surelyAlive ? 'record alive' : `record maybe expired: ${looksReplayed ? 'kept' : 'gone'}`);
            if (surelyGone || (!surelyAlive && !looksReplayed)) stored = undefined;
          }
          if (stored) {
            if (stored.fp === c.fp) expectReplay(res, id, stored, `${what} (stored ${stored.status})`);
            else expectProblem(res, id, 422, 'Idempotency-Key is already used', `${what} (stored, other payload)`);
            return;
          }
          expectProxied(res, req, id, `${what} (first)`);
          if (req.h2 && unbufferedH2) {
            // Unbuffered (HTTP/2 before Kong 3.9): nothing can be stored. What the issue says
            // releases the key (5xx, a failed connection, the statuses never stored) still does;
            // Kong's 504 and a response that could not be stored keep it locked until lock_ttl.
            if (RELEASED.has(req.outcome)) model.delete(c.scope);
            else model.set(c.scope, { kind: 'locked', fp: c.fp, start, end });
          } else if (isStoredOutcome(req.outcome)) {
            model.set(c.scope, { kind: 'stored', stored: { fp: c.fp, status: res.status, headers: replayable(res), body: Buffer.from(res.body), start, end } });
          } else if (req.outcome === 'slow') {
            model.set(c.scope, { kind: 'locked', fp: c.fp, start, end });
          } else model.delete(c.scope);
        };

        await driveSteps(steps, {
          run,
          upstream,
          waitMs: TTL_S * 1000 + 2 * SLACK_MS,
          send: (req, id, gate) => nodes[req.node]!.request(build(req, id, gate)),
          check,
          fork: () => {
            const saved = model;
            model = new Map(saved);
            return () => void (model = saved);
          },
          inFlight: (req) => {
            const c = classify(req);
            if (c.kind !== 'guarded') throw new Error('not guarded: no claim to see');
            const before = model.get(c.scope);
            model.set(c.scope, { kind: 'inflight', fp: c.fp });
            return () => {
              if (before) model.set(c.scope, before);
              else model.delete(c.scope);
            };
          },
          seen,
          held: (first, second) => {
            const c = classify(first);
            seen(`pair in flight${c.kind === 'guarded' ? ' guarded' : ''}${first.node !== second.node ? ' across nodes' : ''}`);
            if (c.kind !== 'guarded') return { undo: () => {} };
            const previous = model.get(c.scope);
            const stored = previous?.kind === 'stored' ? previous.stored : undefined;
            const locked = previous?.kind === 'locked' && Date.now() < previous.start + LOCK_TTL_S * 1000 - SLACK_MS;
            if (locked || (stored && Date.now() < stored.start + TTL_S * 1000 - SLACK_MS)) {
              return { fail: 'the first request reached the upstream although its key holds a live stored response or lock' };
            }
            model.set(c.scope, { kind: 'inflight', fp: c.fp });
            return { undo: () => void model.delete(c.scope) };
          },
        });
      }),
      { numRuns: NUM_RUNS, seed: FC_SEED, path: FC_PATH, endOnFailure: FC_PATH !== undefined },
    );
  }, 600_000);
});
