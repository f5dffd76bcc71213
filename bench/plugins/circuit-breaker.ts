/**
 * circuit-breaker section: the plugin on its real plugin server beside the floor (one PDK call)
 * and no plugin, in one KongSim playing Kong (the default version, as the plugin's harness tests).
 *
 *   scenarios     no plugin · floor · circuit-breaker closed (healthy upstream) · circuit-breaker
 *                 open: its service's upstream answers 500 until the circuit opens (default
 *                 minimum_requests, 20 calls), then every request is measured while it is open.
 *                 Both breakers share one config (scope service, on their service, as the docs
 *                 advise) whose open duration is a day: nothing reaches half-open mid-run, and the
 *                 plugin runs on the real clock (no test clock file: none in production either)
 *   per scenario  requests/s, p50/p99 latency and the same minus no plugin ("added"), PDK calls
 *                 (access / all phases) and RPC round trips (access + log) per request
 *   latency       until the response is sent, as a client sees it: Kong runs log handlers after,
 *                 in a timer (requests/s include them). Measured at BENCH_CONCURRENCY, then
 *                 unloaded (one request at a time), since on a saturated CPU a p50 is mostly
 *                 queueing behind other requests
 *   targets       an open circuit answers faster than the floor's proxied request (p50 and p99
 *                 until the response, unloaded); a closed one costs at most 2 RPC round trips on
 *                 top of the floor
 *
 * On its service the plugin's access makes no PDK call when closed and only the exit when open
 * (the service id is in its instance config). The open answers end their access event in
 * kong.response.exit, which kong-pdk 0.6.0 never removes from its event table: the plugin
 * server's RSS growth over the measured run (after the warm-up) is printed.
 * Options (env): BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_UNLOADED_SECONDS as for
 * the other sections. About 50 s with the defaults.
 */
import { HeaderList, KongSim, dumpAllPlugins, kongRoute, kongService, type SimRequest, type SimResult, type UpstreamTransport } from '../../test/harness';
import { BENCH_SERVER, breakEven, CONCURRENCY, FLOOR_DIR, ROUNDS, SECONDS, mb, upstreamText, withUpstreamDelay, ms, pad, pluginDir, startServer, stats, verdict, type Stats } from './common';
import { emptySample, load, merge, type Sample } from './load';
import { rssBytes } from './rss';

const UNLOADED_SECONDS = Number(process.env.BENCH_UNLOADED_SECONDS ?? 2);
const DAY_MS = 86_400_000;
/** Requests sent to trip the circuit before giving up (it opens after minimum_requests: 20). */
const MAX_TRIP_REQUESTS = 1000;

const CONFIG = { open_duration_ms: DAY_MS, max_open_duration_ms: DAY_MS };

/** The port of the service whose circuit is opened: the upstream fails there on demand. */
const OPEN_PORT = 10;

interface Scenario {
  name: string;
  request: () => SimRequest;
  expectStatus: number;
  accept?: (result: SimResult) => boolean;
}

const breakerState = (r: SimResult) => r.headers.first('x-circuit-breaker-state');

/** The in-memory Service answers at once; the open circuit's one fails while `failing` is set. */
function benchUpstream(): { transport: UpstreamTransport; setFailing(on: boolean): void; hitsOnOpen(): number } {
  let failing = false;
  let hits = 0;
  const answer = (status: number) => ({ status, headers: HeaderList.from({ 'Content-Type': 'text/plain' }), body: Buffer.from(status === 200 ? 'ok' : 'failed') });
  return {
    transport: async (req) => {
      if (req.port !== OPEN_PORT) return answer(200);
      hits += 1;
      return answer(failing ? 500 : 200);
    },
    setFailing: (on) => void (failing = on),
    hitsOnOpen: () => hits,
  };
}

async function measure(sim: KongSim, scenarios: Scenario[], durationMs: number, concurrency: number): Promise<Map<string, Sample>> {
  const samples = new Map(scenarios.map((s) => [s.name, emptySample()]));
  // Rounds interleave the scenarios so that drift hits all of them alike.
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      merge(samples.get(s.name)!, await load(sim, s.request, { durationMs, concurrency, expectStatus: s.expectStatus, accept: s.accept, latencyUntil: 'response' }));
    }
  }
  return samples;
}

