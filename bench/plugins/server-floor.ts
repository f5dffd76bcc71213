/**
 * Our plugin server (bin/kong-plugin-server.js) against kong-pdk 0.6.0's kong-js-pluginserver,
 * side by side in one run, under the same Kong-side load (server-driver.ts: Kong's bridge loop,
 * one connection per concurrent event). Prints figures next to the targets; asserts nothing.
 * Wired into `npm run bench:plugins` after run.ts; `npm run build` first.
 *
 *   floors   events/s, p50/p99 per event, and server CPU per event, for a plugin making no PDK
 *            call (test/fixtures/plugins/zero-calls: HandleEvent only) and one making one
 *            (test/fixtures/plugins/floor: HandleEvent + one Step); for reference, a bare Node
 *            server that frames and answers "ret" (server-bare.ts: the cost of Node and the
 *            socket). Cases run in short interleaved rounds (6 × 1 s) so that drift hits every server
 *            alike: with 2 × 3 s the ratio of two runs on this VM differed by up to 0.3.
 *            target: our zero-call floor ≥ 1.5 × kong-pdk's
 *            placement: on a machine with 2+ CPUs and taskset, the driver (this process, every
 *            thread) runs on CPU 0 and the server under test on CPU 1, as Kong's nginx workers and
 *            the single-threaded plugin server would on a multi-core host. Sharing the CPUs, the
 *            driver's share of them decides events/s as much as the server does (the ceiling is
 *            then the bare server's, ~1.5-1.65 × kong-pdk's here, whatever the server). --no-pin
 *            shares them.
 *   memory   plugin-server RSS after a forced full GC (server-gc-preload.ts), before and after N
 *            events of each ending (return without a PDK call, throw, exit after one call, error);
 *            a fresh server per ending and server, measured after a warm-up (V8's young generation
 *            and the allocator's pools grow to their working size over the first ~100k events).
 *            target: ours grows < 20 MB over 1M events (kong-pdk keeps ~1 KB per such event)
 *
 *   node dist/bench/plugins/server-floor.js [--events 1000000] [--warmup 200000] [--seconds 1]
 *                               [--rounds 6] [--concurrency 32] [--skip-memory] [--skip-floor] [--no-pin]
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../test/harness';
import { BridgeDriver, type DriverSample } from './server-driver';
import { BenchServer, type MemorySample, type ServerKind } from './server-processes';

interface Args {
  events: number;
  seconds: number;
  rounds: number;
  concurrency: number;
  warmup: number;
  memory: boolean;
  floor: boolean;
  pin: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { events: 1_000_000, seconds: 1, rounds: 6, concurrency: 32, warmup: 200_000, memory: true, floor: true, pin: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number`);
      return n;
    };
    if (a === '--events') args.events = Math.round(num());
    else if (a === '--seconds') args.seconds = num();
    else if (a === '--rounds') args.rounds = Math.round(num());
    else if (a === '--concurrency') args.concurrency = Math.round(num());
    else if (a === '--warmup') args.warmup = Math.round(num());
    else if (a === '--skip-memory') args.memory = false;
    else if (a === '--skip-floor') args.floor = false;
    else if (a === '--no-pin') args.pin = false;
    else throw new Error(`unknown option ${a}`);
  }
  return args;
}

const KINDS: ServerKind[] = ['ours', 'kong-pdk'];
const ZERO_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'plugins', 'zero-calls');
const ONE_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'plugins', 'floor');
const ENDER_DIR = path.join(REPO_ROOT, 'test', 'plugin-server', 'fixtures', 'ender');

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const pad = (s: string, n: number) => s.padEnd(n);
const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface FloorTotals {
  events: number;
  rpcs: number;
  elapsedMs: number;
  cpuMs: number;
  latencies: number[];
}

/** Pins every thread of this process to CPU 0 (the server goes on CPU 1); false when it cannot. */
function pinDriver(): boolean {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function unpinDriver(): void {
  execFileSync('taskset', ['-a', '-p', '-c', `0-${os.cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
}

async function floors(args: Args): Promise<void> {
  const pinned = args.pin && pinDriver();
  try {
    await floorRuns(args, pinned);
  } finally {
    if (pinned) unpinDriver();
  }
}

async function floorRuns(args: Args, pinned: boolean): Promise<void> {
  const cases = [
    { name: 'zero-call', dir: ZERO_DIR, plugin: 'zero-calls' },
    { name: 'one-call', dir: ONE_DIR, plugin: 'floor' },
  ];
  const runs: Array<{ label: string; kind: ServerKind; caseName: string; server: BenchServer; driver: BridgeDriver; totals: FloorTotals }> = [];
  for (const c of cases) {
    // the bare reference only for the zero-call floor: what Node and the kernel cost per event
    for (const kind of c.name === 'zero-call' ? [...KINDS, 'bare' as const] : KINDS) {
      const server = new BenchServer(kind, c.dir, false);
      await server.start(pinned ? 1 : undefined);
      const driver = await BridgeDriver.connect(server.socketPath, args.concurrency);
      await driver.startInstance(c.plugin, {});
      runs.push({ label: `${c.name} ${kind}`, kind, caseName: c.name, server, driver, totals: { events: 0, rpcs: 0, elapsedMs: 0, cpuMs: 0, latencies: [] } });
    }
  }
  for (const r of runs) await r.driver.run({ durationMs: 1000 }); // warm up: JIT, connections
  for (let round = 0; round < args.rounds; round++) {
    const order = round % 2 === 0 ? runs : [...runs].reverse();
    for (const r of order) {
      const cpu0 = r.server.cpuMs();
      const s: DriverSample = await r.driver.run({ durationMs: args.seconds * 1000, keepLatencies: true });
      r.totals.cpuMs += r.server.cpuMs() - cpu0;
      r.totals.events += s.events;
      r.totals.rpcs += s.rpcs;
      r.totals.elapsedMs += s.elapsedMs;
      for (const l of s.latencies) r.totals.latencies.push(l);
    }
  }
  console.log(`\nfloors — Kong's bridge loop over ${args.concurrency} connections, ${args.rounds}×${args.seconds}s per case, interleaved`);
  console.log(pinned ? '  the driver on CPU 0, the server under test on CPU 1 (--no-pin to share them)' : '  driver and server share the CPUs');
  console.log(`${pad('case', 12)}${pad('server', 10)}${pad('events/s', 11)}${pad('p50', 11)}${pad('p99', 11)}${pad('RPC/event', 11)}${pad('server CPU/event', 18)}server CPU`);
  const rate = new Map<string, { rps: number; cpuPerEvent: number }>();
  for (const r of runs) {
    const t = r.totals;
    const sorted = t.latencies.sort((a, b) => a - b);
    const rps = t.events / (t.elapsedMs / 1000);
    const cpuPerEvent = (t.cpuMs * 1000) / t.events;
    rate.set(r.label, { rps, cpuPerEvent });
    console.log(
      `${pad(r.caseName, 12)}${pad(r.kind, 10)}${pad(int(rps), 11)}${pad(`${percentile(sorted, 50).toFixed(3)} ms`, 11)}${pad(`${percentile(sorted, 99).toFixed(3)} ms`, 11)}${pad((t.rpcs / t.events).toFixed(2), 11)}${pad(`${cpuPerEvent.toFixed(1)} µs`, 18)}${((t.cpuMs / t.elapsedMs) * 100).toFixed(0)} %`,
    );
  }
  for (const r of runs) {
    r.driver.close();
    await r.server.stop();
  }
  const ours = rate.get('zero-call ours')!;
  const theirs = rate.get('zero-call kong-pdk')!;
  const one = rate.get('one-call ours')!;
  const oneTheirs = rate.get('one-call kong-pdk')!;
  console.log('\ntargets');
  console.log(`  zero-call floor: ours ${int(ours.rps)}/s = ${(ours.rps / theirs.rps).toFixed(2)} × kong-pdk's ${int(theirs.rps)}/s (target ≥ 1.5 ×)  ${verdict(ours.rps >= 1.5 * theirs.rps)}`);
  console.log(`  server CPU per zero-call event: ours ${ours.cpuPerEvent.toFixed(1)} µs, kong-pdk ${theirs.cpuPerEvent.toFixed(1)} µs: one core serves ${(theirs.cpuPerEvent / ours.cpuPerEvent).toFixed(2)} × more events with ours`);
  console.log(`  one-call floor: ours ${(one.rps / oneTheirs.rps).toFixed(2)} × kong-pdk's; CPU per event ${one.cpuPerEvent.toFixed(1)} µs vs ${oneTheirs.cpuPerEvent.toFixed(1)} µs`);
  const bare = rate.get('zero-call bare')!;
  console.log(`  floor of any Node server here (bare: frame, answer "ret"): ${bare.cpuPerEvent.toFixed(1)} µs per event; ours adds ${(ours.cpuPerEvent - bare.cpuPerEvent).toFixed(1)} µs, kong-pdk ${(theirs.cpuPerEvent - bare.cpuPerEvent).toFixed(1)} µs`);
  console.log(
    pinned
      ? '  note: with a CPU of its own the server under test is what bounds events/s, as the plugin server is behind\n' +
          "  Kong's workers on a multi-core host; server CPU per event is the steadier comparison still."
      : '  note: the driver (Kong\'s side) shares the CPUs with the server under test and costs about as much per event as\n' +
          "  the servers do (mostly socket system calls), so events/s understate the servers' difference; server CPU per\n" +
          '  event is the steadier comparison.',
  );
}

const ENDINGS: Array<{ name: string; mode: string; what: string }> = [
  { name: 'return', mode: 'zero', what: 'returns, no PDK call' },
  { name: 'throw', mode: 'throw', what: 'throws' },
  { name: 'exit', mode: 'exit', what: 'one call, then exit' },
  { name: 'error', mode: 'error', what: 'kong.response.error' },
];

async function memory(args: Args): Promise<void> {
  const warmup = args.warmup;
  console.log(`\nmemory — ${int(args.events)} events per ending and server (after ${int(warmup)} warm-up events), RSS after a forced full GC; a fresh server each`);
  const rows: Array<{ ending: string; kind: ServerKind; rps: number; before: MemorySample; after: MemorySample; left?: number }> = [];
  for (const ending of ENDINGS) {
    for (const kind of KINDS) {
      const server = new BenchServer(kind, ENDER_DIR, true);
      await server.start();
      const driver = await BridgeDriver.connect(server.socketPath, args.concurrency);
      await driver.startInstance('ender', { access: ending.mode, response: 'zero', log: 'zero', ms: 0 });
      await driver.run({ maxEvents: warmup });
      const before = await server.settle();
      const started = Date.now();
      const sample = await driver.run({
        maxEvents: args.events,
        onProgress: (done) => {
          if (done % 250_000 === 0) process.stdout.write(`  … ${ending.name} ${kind}: ${int(done)} events, ${int(done / ((Date.now() - started) / 1000))}/s\n`);
        },
      });
      const after = await server.settle();
      let left: number | undefined;
      if (kind === 'ours') left = ((await driver.call('plugin.GetStatus')) as { Events: { InFlight: number } }).Events.InFlight;
      driver.close();
      await server.stop();
      const row = { ending: `${ending.name} (${ending.what})`, kind, rps: sample.events / (sample.elapsedMs / 1000), before, after, left };
      rows.push(row);
      console.log(`  ${pad(row.ending, 34)}${pad(kind, 10)}${int(row.rps)} events/s, RSS ${mb(before.rss)} → ${mb(after.rss)} (${mb(after.rss - before.rss)}), heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)}`);
    }
  }
  console.log(`\n${pad('ending', 34)}${pad('server', 10)}${pad('events/s', 10)}${pad('RSS growth', 12)}${pad('heap growth', 13)}${pad('per event', 11)}events left (GetStatus)`);
  for (const r of rows) {
    const growth = r.after.rss - r.before.rss;
    const heap = r.after.heapUsed - r.before.heapUsed;
    console.log(`${pad(r.ending, 34)}${pad(r.kind, 10)}${pad(int(r.rps), 10)}${pad(mb(growth), 12)}${pad(mb(heap), 13)}${pad(`${Math.max(0, Math.round(heap / args.events))} B`, 11)}${r.left ?? '-'}`);
  }
  const oursMax = Math.max(...rows.filter((r) => r.kind === 'ours').map((r) => r.after.rss - r.before.rss));
  const theirsMin = Math.min(...rows.filter((r) => r.kind === 'kong-pdk').map((r) => r.after.rss - r.before.rss));
  console.log('\ntargets');
  console.log(`  ours: largest RSS growth ${mb(oursMax)} over ${int(args.events)} events of one ending (target < 20 MB over 1M)  ${verdict(oursMax < 20 * 1024 * 1024)}`);
  console.log(`  kong-pdk: smallest RSS growth ${mb(theirsMin)} over ${int(args.events)} events of one ending${args.events < 1_000_000 ? ` (× ${(1_000_000 / args.events).toFixed(1)} for 1M at the same rate per event)` : ''}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  console.log(`plugin servers: ours (bin/kong-plugin-server.js) vs kong-pdk 0.6.0 (kong-js-pluginserver), neither with -v`);
  if (args.floor) await floors(args);
  if (args.memory) await memory(args);
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
