/**
 * idempotency and webhook-signature section: both plugins on their real plugin servers beside the
 * floor (one PDK call) and no plugin, in one KongSim playing Kong 3.4.2 (the version their harness
 * tests run), with a real redis-server for the Redis store.
 *
 *   scenarios     no plugin and floor with the idempotency request (POST, 14-byte JSON body) ·
 *                 idempotency first request (a fresh Idempotency-Key per request: claim, proxy,
 *                 store) and replay (one completed key repeated: answered from the store), memory
 *                 and Redis · webhook-signature (Standard Webhooks, one secret) with a 1 KiB and a
 *                 64 KiB body, each beside no plugin with the very same request
 *   per scenario  requests/s, p50/p99 latency and the same minus its no-plugin request ("added"),
 *                 PDK calls (access / all phases) and RPC round trips per request
 *   latency       until the response is sent, as a client sees it: Kong runs log handlers after,
 *                 in a timer (requests/s include them). Measured twice: at BENCH_CONCURRENCY with
 *                 the rest, then unloaded (one request at a time) for the targets, since on a
 *                 saturated CPU a p50 is mostly queueing behind other requests
 *   targets       replay at least as fast as the floor's proxied request (req/s loaded, p50
 *                 unloaded); webhook verification of a 64 KiB body adds < 1 ms at p50 (unloaded)
 *   bound         the bare unix-socket round trip of this host (socket-rtt.ts), and from it the
 *                 least upstream time a conforming replay needs to answer first
 *   end to end    replay against the floor once more over real HTTP (e2e.ts), where the floor's
 *                 request really reaches a Service process and the replay does not; the floor
 *                 again against Services that take 1, 2 and 5 ms (BENCH_UPSTREAM_SWEEP), to show
 *                 from which upstream on a replay answers first
 *
 * client_body_buffer_size is 1 MiB, as webhook-signature's max_body_size (default 1 MiB) requires
 * of Kong 3.4 (nginx_http_client_body_buffer_size): with Kong's 8k default the 64 KiB body would
 * be buffered to a file and unreadable by the plugin.
 * Options (env): BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONCURRENCY as for jwt-claims;
 * BENCH_UNLOADED_SECONDS per scenario and round of the unloaded pass (default 2).
 */
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { KongSim, dumpAllPlugins, keyAuthCredential, kongConsumer, kongRoute, kongService, type PluginServerBinding, type SimRequest, type SimResult } from '../../test/harness';
import { BENCH_SERVER, CONCURRENCY, FLOOR_DIR, ROUNDS, SECONDS, breakEven, immediateUpstream, upstreamText, withUpstreamDelay, ms, pad, pluginDir, startServer, stats, verdict, type Stats } from './common';
import { EndToEnd, type E2eScenario } from './e2e';
import type { ClientRequest } from './http-client';
import { emptySample, load, merge, type LoadOptions, type Sample } from './load';
import { startRedis } from './redis';
import { socketRoundTripP50 } from './socket-rtt';
import { UPSTREAM_DELAY_HEADER, delayMs } from './upstream-delay';
import { jsonBody, newWhsec, standardWebhookHeaders } from './webhooks';

const UNLOADED_SECONDS = Number(process.env.BENCH_UNLOADED_SECONDS ?? 2);

/**
 * For lock_ttl after it starts, an idempotency plugin server asks every request for a claim in
 * response and log: its predecessor's claims may be waiting there (plugins/shared/held-claims.ts).
 * A gateway's servers are older than that almost all the time, so the scenarios measure that
 * state: lock_ttl 10 s (the default is 300 s; lock_ttl plays no other part in these requests),
 * and measurement starts once the server is older. IDEM_CONFIG is the config of every route.
 */
const IDEM_LOCK_TTL = 10;
const IDEM_CONFIG = { lock_ttl: IDEM_LOCK_TTL };

async function pastStartupWindow(startedAt: number): Promise<void> {
  const left = startedAt + IDEM_LOCK_TTL * 1000 + 100 - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}
const KONG_VERSION = '3.4.2';
const BODY_BUFFER = 1024 * 1024;

interface Scenario {
  name: string;
  request: () => SimRequest;
  /** The no-plugin scenario with the same request, for "added". */
  baseline: string;
  accept?: (result: SimResult) => boolean;
  /** Also measured unloaded, for the targets. */
  unloaded?: boolean;
}