function printTable(title: string, scenarios: Scenario[], samples: Map<string, Sample>): Map<string, Stats> {
  const all = new Map([...samples].map(([name, sample]) => [name, stats(sample)]));
  const base = all.get(scenarios[0]!.name)!;
  console.log(title);
  console.log(
    `${pad('scenario', 22)}${pad('req/s', 9)}${pad('p50', 11)}${pad('p99', 11)}${pad('added p50', 11)}${pad('added p99', 11)}${pad('PDK acc/all', 13)}${pad('RPC trips', 11)}unexpected`,
  );
  for (const s of scenarios) {
    const x = all.get(s.name)!;
    const added = x === base ? ['—', '—'] : [ms(x.p50 - base.p50), ms(x.p99 - base.p99)];
    console.log(
      `${pad(s.name, 22)}${pad(x.rps.toFixed(0), 9)}${pad(ms(x.p50), 11)}${pad(ms(x.p99), 11)}${pad(added[0]!, 11)}${pad(added[1]!, 11)}${pad(`${x.pdk.toFixed(1)} / ${x.pdkAll.toFixed(1)}`, 13)}${pad(x.rt.toFixed(2), 11)}${x.unexpected}`,
    );
  }
  return all;
}

/** Sends requests while the upstream fails until the circuit answers open; how many it took. */
async function trip(sim: KongSim, path: string): Promise<number> {
  for (let sent = 1; sent <= MAX_TRIP_REQUESTS; sent++) {
    const r = await sim.request({ method: 'GET', path });
    if (r.status === 503 && breakerState(r) === 'open') return sent;
  }
  throw new Error(`circuit-breaker: the circuit did not open after ${MAX_TRIP_REQUESTS} failing requests`);
}

