/**
 * One plugin served by the project's plugin server (the directory Kong's start command points
 * at, dist/kong-plugins/<name>) started as kong.conf would with `--metrics-port 0`, KongSim
 * playing Kong in front of it, and the metrics endpoint the server logged. The plugin's clock is
 * a file (KONG_PLUGINS_TEST_CLOCK_FILE), as in each plugin's own harness tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KongSim, REPO_ROOT, type KongSimOptions, type PluginServerProcess } from '../../harness';
import { TEST_CLOCK_ENV } from '../../../plugins/shared/clock';
import { ourDumpAllPlugins, ourServer } from '../../plugin-server/helpers';
import { metricsUrlOf, scrape, type Scrape } from './scrape';
import { writeTestClock } from '../support/test-clock';

export interface MetricsNode {
  server: PluginServerProcess;
  sim: KongSim;
  /** `http://127.0.0.1:<port>/metrics`, from the server's log line. */
  metricsUrl: string;
  scrape(): Promise<Scrape>;
  /** Sets the plugin's clock (epoch seconds); undefined for the real clock. */
  setClock(seconds: number | undefined): void;
  close(): Promise<void>;
}

export interface NodeOptions {
  plugin: 'jwt-claims' | 'idempotency' | 'webhook-signature' | 'circuit-breaker';
  sim?: Omit<KongSimOptions, 'servers'>;
  /** The plugin's clock at start (epoch seconds); the real clock when undefined. */
  clock?: number;
  args?: string[];
}

export function pluginDir(plugin: NodeOptions['plugin']): string {
  return path.join(REPO_ROOT, 'dist', 'kong-plugins', plugin);
}

/** The build must be as new as what it is built from (the server loads compiled JS). */
export function assertBuiltFrom(...dirs: string[]): void {
  const stale: string[] = [];
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const dir of dirs) {
    for (const source of walk(path.join(REPO_ROOT, dir))) {
      const compiled = path.join(REPO_ROOT, 'dist', path.relative(REPO_ROOT, source)).replace(/\.ts$/, '.js');
      if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(source).mtimeMs) stale.push(compiled);
    }
  }
  if (stale.length > 0) throw new Error(`run \`npm run build\` first: stale or missing\n${stale.join('\n')}`);
}

export async function startMetricsNode(options: NodeOptions): Promise<MetricsNode> {
  assertBuiltFrom('plugins/server', 'plugins/shared', `plugins/${options.plugin}`);
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), `metrics-${options.plugin}-`));
  const clockFile = path.join(prefix, 'clock');
  const setClock = (seconds: number | undefined) => writeTestClock(clockFile, seconds);
  setClock(options.clock);
  const dir = pluginDir(options.plugin);
  const server = ourServer({
    pluginsDirectory: dir,
    prefix,
    sockName: `${options.plugin.replace(/-/g, '_')}.sock`,
    args: ['--metrics-port', '0', ...(options.args ?? [])],
    env: { ...process.env, [TEST_CLOCK_ENV]: clockFile },
  });
  await server.start();
  const metricsUrl = await metricsUrlOf(server);
  const sim = new KongSim({ ...options.sim, servers: [{ name: options.plugin, socketPath: server.socketPath, plugins: await ourDumpAllPlugins(dir) }] });
  return {
    server,
    sim,
    metricsUrl,
    scrape: () => scrape(metricsUrl),
    setClock,
    close: async () => {
      sim.close();
      await server.stop();
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}