/**
 * kong-pdk 0.6.0's listener.js builds `rpc: #… args: ${JSON.stringify(args)}` for every RPC it
 * receives, whether debug lines are logged or not. A body arrives as msgpack `bin`, a Uint8Array,
 * which JSON.stringify walks index by index: the cost of that line for a body of `size` bytes,
 * the median of 31 runs after 20 to warm up, in this process (so only an approximation of what
 * it costs in the plugin server's).
 */
function debugLineMs(size: number): number {
  const args = [{ EventId: 1, Data: new Uint8Array(size) }];
  const times: number[] = [];
  for (let i = 0; i < 51; i++) {
    const t0 = performance.now();
    JSON.stringify(args);
    if (i >= 20) times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[15]!;
}

const replayed = (r: SimResult) => r.headers.first('idempotent-replayed') === 'true';

async function measure(sim: KongSim, scenarios: Scenario[], durationMs: number, concurrency: number): Promise<Map<string, Sample>> {
  const samples = new Map(scenarios.map((s) => [s.name, emptySample()]));
  // Rounds interleave the scenarios so that drift hits all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      const options: LoadOptions = { durationMs, concurrency, expectStatus: 200, accept: s.accept, latencyUntil: 'response' };
      merge(samples.get(s.name)!, await load(sim, s.request, options));
    }
  }
  return samples;
}

function printTable(title: string, scenarios: Scenario[], samples: Map<string, Sample>): Map<string, Stats> {
  const all = new Map([...samples].map(([name, sample]) => [name, stats(sample)]));
  console.log(title);
  console.log(
    `${pad('scenario', 24)}${pad('req/s', 9)}${pad('p50', 11)}${pad('p99', 11)}${pad('added p50', 11)}${pad('added p99', 11)}${pad('PDK acc/all', 13)}${pad('RPC trips', 11)}unexpected`,
  );
  for (const s of scenarios) {
    const x = all.get(s.name)!;
    const base = all.get(s.baseline)!;
    const added = s.baseline === s.name ? ['—', '—'] : [ms(x.p50 - base.p50), ms(x.p99 - base.p99)];
    console.log(
      `${pad(s.name, 24)}${pad(x.rps.toFixed(0), 9)}${pad(ms(x.p50), 11)}${pad(ms(x.p99), 11)}${pad(added[0]!, 11)}${pad(added[1]!, 11)}${pad(`${x.pdk.toFixed(1)} / ${x.pdkAll.toFixed(1)}`, 13)}${pad(x.rt.toFixed(2), 11)}${x.unexpected}`,
    );
  }
  return all;
}

