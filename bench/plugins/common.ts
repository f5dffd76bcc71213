/** What the benchmark sections share: plugin servers, the instant upstream, figures, formatting. */
import fs from 'node:fs';
import path from 'node:path';
import { HeaderList, PluginServerProcess, REPO_ROOT, type UpstreamTransport } from '../../test/harness';
import { percentile, type Sample } from './load';

// Four interleaved rounds of 2 s rather than two of 4 s: this VM's speed drifts over seconds,
// and more, shorter rounds spread the drift evenly over the scenarios compared.
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

export const FLOOR_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'plugins', 'floor');

/** A built plugin's own plugins directory (dist/kong-plugins/<name>, what Kong points at). */
export function pluginDir(name: string): string {
  return path.join(REPO_ROOT, 'dist', 'kong-plugins', name);
}

/** The Service answers at once: figures are plugin + protocol cost, not network. */
export const immediateUpstream: UpstreamTransport = async () => ({
  status: 200,
  headers: HeaderList.from({ 'Content-Type': 'text/plain' }),
  body: Buffer.from('ok'),
});

/**
 * BENCH_UPSTREAM_MS (whole milliseconds, default 0): how long the Service takes to answer. 0 is the
 * worst case for the plugins that spare the upstream a request (an idempotent replay, an open
 * circuit); a positive value shows where they start answering first, measured rather than estimated.
 */
export const UPSTREAM_MS = Math.max(0, Math.round(Number(process.env.BENCH_UPSTREAM_MS ?? 0) || 0));

/** Delays an upstream's answers by UPSTREAM_MS. */
export function withUpstreamDelay(transport: UpstreamTransport): UpstreamTransport {
  if (UPSTREAM_MS === 0) return transport;
  return async (req) => {
    await new Promise((resolve) => setTimeout(resolve, UPSTREAM_MS));
    return transport(req);
  };
}

export const upstreamText = (): string => (UPSTREAM_MS === 0 ? 'the upstream answers at once' : `the upstream answers after ${UPSTREAM_MS} ms`) + ' (BENCH_UPSTREAM_MS)';

/**
 * Which plugin server the sections run on: `project` (plugins/server, what kong/js-pluginserver
 * starts in production; the default) or `kong-pdk` (kong-pdk 0.6.0's kong-js-pluginserver), set
 * with BENCH_SERVER. server-floor.js compares the two side by side.
 */
export const BENCH_SERVER = process.env.BENCH_SERVER === 'kong-pdk' ? 'kong-pdk' : 'project';

/** Node flags of the production start command (kong/js-pluginserver's exec line), so the bench runs what Kong runs. */
function productionNodeArgs(): string[] {
  const wrapper = fs.readFileSync(path.join(REPO_ROOT, 'kong', 'js-pluginserver'), 'utf8');
  const exec = /^exec\s+(.+?)\s+"\$@"\s*$/m.exec(wrapper);
  return exec ? exec[1].split(/\s+/).filter((t) => t.startsWith('--')) : [];
}

export async function startServer(dir: string, name: string): Promise<PluginServerProcess> {
  if (!fs.existsSync(dir)) throw new Error(`${dir} is missing (npm run bench:plugins builds first)`);
  const options = { pluginsDirectory: dir, sockName: `${name}.sock` };
  const server = BENCH_SERVER === 'kong-pdk' ? PluginServerProcess.kongJs(options) : PluginServerProcess.project({ ...options, nodeArgs: productionNodeArgs() });
  await server.start();
  return server;
}

export interface Stats {
  rps: number;
  p50: number;
  p99: number;
  /** PDK calls in access per request. */
  pdk: number;
  /** PDK calls in every phase per request. */
  pdkAll: number;
  /** RPC round trips per request. */
  rt: number;
  unexpected: number;
}

/** Requests/s and p50/p99 latency (ms) of a run, KongSim's or end to end. */
export function rateAndLatency(run: { requests: number; elapsedMs: number; latencies: readonly number[] }): { rps: number; p50: number; p99: number } {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  return { rps: run.requests / (run.elapsedMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

export function stats(sample: Sample): Stats {
  return {
    ...rateAndLatency(sample),
    pdk: sample.pdkCalls / sample.requests,
    pdkAll: sample.pdkCallsAll / sample.requests,
    rt: sample.roundTrips / sample.requests,
    unexpected: sample.unexpected,
  };
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const ms = (v: number) => `${v.toFixed(3)} ms`;
export const pad = (s: string, n: number) => s.padEnd(n);
export const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

/**
 * The upstream time above which a request that skips the upstream (replay, open circuit) answers
 * before the floor's proxied one, at p50: read off this run's upstream time and the p50 gap.
 */
export function breakEven(skipperP50: number, floorP50: number): string {
  if (skipperP50 <= floorP50) return UPSTREAM_MS === 0 ? '0 (already first)' : `≤ ${UPSTREAM_MS} ms (already first)`;
  return `${(UPSTREAM_MS + skipperP50 - floorP50).toFixed(3)} ms`;
}
