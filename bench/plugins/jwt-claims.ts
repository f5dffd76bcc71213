/**
 * jwt-claims section: the plugin beside the floor (one PDK call) and no plugin, in memory (KongSim
 * called directly) and end to end (e2e.ts: real HTTP from a client process through the harness's
 * HTTP front to a Service process), then the plugin server's memory over many rejected requests.
 *
 *   routes        none (no plugin) · floor · jwt cached (one token repeated; with one claim
 *                 forwarded as a header = 2 PDK calls, without = 1, and with a claim and
 *                 mark_passed, the marker of kong-ctl's fail-closed guard = 3) · jwt uncached
 *                 (cache_size 0: every request verifies RS256)
 *   per route     requests/s, p50/p99 latency, the same minus the no-plugin route ("added"),
 *                 PDK calls and RPC round trips per request
 *   targets       cached token ≤ 3 PDK calls; cached ≥ 70 % of the floor's requests/s, for the
 *                 default config and with mark_passed, in memory and end to end
 *   memory        plugin server RSS growth over BENCH_REJECTIONS (100k) rejected requests (no
 *                 token → 401); target < 20 MB (kong-pdk 0.6.0 keeps every event ending in
 *                 response.exit)
 */
import os from 'node:os';
import { KongSim, dumpAllPlugins, kongRoute, kongService, type PluginServerBinding, type SimRequest } from '../../test/harness';
import { BENCH_SERVER, CONCURRENCY, FLOOR_DIR, ROUNDS, SECONDS, immediateUpstream, upstreamText, withUpstreamDelay, mb, ms, pad, pluginDir, startServer, stats, verdict } from './common';
import { EndToEnd, type E2eScenario } from './e2e';
import type { ClientRequest } from './http-client';
import { emptySample, load, merge } from './load';
import { rssBytes } from './rss';
import { benchKey, rs256 } from './tokens';

const REJECTIONS = Number(process.env.BENCH_REJECTIONS ?? 100_000);