export async function idempotencyWebhookSection(): Promise<void> {
  const redis = await startRedis();
  const floorServer = await startServer(FLOOR_DIR, 'floor');
  const idemServer = await startServer(pluginDir('idempotency'), 'idempotency');
  const idemStartedAt = Date.now();
  const hookServer = await startServer(pluginDir('webhook-signature'), 'webhook_signature');
  const service = kongService({ name: 'bench', host: '127.0.0.1', port: 9 });
  const servers: PluginServerBinding[] = [
    { name: 'floor', socketPath: floorServer.socketPath, plugins: await dumpAllPlugins(FLOOR_DIR) },
    { name: 'idempotency', socketPath: idemServer.socketPath, plugins: await dumpAllPlugins(pluginDir('idempotency')) },
    { name: 'webhook-signature', socketPath: hookServer.socketPath, plugins: await dumpAllPlugins(pluginDir('webhook-signature')) },
  ];
  const sim = new KongSim({
    kongVersion: KONG_VERSION,
    servers,
    services: [service],
    upstream: withUpstreamDelay(immediateUpstream),
    clientBodyBufferSize: BODY_BUFFER,
  });
  try {
    const route = (name: string) => sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } })).id;
    route('none');
    sim.addPlugin({ name: 'floor', route: route('floor') });
    sim.addPlugin({ name: 'idempotency', route: route('idem-memory'), config: IDEM_CONFIG });
    sim.addPlugin({ name: 'idempotency', route: route('idem-redis'), config: { ...IDEM_CONFIG, strategy: 'redis', redis: { host: '127.0.0.1', port: redis.port } } });
    const secret = newWhsec();
    sim.addPlugin({ name: 'webhook-signature', route: route('hook'), config: { secrets: [secret] } });

    const run = `${process.pid}-${Date.now()}`;
    let seq = 0;
    const order = (path: string, key?: string): SimRequest => ({
      method: 'POST',
      path,
      headers: key === undefined ? [['Content-Type', 'application/json']] : [['Content-Type', 'application/json'], ['Idempotency-Key', key]],
      body: '{"amount":100}',
    });
    // One delivery per size, signed again every minute: the plugin refuses timestamps older than
    // its tolerance (300 s), and signing per request would time the sender's HMAC, not the plugin.
    const delivery = (size: number) => {
      const body = jsonBody(size);
      let signedAt = 0;
      let signed: Array<[string, string]> = [];
      return (path: string): SimRequest => {
        const now = Math.floor(Date.now() / 1000);
        if (now - signedAt >= 60) {
          signed = standardWebhookHeaders(secret, `msg_${size}_${now}`, now, body);
          signedAt = now;
        }
        return { method: 'POST', path, headers: [['Content-Type', 'application/json'], ...signed], body };
      };
    };
    const small = delivery(1024);
    const large = delivery(64 * 1024);

    const replayKeys = { memory: `replay-${run}-memory`, redis: `replay-${run}-redis` };
    for (const [store, key] of Object.entries(replayKeys)) {
      const first = await sim.request(order(`/idem-${store}`, key));
      if (first.status !== 200 || replayed(first)) throw new Error(`idempotency (${store}): the key to replay was not stored (status ${first.status})`);
    }

    const scenarios: Scenario[] = [
      { name: 'no plugin, 14 B', request: () => order('/none'), baseline: 'no plugin, 14 B', unloaded: true },
      { name: 'floor (1 PDK call)', request: () => order('/floor'), baseline: 'no plugin, 14 B', unloaded: true },
      { name: 'idem first, memory', request: () => order('/idem-memory', `first-${run}-${seq++}`), baseline: 'no plugin, 14 B', accept: (r) => !replayed(r) },
      { name: 'idem replay, memory', request: () => order('/idem-memory', replayKeys.memory), baseline: 'no plugin, 14 B', accept: replayed, unloaded: true },
      { name: 'idem first, redis', request: () => order('/idem-redis', `first-${run}-${seq++}`), baseline: 'no plugin, 14 B', accept: (r) => !replayed(r) },
      { name: 'idem replay, redis', request: () => order('/idem-redis', replayKeys.redis), baseline: 'no plugin, 14 B', accept: replayed, unloaded: true },
      { name: 'no plugin, 1 KiB', request: () => small('/none'), baseline: 'no plugin, 1 KiB' },
      { name: 'webhook 1 KiB', request: () => small('/hook'), baseline: 'no plugin, 1 KiB' },
      { name: 'no plugin, 64 KiB', request: () => large('/none'), baseline: 'no plugin, 64 KiB', unloaded: true },
      { name: 'webhook 64 KiB', request: () => large('/hook'), baseline: 'no plugin, 64 KiB', unloaded: true },
    ];

    await pastStartupWindow(idemStartedAt);
    // Warm up: instances started, Redis connected, JIT warm.
    for (const s of scenarios) await load(sim, s.request, { durationMs: 500, concurrency: CONCURRENCY, expectStatus: 200, accept: s.accept });

    const loadedSamples = await measure(sim, scenarios, SECONDS * 1000, CONCURRENCY);
    const unloadedScenarios = scenarios.filter((s) => s.unloaded);
    const unloadedSamples = await measure(sim, unloadedScenarios, UNLOADED_SECONDS * 1000, 1);

    console.log(
      `\nidempotency and webhook-signature benchmark — real ${BENCH_SERVER === 'project' ? 'project' : 'kong-pdk'} plugin servers, KongSim as Kong ${KONG_VERSION}, ` +
        `latency until the response is sent (log handlers run after it); ${upstreamText()}; idempotency with lock_ttl ${IDEM_LOCK_TTL} s, ` +
        `measured once its plugin server is older than that, as a gateway's almost always is`,
    );
    const loaded = printTable(`concurrency ${CONCURRENCY}, ${ROUNDS}×${SECONDS}s per scenario`, scenarios, loadedSamples);
    const unloaded = printTable(`\nunloaded: concurrency 1, ${ROUNDS}×${UNLOADED_SECONDS}s per scenario`, unloadedScenarios, unloadedSamples);

    console.log('\ntargets');
    printReplayTargets(loaded, unloaded, (replay, floorP50) => `; break-even upstream: ${breakEven(replay, floorP50)}`);
    const hookAdded = unloaded.get('webhook 64 KiB')!.p50 - unloaded.get('no plugin, 64 KiB')!.p50;
    const hookAddedLoaded = loaded.get('webhook 64 KiB')!.p50 - loaded.get('no plugin, 64 KiB')!.p50;
    console.log(
      `  webhook 64 KiB added p50: ${ms(hookAdded)} unloaded (${ms(hookAddedLoaded)} at concurrency ${CONCURRENCY}) (target < 1 ms, unloaded)  ${verdict(hookAdded < 1)}`,
    );
    if (BENCH_SERVER === 'kong-pdk') {
      console.log(
        `    of which kong-pdk 0.6.0 itself: listener.js stringifies every RPC's args for a debug line, logged or not —\n` +
          `    ≈ ${ms(debugLineMs(64 * 1024))} for the 64 KiB body's Step (${ms(debugLineMs(1024))} for 1 KiB), measured apart in this process`,
      );
    }
    console.log(
      '  note: an upstream that answers at once is the worst case for a replay, which saves the upstream exchange but\n' +
        '  makes 7 PDK calls to the floor\'s 1; "break-even upstream" is the upstream time above which the replay answers\n' +
        '  first at p50 (BENCH_UPSTREAM_MS=<ms> measures it with a slower upstream).\n' +
        '  On Kong 3.4.2 (~150 µs per event, ~40 µs per PDK call, test/fixtures/kong-pdk/README.md) a replay\'s access\n' +
        '  (1 event, 7 calls) is ~0.43 ms against the floor\'s ~0.19 ms + the upstream: an estimate, not a measurement.',
    );
    const rtt = await socketRoundTripP50();
    console.log(
      `  lower bound on this host: a bare unix-socket round trip between two Node processes (one byte each way) takes\n` +
        `  ${ms(rtt)} at p50. Before answering, an anonymous replay needs 7 round trips (6 PDK calls, then the exit: method\n` +
        `  and target, headers, credential, consumer, client IP, body, each its own call) and the floor 2 plus the upstream.\n` +
        `  Whatever either side's code costs, the replay cannot answer first unless the upstream exchange takes more than\n` +
        `  5 such round trips, ${ms(5 * rtt)}; here it takes nothing (in memory).`,
    );
    const unexpected = [...loaded.values(), ...unloaded.values()].reduce((n, x) => n + x.unexpected, 0);
    if (unexpected > 0) console.log(`  ${unexpected} unexpected answers (wrong status, a first request replayed or a replay not replayed)`);

    await replayEndToEnd(servers, redis.port, run);
  } finally {
    sim.close();
    await Promise.all([floorServer.stop(), idemServer.stop(), hookServer.stop()]);
    await redis.stop();
  }
}

