/**
 * `npm run bench:ctl`: kong-ctl's real pipeline (load + validate → fetchCurrent → computePlan →
 * applyPlan) against the loopback Admin API simulator holding 10k services, 10k routes, 10k
 * plugins and 5k consumers, with 20 ms per request. Prints requests, wall time and peak RSS
 * next to the targets; asserts nothing.
 *
 *   (a) no-op diff            target ≤ 60 GETs, ≤ 10 s, ≤ 500 MB
 *   (b) apply, 1 % changed    target: exactly one write per changed entity
 *   (c) cold create           target ≤ 1.2 × writes × latency ÷ parallelism
 *
 * Each scenario runs in a fresh worker process (so peak RSS is that scenario's alone) against a
 * simulator in another process (so its memory and CPU are not counted).
 * Options: --scale 0.1 (default 1), --latency 20 (ms), --parallelism 10, --only a,b,c.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { applyPlan } from '../../cli/src/apply/execute';
import { fetchCurrent, fetchSchemas, getKongInfo } from '../../cli/src/current/fetch';
import { desiredSchemas, loadValidated, validateAgainstKong } from '../../cli/src/commands/desired';
import { computePlan } from '../../cli/src/diff/compute';
import { createAdminClient } from '../../cli/src/kong/client';
import type { Kind } from '../../cli/src/model/entity';
import { buildDataset, seedStore, sizeFor } from './dataset';
import type { DatasetSize } from './dataset';
import { startSimulator } from './simulator';
import type { SimulatorStats } from './simulator';

type Scenario = 'a' | 'b' | 'c';

interface WorkerResult {
  scenario: Scenario;
  loadMs: number;
  /** Of diffMs: GET / and the desired kinds' schemas, and the second validation pass. */
  onlineMs: number;
  diffMs: number;
  applyMs: number;
  changes: number;
  writes: number;
  /** RSS right after loading the file, and after reading Kong and diffing. */
  rssAfterLoadBytes: number;
  rssAfterDiffBytes: number;
  done: number;
  failed: number;
  notAttempted: number;
  peakRssBytes: number;
}

const { values: args } = parseArgs({
  options: {
    role: { type: 'string', default: 'main' },
    scale: { type: 'string', default: process.env.BENCH_SCALE ?? '1' },
    latency: { type: 'string', default: process.env.BENCH_LATENCY_MS ?? '20' },
    parallelism: { type: 'string', default: '10' },
    only: { type: 'string', default: 'a,b,c' },
    seed: { type: 'string', default: 'empty' },
    scenario: { type: 'string' },
    url: { type: 'string' },
    file: { type: 'string' },
  },
  strict: true,
});

const scale = Number(args.scale);
const latencyMs = Number(args.latency);
const parallelism = Number(args.parallelism);