export async function jwtClaimsSection(): Promise<void> {
  const JWT_DIR = pluginDir('jwt-claims');
  const jwtServer = await startServer(JWT_DIR, 'jwt_claims');
  const floorServer = await startServer(FLOOR_DIR, 'floor');
  const key = benchKey();
  const iss = 'https://idp.bench';
  const jwtConfig = {
    issuers: [{ issuer: iss, public_keys: [key.pem] }],
    claims_to_headers: [{ claim: 'sub', header: 'X-User-Id' }],
  };

  const servers: PluginServerBinding[] = [
    { name: 'jwt-claims', socketPath: jwtServer.socketPath, plugins: await dumpAllPlugins(JWT_DIR) },
    { name: 'floor', socketPath: floorServer.socketPath, plugins: await dumpAllPlugins(FLOOR_DIR) },
  ];
  const service = kongService({ name: 'bench', host: '127.0.0.1', port: 9 });
  const sim = new KongSim({
    servers,
    services: [service],
    upstream: withUpstreamDelay(immediateUpstream),
  });
  const route = (name: string) => sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } })).id;
  route('none');
  sim.addPlugin({ name: 'floor', route: route('floor') });
  sim.addPlugin({ name: 'jwt-claims', route: route('cached'), config: jwtConfig });
  sim.addPlugin({ name: 'jwt-claims', route: route('cached-bare'), config: { ...jwtConfig, claims_to_headers: [] } });
  sim.addPlugin({ name: 'jwt-claims', route: route('cached-guarded'), config: { ...jwtConfig, mark_passed: true } });
  sim.addPlugin({ name: 'jwt-claims', route: route('uncached'), config: { ...jwtConfig, cache_size: 0 } });

  const token = rs256(key, { iss, sub: 'bench-user', exp: Math.floor(Date.now() / 1000) + 3600 });
  const withToken = (p: string): SimRequest => ({ method: 'GET', path: p, headers: [['Authorization', `Bearer ${token}`]] });
  const scenarios: Array<{ name: string; request: () => SimRequest }> = [
    { name: 'no plugin', request: () => ({ method: 'GET', path: '/none' }) },
    { name: 'floor (1 PDK call)', request: () => ({ method: 'GET', path: '/floor' }) },
    { name: 'jwt-claims cached', request: () => withToken('/cached') },
    { name: 'jwt cached, no fwd', request: () => withToken('/cached-bare') },
    { name: 'jwt cached, guarded', request: () => withToken('/cached-guarded') },
    { name: 'jwt-claims uncached', request: () => withToken('/uncached') },
  ];

  // Warm up: instances started, JIT warm, the token cached.
  for (const s of scenarios) await load(sim, s.request, { durationMs: 500, concurrency: CONCURRENCY, expectStatus: 200 });

  const samples = new Map(scenarios.map((s) => [s.name, emptySample()]));
  // Each round's req/s too: the spread of the per-round ratios shows how much this VM drifts.
  const perRound = new Map(scenarios.map((s) => [s.name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      const sample = await load(sim, s.request, { durationMs: SECONDS * 1000, concurrency: CONCURRENCY, expectStatus: 200 });
      perRound.get(s.name)!.push(sample.requests / sample.elapsedMs);
      merge(samples.get(s.name)!, sample);
    }
  }
  const spread = (name: string): string => {
    const floorRounds = perRound.get('floor (1 PDK call)')!;
    const ratios = perRound.get(name)!.map((r, i) => (r / floorRounds[i]!) * 100);
    return `rounds ${Math.min(...ratios).toFixed(0)}–${Math.max(...ratios).toFixed(0)} %`;
  };

  const baseline = stats(samples.get('no plugin')!);
  const floor = stats(samples.get('floor (1 PDK call)')!);
  const cached = stats(samples.get('jwt-claims cached')!);
  const cachedBare = stats(samples.get('jwt cached, no fwd')!);
  const cachedGuarded = stats(samples.get('jwt cached, guarded')!);

  console.log(`\njwt-claims benchmark — real ${BENCH_SERVER === 'project' ? 'project' : 'kong-pdk'} plugin servers, KongSim as Kong, concurrency ${CONCURRENCY}, ${ROUNDS}×${SECONDS}s per route; ${upstreamText()}`);
  console.log(
    `${pad('route', 22)}${pad('req/s', 10)}${pad('p50', 12)}${pad('p99', 12)}${pad('added p50', 12)}${pad('added p99', 12)}${pad('PDK calls', 11)}${pad('RPC trips', 11)}unexpected`,
  );
  for (const s of scenarios) {
    const x = stats(samples.get(s.name)!);
    console.log(
      `${pad(s.name, 22)}${pad(x.rps.toFixed(0), 10)}${pad(ms(x.p50), 12)}${pad(ms(x.p99), 12)}${pad(ms(x.p50 - baseline.p50), 12)}${pad(ms(x.p99 - baseline.p99), 12)}${pad(x.pdk.toFixed(2), 11)}${pad(x.rt.toFixed(2), 11)}${x.unexpected}`,
    );
  }
  const ratio = cached.rps / floor.rps;
  const ratioBare = cachedBare.rps / floor.rps;
  const ratioGuarded = cachedGuarded.rps / floor.rps;
  const pct = (r: number) => `${(r * 100).toFixed(1)} %`;
  console.log('\ntargets (default config: mark_passed off)');
  console.log(`  cached token PDK calls in access: ${cached.pdk.toFixed(2)} with a forwarded claim, ${cachedBare.pdk.toFixed(2)} without (target ≤ 3)  ${verdict(cached.pdk <= 3)}`);
  console.log(
    `  cached req/s vs floor: ${pct(ratio)} with a forwarded claim (${spread('jwt-claims cached')})  ${verdict(ratio >= 0.7)}, ` +
      `${pct(ratioBare)} without (${spread('jwt cached, no fwd')})  ${verdict(ratioBare >= 0.7)} (target ≥ 70 %)`,
  );
  console.log('with mark_passed on, as kong-ctl\'s _info.fail_closed_guard sets it (one more call: the marker the guard reads)');
  console.log(`  cached token PDK calls in access: ${cachedGuarded.pdk.toFixed(2)} with a forwarded claim (target ≤ 3)  ${verdict(cachedGuarded.pdk <= 3)}`);
  console.log(`  cached req/s vs floor: ${pct(ratioGuarded)} with a forwarded claim (${spread('jwt cached, guarded')})  ${verdict(ratioGuarded >= 0.7)} (target ≥ 70 %)`);
  console.log(
    '  note: in memory, KongSim does a few µs of bookkeeping per request where a gateway parses and proxies\n' +
      '  HTTP, so req/s follow RPC round trips (floor 2, cached 2-4) more closely than on a real Kong: the worst\n' +
      '  case. When the two processes sleep between messages (a wake-up costs ~0.1 ms on a busy VM) req/s follow\n' +
      '  round trips exactly (2 against 3: 67 %); when they stay busy, CPU per request decides (~74 % here). The\n' +
      '  end-to-end table below adds real HTTP in Node, which costs more per request than nginx, so round trips\n' +
      '  weigh less there than on Kong. A real Kong lies between the two.',
  );

  // The in-memory KongSim idles meanwhile: the end-to-end one starts its own instances, as a second Kong node would.
  await endToEnd(servers, jwtConfig, token);

  // Memory: RSS of the jwt-claims plugin server over many rejected requests.
  const pid = jwtServer.pid!;
  const reject = (): SimRequest => ({ method: 'GET', path: '/cached' });
  await load(sim, reject, { maxRequests: 2000, concurrency: CONCURRENCY, expectStatus: 401, keepLatencies: false });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = rssBytes(pid);
  const rejected = await load(sim, reject, { maxRequests: REJECTIONS, concurrency: CONCURRENCY, expectStatus: 401, keepLatencies: false });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = rssBytes(pid);
  const growth = after - before;
  console.log(
    `\nmemory: plugin server RSS ${mb(before)} → ${mb(after)} over ${rejected.requests} rejected requests (${rejected.unexpected} not 401): ` +
      `+${mb(growth)}, ${((growth / rejected.requests) | 0)} B/request (target < 20 MB)  ${verdict(growth < 20 * 1024 * 1024)}`,
  );
  if (BENCH_SERVER === 'kong-pdk') {
    console.log('  (kong-pdk 0.6.0 never deletes an event that ends in kong.response.exit from its event table: server.js step())');
  }

  sim.close();
  await Promise.all([jwtServer.stop(), floorServer.stop()]);
}