/**
 * The replay target per store: at least the floor's req/s at concurrency, and a p50 no higher
 * than its own unloaded. `more` appends to each line (the break-even upstream, in memory).
 */
function printReplayTargets(
  loaded: Map<string, { rps: number; p50: number }>,
  unloaded: Map<string, { rps: number; p50: number }>,
  more: (replayP50: number, floorP50: number) => string = () => '',
): void {
  const floor = loaded.get('floor (1 PDK call)')!;
  const floorP50 = unloaded.get('floor (1 PDK call)')!.p50;
  for (const store of ['memory', 'redis']) {
    const replay = loaded.get(`idem replay, ${store}`)!;
    const replayP50 = unloaded.get(`idem replay, ${store}`)!.p50;
    const ok = replay.rps >= floor.rps && replayP50 <= floorP50;
    console.log(
      `  replay (${store}) vs the floor's proxied request: ${(100 * (replay.rps / floor.rps)).toFixed(1)} % of its req/s, ` +
        `p50 ${ms(replayP50)} vs ${ms(floorP50)} unloaded (target: req/s ≥ 100 %, p50 ≤)  ${verdict(ok)}${more(replayP50, floorP50)}`,
    );
  }
}

/**
 * Upstream service times (whole ms) the floor's proxied request is measured against end to end,
 * beside the upstream that answers at once: BENCH_UPSTREAM_SWEEP, comma-separated (default 1,2,5).
 */
const UPSTREAM_SWEEP = (process.env.BENCH_UPSTREAM_SWEEP ?? '1,2,5')
  .split(',')
  .map((v) => delayMs(v.trim()))
  .filter((v, i, all) => v > 0 && all.indexOf(v) === i);