const now = () => performance.now();
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function message<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type?: string }) => {
      if (m?.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`${type}: child exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

// ---- simulator process ------------------------------------------------------------------

async function simulatorRole(): Promise<void> {
  const sim = await startSimulator({ latencyMs });
  const t0 = now();
  if (args.seed === 'base') seedStore(sim.store, sizeFor(scale));
  const seedMs = now() - t0;
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stats') process.send!({ type: 'stats', stats: sim.stats });
    if (m?.type === 'stop') void sim.close().then(() => process.exit(0));
  });
  process.send!({ type: 'ready', url: sim.url, seedMs });
}

// ---- worker process ---------------------------------------------------------------------

async function workerRole(): Promise<void> {
  const scenario = args.scenario as Scenario;
  const client = createAdminClient({ kongAddr: args.url!, headers: [], timeoutSeconds: 120 });
  const t0 = now();
  // As diff and apply do it: load and validate offline, then validate against the node's own
  // schemas (which releases the parse trees), then read live state.
  const loaded = await loadValidated({ files: [args.file!], env: {} }, { deferBaseline: true });
  if (loaded.errors) throw new Error(`the generated file does not validate: ${loaded.diagnostics[0].message}`);
  const desired = loaded.result;
  const rssAfterLoadBytes = process.memoryUsage().rss;
  const t1 = now();
  const info = await getKongInfo(client);
  const online = validateAgainstKong(loaded, { version: info.version, schemas: await desiredSchemas(client, desired) });
  if (online.errors) throw new Error(`the generated file does not validate against the simulator: ${online.diagnostics[0].message}`);
  const tOnline = now();
  const { state: current } = await fetchCurrent(client, { selectTags: [] });
  const kinds = new Set<Kind>([...desired.state.entities, ...current.entities].map((e) => e.kind));
  const plugins = [...desired.state.entities, ...current.entities].filter((e) => e.kind === 'plugin').map((e) => String(e.fields.name));
  const schemas = await fetchSchemas(client, [...kinds], plugins);
  const plan = computePlan(desired.state, current, schemas);
  const t2 = now();
  const rssAfterDiffBytes = process.memoryUsage().rss;
  const currentIds = new Map(current.entities.filter((e) => e.id).map((e) => [e.key, e.id!]));
  let applyMs = 0;
  let summary = { done: 0, failed: 0, notAttempted: 0, writes: 0 };
  if (scenario !== 'a') {
    const report = await applyPlan(plan, client, { parallelism, dryRun: false, currentIds, selectTags: [] });
    applyMs = now() - t2;
    summary = {
      done: report.results.filter((r) => r.status === 'done').length,
      failed: report.results.filter((r) => r.status === 'failed').length,
      notAttempted: report.results.filter((r) => r.status === 'not_attempted').length,
      writes: report.writes,
    };
  }
  client.close();
  const result: WorkerResult = {
    scenario,
    loadMs: t1 - t0,
    onlineMs: tOnline - t1,
    diffMs: t2 - t1,
    applyMs,
    changes: plan.changes.length,
    writes: summary.writes,
    rssAfterLoadBytes,
    rssAfterDiffBytes,
    done: summary.done,
    failed: summary.failed,
    notAttempted: summary.notAttempted,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.send!({ type: 'result', result });
}

// ---- orchestrator -----------------------------------------------------------------------

async function runScenario(scenario: Scenario, file: string): Promise<{ result: WorkerResult; server: SimulatorStats; seedMs: number }> {
  const childArgs = ['--scale', String(scale), '--latency', String(latencyMs), '--parallelism', String(parallelism)];
  const sim = fork(__filename, ['--role', 'simulator', '--seed', scenario === 'c' ? 'empty' : 'base', ...childArgs]);
  try {
    const ready = await message<{ url: string; seedMs: number }>(sim, 'ready');
    const worker = fork(__filename, ['--role', 'worker', '--scenario', scenario, '--url', ready.url, '--file', file, ...childArgs]);
    const { result } = await message<{ result: WorkerResult }>(worker, 'result');
    sim.send({ type: 'stats' });
    const { stats } = await message<{ stats: SimulatorStats }>(sim, 'stats');
    return { result, server: stats, seedMs: ready.seedMs };
  } finally {
    sim.send({ type: 'stop' });
  }
}

function describeSize(s: DatasetSize): string {
  return `${s.services} services, ${s.routes} routes, ${s.plugins} plugins, ${s.consumers} consumers`;
}

async function main(): Promise<void> {
  const size = sizeFor(scale);
  const only = new Set(args.only.split(',').map((s) => s.trim()));
  console.log(`kong-ctl benchmark: ${describeSize(size)}; ${latencyMs} ms per request; parallelism ${parallelism}`);
  const dir = mkdtempSync(join(tmpdir(), 'kong-ctl-bench-'));
  try {
    const base = buildDataset(size, 'base');
    const changed = buildDataset(size, 'changed');
    const baseFile = join(dir, 'base.yaml');
    const changedFile = join(dir, 'changed.yaml');
    writeFileSync(baseFile, stringify(base.doc));
    writeFileSync(changedFile, stringify(changed.doc));
    const total = size.services + size.routes + size.plugins + size.consumers;

    if (only.has('a')) {
      const { result: r, server } = await runScenario('a', baseFile);
      const gets = server.byMethod.GET ?? 0;
      const wall = r.loadMs + r.diffMs;
      console.log('\n(a) no-op diff');
      console.log(`    plan: ${r.changes} changes (expected 0)`);
      console.log(`    GETs: ${gets}  target ≤ 60  ${verdict(gets <= 60)}`);
      console.log(`    wall: ${sec(wall)} (load file ${sec(r.loadMs)}, read Kong + diff ${sec(r.diffMs)}, of which validating against Kong's schemas ${sec(r.onlineMs)})  target ≤ 10 s  ${verdict(wall <= 10_000)}`);
      console.log(
        `    peak RSS: ${mb(r.peakRssBytes)}  target ≤ 500 MB  ${verdict(r.peakRssBytes <= 500 * 1024 * 1024)}` +
          `  (RSS after loading the file ${mb(r.rssAfterLoadBytes)}, after reading Kong + diff ${mb(r.rssAfterDiffBytes)})`,
      );
    }

    if (only.has('b')) {
      const { result: r, server } = await runScenario('b', changedFile);
      const writes = (server.byMethod.PUT ?? 0) + (server.byMethod.PATCH ?? 0) + (server.byMethod.POST ?? 0) + (server.byMethod.DELETE ?? 0);
      console.log('\n(b) apply with 1 % of the entities changed');
      console.log(`    changed entities: ${changed.changedEntities}; plan: ${r.changes} changes`);
      console.log(`    writes: ${writes} received by Kong  target = ${changed.changedEntities}  ${verdict(writes === changed.changedEntities && r.changes === changed.changedEntities)}`);
      console.log(`    results: ${r.done} done, ${r.failed} failed, ${r.notAttempted} not attempted`);
      console.log(`    GETs: ${server.byMethod.GET ?? 0}; wall: ${sec(r.loadMs + r.diffMs + r.applyMs)} (load ${sec(r.loadMs)}, diff ${sec(r.diffMs)}, apply ${sec(r.applyMs)}); peak RSS ${mb(r.peakRssBytes)}`);
    }

    if (only.has('c')) {
      const { result: r, server } = await runScenario('c', baseFile);
      const writes = (server.byMethod.PUT ?? 0) + (server.byMethod.POST ?? 0) + (server.byMethod.PATCH ?? 0) + (server.byMethod.DELETE ?? 0);
      const ideal = (writes * latencyMs) / parallelism;
      console.log('\n(c) cold create of everything');
      console.log(`    plan: ${r.changes} changes (expected ${total}); writes received by Kong: ${writes}`);
      console.log(`    results: ${r.done} done, ${r.failed} failed, ${r.notAttempted} not attempted`);
      console.log(
        `    apply wall: ${sec(r.applyMs)}  target ≤ 1.2 × ${writes} × ${latencyMs} ms ÷ ${parallelism} = ${sec(1.2 * ideal)}  ${verdict(r.applyMs <= 1.2 * ideal)}` +
          `  (${(r.applyMs / ideal).toFixed(2)} × ideal)`,
      );
      console.log(`    total wall: ${sec(r.loadMs + r.diffMs + r.applyMs)} (load ${sec(r.loadMs)}, diff ${sec(r.diffMs)}); peak RSS ${mb(r.peakRssBytes)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = args.role;
const entry = role === 'simulator' ? simulatorRole : role === 'worker' ? workerRole : main;
entry().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
