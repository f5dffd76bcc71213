/**
 * circuit-breaker served by the real plugin server (dist/kong-plugins/circuit-breaker, the
 * directory Kong's start command points at), KongSim playing Kong, and a real loopback upstream
 * (upstream.ts) that fails, slows down and recovers on demand. The plugin server reads its clock
 * from KONG_PLUGINS_TEST_CLOCK_FILE: tests move time explicitly, nothing waits for a timer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  KongSim,
  PluginServerProcess,
  REPO_ROOT,
  dumpAllPlugins,
  httpUpstream,
  kongRoute,
  kongService,
  type KongService,
  type NativePlugin,
  type SimRequest,
  type SimResult,
} from '../../harness';
import { TEST_CLOCK_ENV } from '../../../plugins/shared/clock';
import { assertPluginBuilt } from '../support/plugin-build';
import { FlakyUpstream } from './upstream';
import { writeTestClock } from '../support/test-clock';

export const PLUGIN_DIR = path.join(REPO_ROOT, 'dist', 'kong-plugins', 'circuit-breaker');
/** The plugin's clock at the start of every test file (epoch seconds). */
export const T0 = 1_800_000_000;

export type Attach = 'service' | 'route' | 'global';

export interface Api {
  /** `/<name>`: the route's path, and the upstream prefix of its service. */
  path: string;
  name: string;
  service: KongService;
  routeId: string;
  pluginId?: string;
}

export interface ApiOptions {
  /** circuit-breaker config; undefined: no circuit-breaker on this API (a global one may apply). */
  config?: Record<string, unknown>;
  attach?: Attach;
  /** The Service's port: a closed port gives Kong's 502. */
  port?: number;
  readTimeoutMs?: number;
  /** Route hosts (for `service_host`). */
  hosts?: string[];
  /** Other plugins on the route. */
  routePlugins?: Array<{ name: string; config?: Record<string, unknown> }>;
  /** Reuse this service (another route to it). */
  service?: KongService;
}

export interface BreakerEnv {
  server: PluginServerProcess;
  sim: KongSim;
  upstream: FlakyUpstream;
  /** The file the plugin server reads its clock from. */
  clockFile: string;
  /** Sets the plugin's clock (epoch seconds). */
  setClock(seconds: number): void;
  /** Moves the plugin's clock forward by `ms`. */
  advance(ms: number): void;
  now(): number;
  api(name: string, options?: ApiOptions): Api;
  get(path: string, headers?: Array<[string, string]>): Promise<SimResult>;
  request(req: SimRequest): Promise<SimResult>;
  close(): Promise<void>;
}

export interface StartOptions {
  kongVersion?: string;
}

/**
 * Lua plugins (simulated) that short-circuit in access when a request carries their header, with
 * the status it names: `X-Terminate-Before` runs before circuit-breaker (priority 60, like an auth
 * or rate-limiting plugin), `X-Terminate-After` after it (priority 10, like request-termination).
 * Enabled globally in every test environment.
 */
function terminator(name: string, priority: number, header: string): NativePlugin {
  return {
    name,
    priority,
    access(pdk) {
      const status = pdk.call('kong.request.get_header', header);
      if (typeof status === 'string') pdk.call('kong.response.exit', Number(status), { message: `terminated by ${name}` });
    },
  };
}

export const TERMINATORS = [terminator('terminate-before', 60, 'x-terminate-before'), terminator('terminate-after', 10, 'x-terminate-after')];

/**
 * A Lua plugin with an (empty) `response` handler: on a route (`routePlugins`) it makes Kong proxy
 * with buffering, as idempotency does, so Kong's own 502/504 pass through the response phase.
 */
export const BUFFERING: NativePlugin = { name: 'buffering', priority: 5, response() {} };

export async function startBreakerEnv(options: StartOptions = {}): Promise<BreakerEnv> {
  assertPluginBuilt('circuit-breaker');
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'circuit-breaker-'));
  const clockFile = path.join(prefix, 'clock');
  let clock = T0;
  fs.writeFileSync(clockFile, String(clock));
  const server = PluginServerProcess.underTest({ pluginsDirectory: PLUGIN_DIR, prefix, sockName: 'circuit_breaker.sock', env: { ...process.env, [TEST_CLOCK_ENV]: clockFile } });
  await server.start();
  const upstream = new FlakyUpstream();
  await upstream.start();
  const sim = new KongSim({
    kongVersion: options.kongVersion,
    servers: [{ name: 'circuit-breaker', socketPath: server.socketPath, plugins: await dumpAllPlugins(PLUGIN_DIR) }],
    nativePlugins: [...TERMINATORS, BUFFERING],
    upstream: httpUpstream,
  });
  for (const t of TERMINATORS) sim.addPlugin({ name: t.name });
  const setClock = (seconds: number) => {
    clock = seconds;
    // a torn write read by the 1 s sweep was a backward clock step for every breaker
    writeTestClock(clockFile, seconds);
  };
  return {
    server,
    sim,
    upstream,
    clockFile,
    setClock,
    advance: (ms) => setClock(clock + ms / 1000),
    now: () => clock,
    api: (name, o = {}) => {
      const service =
        o.service ??
        sim.addService(
          kongService({ name, host: '127.0.0.1', port: o.port ?? upstream.port, path: `/${name}`, read_timeout: o.readTimeoutMs ?? 60000, retries: 0 }),
        );
      const route = sim.addRoute(kongRoute({ name, paths: [`/${name}`], hosts: o.hosts, service: { id: service.id } }));
      for (const p of o.routePlugins ?? []) sim.addPlugin({ name: p.name, route: route.id, config: p.config });
      let pluginId: string | undefined;
      if (o.config) {
        const attach = o.attach ?? 'service';
        const scope = attach === 'service' ? { service: service.id } : attach === 'route' ? { route: route.id } : {};
        pluginId = sim.addPlugin({ name: 'circuit-breaker', config: o.config, ...scope }).id;
      }
      return { path: `/${name}`, name, service, routeId: route.id, pluginId };
    },
    get: (p, headers = []) => sim.request({ method: 'GET', path: p, headers }),
    request: (req) => sim.request(req),
    close: async () => {
      sim.close();
      await server.stop();
      await upstream.close();
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** The PDK methods one phase of a request called, in order. */
/** An env whose state endpoint is served on a route of its own, for the tests that read it. */
export async function startBreakerEnvWithState(options: StartOptions = {}): Promise<{ env: BreakerEnv; statePath: string }> {
  const env = await startBreakerEnv(options);
  return { env, statePath: env.api('breakers', { config: { state_endpoint: true }, attach: 'route' }).path };
}

export function callsIn(result: SimResult, phase: 'access' | 'log'): string[] {
  return result.calls.filter((c) => c.phase === phase).map((c) => c.method);
}

/** The circuit-breaker lines of Kong's log for one request. */
export function breakerLog(result: SimResult): Array<{ level: string; message: string }> {
  return result.kongLog.filter((l) => l.message.startsWith('[circuit-breaker]')).map((l) => ({ level: l.level, message: l.message }));
}

/** Sends `n` GETs one after the other; their statuses. */
export async function burst(env: BreakerEnv, path: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await env.get(path)).status);
  return statuses;
}

/** A config small enough for tests: trips after `minimum_requests` failures. */
export function breakerConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { minimum_requests: 4, error_threshold_percentage: 50, open_duration_ms: 30000, window_ms: 60000, ...extra };
}