const floorAt = (upstreamMs: number) => `floor, upstream ${upstreamMs} ms`;

/**
 * Replay against the floor end to end (e2e.ts): the floor's request really goes to a Service
 * process over HTTP, the replay answers from the store. The figures a gateway's clients see.
 * The floor is measured again against Services that take 1, 2, 5 ms (UPSTREAM_SWEEP) in the same
 * interleaved rounds: a replay never reaches the upstream, so its own figures hold for all of them.
 */
async function replayEndToEnd(servers: PluginServerBinding[], redisPort: number, run: string): Promise<void> {
  const { e2e, serviceId } = await EndToEnd.start(servers, 'bench-e2e');
  try {
    const route = (name: string) => e2e.sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: serviceId } })).id;
    e2e.sim.addPlugin({ name: 'floor', route: route('floor') });
    e2e.sim.addPlugin({ name: 'idempotency', route: route('idem-memory'), config: IDEM_CONFIG });
    e2e.sim.addPlugin({ name: 'idempotency', route: route('idem-redis'), config: { ...IDEM_CONFIG, strategy: 'redis', redis: { host: '127.0.0.1', port: redisPort } } });
    // An authenticated client, the usual one of an Idempotency-Key API: key-auth (Lua, no round
    // trip) on both routes; its credential names the consumer, which spares the replay 2 lookups.
    const consumer = e2e.sim.addConsumer(kongConsumer({ username: 'bench-client' }));
    e2e.sim.addCredential(keyAuthCredential({ consumer: { id: consumer.id }, key: 'bench-client-key' }));
    const floorAuth = route('floor-auth');
    e2e.sim.addPlugin({ name: 'key-auth', route: floorAuth, config: {} });
    e2e.sim.addPlugin({ name: 'floor', route: floorAuth });
    const idemAuth = route('idem-memory-auth');
    e2e.sim.addPlugin({ name: 'key-auth', route: idemAuth, config: {} });
    e2e.sim.addPlugin({ name: 'idempotency', route: idemAuth, config: IDEM_CONFIG });
    const apikey: Array<[string, string]> = [['apikey', 'bench-client-key']];
    const body = '{"amount":100}';
    const order = (path: string, key?: string, extra: Array<[string, string]> = []): ClientRequest => ({
      method: 'POST',
      path,
      headers: [['Content-Type', 'application/json'], ...(key === undefined ? [] : ([['Idempotency-Key', key]] as Array<[string, string]>)), ...extra],
      body,
    });
    const scenarios: E2eScenario[] = [{ name: 'floor (1 PDK call)', request: order('/floor') }];
    for (const upstreamMs of UPSTREAM_SWEEP) {
      scenarios.push({ name: floorAt(upstreamMs), request: order('/floor', undefined, [[UPSTREAM_DELAY_HEADER, String(upstreamMs)]]) });
    }
    for (const store of ['memory', 'redis']) {
      const key = `replay-e2e-${run}-${store}`;
      // Stored once, as the HTTP front's client (127.0.0.1, anonymous) would have it: every later request is a replay.
      const first = await e2e.sim.request({ ...order(`/idem-${store}`, key), clientIp: '127.0.0.1' });
      const again = await e2e.sim.request({ ...order(`/idem-${store}`, key), clientIp: '127.0.0.1' });
      if (first.status !== 200 || !replayed(again)) throw new Error(`idempotency end to end (${store}): the key to replay was not stored`);
      scenarios.push({ name: `idem replay, ${store}`, request: order(`/idem-${store}`, key) });
    }
    scenarios.push({ name: AUTH_FLOOR, request: order('/floor-auth', undefined, apikey) });
    const authKey = `replay-e2e-${run}-auth`;
    const stored = await e2e.sim.request({ ...order('/idem-memory-auth', authKey, apikey), clientIp: '127.0.0.1' });
    const replayedAuth = await e2e.sim.request({ ...order('/idem-memory-auth', authKey, apikey), clientIp: '127.0.0.1' });
    if (stored.status !== 200 || !replayed(replayedAuth)) throw new Error('idempotency end to end (key-auth): the key to replay was not stored');
    scenarios.push({ name: AUTH_REPLAY, request: order('/idem-memory-auth', authKey, apikey) });
    const loaded = await e2e.measure(scenarios, { concurrency: CONCURRENCY, durationMs: SECONDS * 1000, rounds: ROUNDS, expectStatus: 200 });
    const unloaded = await e2e.measure(scenarios, { concurrency: 1, durationMs: UNLOADED_SECONDS * 1000, rounds: ROUNDS, expectStatus: 200 });

    console.log(
      `\nend to end — HTTP client process → KongHttpFront + KongSim (this process, as Kong) → plugin servers → HTTP Service process ` +
        `(the floor's request only: a replay never reaches it), kept-alive connections, ${ROUNDS} rounds, all on this host's ${os.cpus().length} CPUs; ${upstreamText()}`,
    );
    console.log(`${pad('scenario', 24)}${pad('req/s', 9)}${pad('p50', 11)}${pad('p99', 11)}${pad('p50 c=1', 11)}${pad('p99 c=1', 11)}${pad('RPC trips', 11)}unexpected`);
    for (const s of scenarios) {
      const x = loaded.get(s.name)!;
      const u = unloaded.get(s.name)!;
      console.log(`${pad(s.name, 24)}${pad(x.rps.toFixed(0), 9)}${pad(ms(x.p50), 11)}${pad(ms(x.p99), 11)}${pad(ms(u.p50), 11)}${pad(ms(u.p99), 11)}${pad(x.rt.toFixed(2), 11)}${x.unexpected + u.unexpected}`);
    }
    console.log(`targets, end to end (req/s at concurrency ${CONCURRENCY}, p50 at concurrency 1)`);
    printReplayTargets(loaded, unloaded);
    printUpstreamSweep(loaded, unloaded);
    const floor = loaded.get(AUTH_FLOOR)!;
    const replay = loaded.get(AUTH_REPLAY)!;
    const [floorP50, replayP50] = [unloaded.get(AUTH_FLOOR)!.p50, unloaded.get(AUTH_REPLAY)!.p50];
    console.log(
      `  authenticated client (key-auth on both routes), memory store, upstream as above: replay ${(100 * (replay.rps / floor.rps)).toFixed(1)} % of the floor's req/s, ` +
        `p50 ${ms(replayP50)} vs ${ms(floorP50)}, ${replay.rt.toFixed(2)} round trips vs ${floor.rt.toFixed(2)}  ${verdict(replay.rps >= floor.rps && replayP50 <= floorP50)}`,
    );
  } finally {
    await e2e.close();
  }
}