/** The same routes end to end (e2e.ts): real HTTP in, through the plugin servers, real HTTP to the Service. */
async function endToEnd(servers: PluginServerBinding[], jwtConfig: Record<string, unknown>, token: string): Promise<void> {
  const { e2e, serviceId } = await EndToEnd.start(servers, 'bench-e2e');
  const route = (name: string) => e2e.sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: serviceId } })).id;
  route('none');
  e2e.sim.addPlugin({ name: 'floor', route: route('floor') });
  e2e.sim.addPlugin({ name: 'jwt-claims', route: route('cached'), config: jwtConfig });
  e2e.sim.addPlugin({ name: 'jwt-claims', route: route('cached-bare'), config: { ...jwtConfig, claims_to_headers: [] } });
  e2e.sim.addPlugin({ name: 'jwt-claims', route: route('cached-guarded'), config: { ...jwtConfig, mark_passed: true } });
  const get = (p: string, headers: Array<[string, string]> = []): ClientRequest => ({ method: 'GET', path: p, headers });
  const withToken = (p: string) => get(p, [['Authorization', `Bearer ${token}`]]);
  const scenarios: E2eScenario[] = [
    { name: 'no plugin', request: get('/none') },
    { name: 'floor (1 PDK call)', request: get('/floor') },
    { name: 'jwt-claims cached', request: withToken('/cached') },
    { name: 'jwt cached, no fwd', request: withToken('/cached-bare') },
    { name: 'jwt cached, guarded', request: withToken('/cached-guarded') },
  ];
  const results = await e2e.measure(scenarios, { concurrency: CONCURRENCY, durationMs: SECONDS * 1000, rounds: ROUNDS, expectStatus: 200 });
  await e2e.close();

  const stat = (name: string) => results.get(name)!;
  const baseline = stat('no plugin');
  console.log(
    `\nend to end — HTTP client process → KongHttpFront + KongSim (this process, as Kong) → plugin servers → HTTP Service process, ` +
      `kept-alive connections, concurrency ${CONCURRENCY}, ${ROUNDS}×${SECONDS}s per route, all on this host's ${os.cpus().length} CPUs; ${upstreamText()}`,
  );
  console.log(`${pad('route', 22)}${pad('req/s', 10)}${pad('p50', 12)}${pad('p99', 12)}${pad('added p50', 12)}${pad('added p99', 12)}${pad('RPC trips', 11)}unexpected`);
  for (const s of scenarios) {
    const x = stat(s.name);
    console.log(
      `${pad(s.name, 22)}${pad(x.rps.toFixed(0), 10)}${pad(ms(x.p50), 12)}${pad(ms(x.p99), 12)}${pad(ms(x.p50 - baseline.p50), 12)}${pad(ms(x.p99 - baseline.p99), 12)}${pad(x.rt.toFixed(2), 11)}${x.unexpected}`,
    );
  }
  const floor = stat('floor (1 PDK call)');
  const ratio = (name: string) => stat(name).rps / floor.rps;
  const line = (label: string, r: number) => `${label} ${(r * 100).toFixed(1)} %  ${verdict(r >= 0.7)}`;
  console.log('targets, end to end (≥ 70 % of the floor\'s requests/s)');
  console.log(`  cached, default config: ${line('with a forwarded claim', ratio('jwt-claims cached'))}, ${line('without', ratio('jwt cached, no fwd'))}`);
  console.log(`  cached, mark_passed on (fail-closed guard): ${line('with a forwarded claim', ratio('jwt cached, guarded'))}`);
}