export async function circuitBreakerSection(): Promise<void> {
  const floorServer = await startServer(FLOOR_DIR, 'floor');
  const cbServer = await startServer(pluginDir('circuit-breaker'), 'circuit_breaker');
  const upstream = benchUpstream();
  const plain = kongService({ name: 'bench', host: '127.0.0.1', port: 9 });
  const closedService = kongService({ name: 'cb-closed', host: '127.0.0.1', port: 9 });
  const openService = kongService({ name: 'cb-open', host: '127.0.0.1', port: OPEN_PORT });
  const sim = new KongSim({
    servers: [
      { name: 'floor', socketPath: floorServer.socketPath, plugins: await dumpAllPlugins(FLOOR_DIR) },
      { name: 'circuit-breaker', socketPath: cbServer.socketPath, plugins: await dumpAllPlugins(pluginDir('circuit-breaker')) },
    ],
    services: [plain, closedService, openService],
    upstream: withUpstreamDelay(upstream.transport),
  });
  try {
    const route = (name: string, serviceId: string) => sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: serviceId } })).id;
    route('none', plain.id);
    sim.addPlugin({ name: 'floor', route: route('floor', plain.id) });
    route('cb-closed', closedService.id);
    sim.addPlugin({ name: 'circuit-breaker', service: closedService.id, config: CONFIG });
    route('cb-open', openService.id);
    sim.addPlugin({ name: 'circuit-breaker', service: openService.id, config: CONFIG });

    const get = (path: string) => (): SimRequest => ({ method: 'GET', path });
    const scenarios: Scenario[] = [
      { name: 'no plugin', request: get('/none'), expectStatus: 200 },
      { name: 'floor (1 PDK call)', request: get('/floor'), expectStatus: 200 },
      { name: 'breaker closed', request: get('/cb-closed'), expectStatus: 200, accept: (r) => breakerState(r) === undefined },
      { name: 'breaker open', request: get('/cb-open'), expectStatus: 503, accept: (r) => breakerState(r) === 'open' },
    ];

    upstream.setFailing(true);
    const tripRequests = await trip(sim, '/cb-open');
    // Healthy again: any request that still reached it would be counted, and would be a 200.
    upstream.setFailing(false);
    const hitsAtOpen = upstream.hitsOnOpen();

    // Warm up: instances started, JIT warm, the young generation at its working size.
    for (const s of scenarios) await load(sim, s.request, { durationMs: 500, concurrency: CONCURRENCY, expectStatus: s.expectStatus, accept: s.accept });
    const rssBefore = rssBytes(cbServer.pid!);

    const loadedSamples = await measure(sim, scenarios, SECONDS * 1000, CONCURRENCY);
    const unloadedSamples = await measure(sim, scenarios, UNLOADED_SECONDS * 1000, 1);
    const leaked = upstream.hitsOnOpen() - hitsAtOpen;
    const rssAfter = rssBytes(cbServer.pid!);
    const openAnswers = loadedSamples.get('breaker open')!.requests + unloadedSamples.get('breaker open')!.requests;

    console.log(
      `\ncircuit-breaker benchmark — real ${BENCH_SERVER === 'project' ? 'project' : 'kong-pdk'} plugin servers, KongSim as Kong ${sim.version.text}, ` +
        `latency until the response is sent (log handlers run after it); ${upstreamText()}`,
    );
    console.log(`circuit opened by ${tripRequests - 1} upstream 500s (request ${tripRequests} answered 503 open); open_duration_ms ${DAY_MS}`);
    const loaded = printTable(`concurrency ${CONCURRENCY}, ${ROUNDS}×${SECONDS}s per scenario`, scenarios, loadedSamples);
    const unloaded = printTable(`\nunloaded: concurrency 1, ${ROUNDS}×${UNLOADED_SECONDS}s per scenario`, scenarios, unloadedSamples);

    const floor = unloaded.get('floor (1 PDK call)')!;
    const open = unloaded.get('breaker open')!;
    const floorLoaded = loaded.get('floor (1 PDK call)')!;
    const openLoaded = loaded.get('breaker open')!;
    const closedLoaded = loaded.get('breaker closed')!;
    const openFaster = open.p50 < floor.p50 && open.p99 < floor.p99;
    const addedTrips = closedLoaded.rt - floorLoaded.rt;
    console.log('\ntargets');
    console.log(
      `  open vs the floor's proxied request, unloaded: p50 ${ms(open.p50)} vs ${ms(floor.p50)}, p99 ${ms(open.p99)} vs ${ms(floor.p99)} ` +
        `(target: both lower)  ${verdict(openFaster)}; break-even upstream: ${breakEven(open.p50, floor.p50)} at p50`,
    );
    console.log(
      `    at concurrency ${CONCURRENCY}: p50 ${ms(openLoaded.p50)} vs ${ms(floorLoaded.p50)}, p99 ${ms(openLoaded.p99)} vs ${ms(floorLoaded.p99)}, ` +
        `${(100 * (openLoaded.rps / floorLoaded.rps)).toFixed(1)} % of its req/s (req/s include the log phase: open ${openLoaded.rt.toFixed(2)} round trips, floor ${floorLoaded.rt.toFixed(2)})`,
    );
    console.log(
      `  closed: ${closedLoaded.rt.toFixed(2)} RPC round trips per request vs the floor's ${floorLoaded.rt.toFixed(2)}: +${addedTrips.toFixed(2)} ` +
        `(target ≤ +2)  ${verdict(addedTrips <= 2)}; added p50 over the floor ${ms(closedLoaded.p50 - floorLoaded.p50)} loaded, ` +
        `${ms(unloaded.get('breaker closed')!.p50 - floor.p50)} unloaded`,
    );
    console.log(`  upstream requests while open: ${leaked} (must be 0)${leaked === 0 ? '' : '  the circuit let requests through'}`);
    console.log(
      `  plugin server RSS ${mb(rssBefore)} → ${mb(rssAfter)} over ${openAnswers} open answers ` +
        `(no forced GC: garbage included; ${BENCH_SERVER === 'project' ? "the project's server frees every event, server-floor.js measures what stays after a full GC" : 'kong-pdk 0.6.0 keeps every event ending in kong.response.exit'})`,
    );
    console.log(
      '  note: an upstream that answers at once is the worst case for the open circuit, which skips only an upstream\n' +
        '  exchange, then costing nothing. Its access is one round trip (HandleEvent answered by response.exit: the plugin\n' +
        "  sits on its service, whose id Kong puts in the instance config) against the floor's two; req/s at concurrency\n" +
        '  include the log phase (serialize), which the client does not wait for. "break-even upstream" is the upstream\n' +
        '  time above which the open circuit answers first.',
    );
    const unexpected = [...loaded.values(), ...unloaded.values()].reduce((n, x) => n + x.unexpected, 0);
    if (unexpected > 0) console.log(`  ${unexpected} unexpected answers (wrong status, or a breaker state header where none was expected)`);
  } finally {
    sim.close();
    await Promise.all([floorServer.stop(), cbServer.stop()]);
  }
}