const AUTH_FLOOR = 'floor, key-auth';
const AUTH_REPLAY = 'idem replay, key-auth';

/**
 * The same target against the floor's request to slower Services: where a replay starts answering
 * first on both measures. Measured, not extrapolated: each floor row is its own scenario.
 */
function printUpstreamSweep(loaded: Map<string, { rps: number; p50: number }>, unloaded: Map<string, { rps: number; p50: number }>): void {
  if (UPSTREAM_SWEEP.length === 0) return;
  console.log(`  against a Service that takes a while (BENCH_UPSTREAM_SWEEP): the floor's proxied request vs the same replays`);
  const firstMet = new Map<string, number>();
  for (const upstreamMs of UPSTREAM_SWEEP) {
    const floor = loaded.get(floorAt(upstreamMs))!;
    const floorP50 = unloaded.get(floorAt(upstreamMs))!.p50;
    const parts = ['memory', 'redis'].map((store) => {
      const replay = loaded.get(`idem replay, ${store}`)!;
      const replayP50 = unloaded.get(`idem replay, ${store}`)!.p50;
      const ok = replay.rps >= floor.rps && replayP50 <= floorP50;
      if (ok && !firstMet.has(store)) firstMet.set(store, upstreamMs);
      return `${store} ${(100 * (replay.rps / floor.rps)).toFixed(0)} % req/s, p50 ${ms(replayP50)} ${verdict(ok)}`;
    });
    console.log(`    upstream ${pad(`${upstreamMs} ms:`, 7)} floor ${pad(`${floor.rps.toFixed(0)} req/s,`, 13)} p50 ${ms(floorP50)} · replay ${parts.join(' · ')}`);
  }
  for (const store of ['memory', 'redis']) {
    const at = firstMet.get(store);
    console.log(`  replay (${store}) answers first on both measures ${at === undefined ? `with none of these upstreams` : `from an upstream of ${at} ms (of ${UPSTREAM_SWEEP.join(', ')} ms)`}`);
  }
}
