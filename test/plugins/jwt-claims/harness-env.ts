/**
 * jwt-claims served by the real kong-pdk plugin server (from the build, dist/kong-plugins/jwt-claims,
 * exactly the directory Kong's pluginserver start command points at), with KongSim playing Kong.
 * The plugin server gets KONG_PLUGINS_TEST_CLOCK_FILE so tests can set the plugin's clock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  HeaderList,
  KongSim,
  PluginServerProcess,
  REPO_ROOT,
  dumpAllPlugins,
  kongRoute,
  kongService,
  type SimRequest,
  type SimResult,
  type UpstreamRequest,
  type UpstreamTransport,
} from '../../harness';
import { TEST_CLOCK_ENV } from '../../../plugins/shared/clock';
import { assertPluginBuilt } from '../support/plugin-build';
import { writeTestClock } from '../support/test-clock';

export const PLUGIN_DIR = path.join(REPO_ROOT, 'dist', 'kong-plugins', 'jwt-claims');

/** The guard's dead-server tests start this plugin's build too, and check it the same way. */
export function assertBuilt(): void {
  assertPluginBuilt('jwt-claims');
}

export interface JwtClaimsEnv {
  server: PluginServerProcess;
  sim: KongSim;
  /** Requests that reached the upstream (an in-memory echo unless `upstream` was given). */
  upstream: UpstreamRequest[];
  /** The file the plugin server reads its clock from. */
  clockFile: string;
  /** Sets the plugin's clock (epoch seconds); undefined for the real clock. */
  setClock(seconds: number | undefined): void;
  /** A route `/<name>` to the service with jwt-claims configured; returns the path. */
  route(name: string, config: Record<string, unknown>): string;
  /** As route(), also returning the plugin entity's id (for sim.updatePlugin). */
  pluginRoute(name: string, config: Record<string, unknown>): { path: string; pluginId: string };
  request(req: SimRequest): Promise<SimResult>;
  close(): Promise<void>;
}

export const echoTransport =
  (into: UpstreamRequest[]): UpstreamTransport =>
  async (req) => {
    into.push(req);
    return { status: 200, headers: HeaderList.from({ 'Content-Type': 'text/plain' }), body: Buffer.from('upstream') };
  };

export interface StartOptions {
  /** How Kong reaches the Service; an in-memory echo by default. */
  upstream?: UpstreamTransport;
  /** The Service's port (for a real upstream). */
  servicePort?: number;
  kongVersion?: string;
  /** More environment for the plugin server process (what Kong's start_cmd would set). */
  serverEnv?: NodeJS.ProcessEnv;
}

export async function startJwtClaims(options: StartOptions = {}): Promise<JwtClaimsEnv> {
  assertBuilt();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'jwt-claims-'));
  const clockFile = path.join(prefix, 'clock');
  const server = PluginServerProcess.underTest({ pluginsDirectory: PLUGIN_DIR, prefix, sockName: 'jwt_claims.sock', env: { ...process.env, ...options.serverEnv, [TEST_CLOCK_ENV]: clockFile } });
  await server.start();
  const upstream: UpstreamRequest[] = [];
  const service = kongService({ name: 'api', host: '127.0.0.1', port: options.servicePort ?? 9 });
  const sim = new KongSim({
    kongVersion: options.kongVersion,
    servers: [{ name: 'jwt-claims', socketPath: server.socketPath, plugins: await dumpAllPlugins(PLUGIN_DIR) }],
    services: [service],
    upstream: options.upstream ?? echoTransport(upstream),
  });
  const pluginRoute = (name: string, config: Record<string, unknown>) => {
    const route = sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } }));
    const plugin = sim.addPlugin({ name: 'jwt-claims', route: route.id, config });
    return { path: `/${name}`, pluginId: plugin.id };
  };
  return {
    server,
    sim,
    upstream,
    clockFile,
    setClock: (seconds) => writeTestClock(clockFile, seconds),
    route: (name, config) => pluginRoute(name, config).path,
    pluginRoute,
    request: (req) => sim.request(req),
    close: async () => {
      sim.close();
      await server.stop();
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** `Authorization: Bearer <token>` GET of `path`, plus extra headers. */
export function bearer(path: string, token: string, extra: Array<[string, string]> = []): SimRequest {
  return { method: 'GET', path, headers: [['Authorization', `Bearer ${token}`], ...extra] };
}

/** The PDK methods a request's access phase called, in order. */
export function accessCalls(result: SimResult): string[] {
  return result.calls.filter((c) => c.phase === 'access').map((c) => c.method);
}
