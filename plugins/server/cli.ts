/**
 * Command line, compatible with kong-pdk's `kong-js-pluginserver` (cli.js) so kong.conf's start
 * and query commands work unchanged: `-p/--kong-prefix`, `-v` (repeatable), `--sock-name`,
 * `-d/--plugins-directory` (required), `--dump-plugin-info <name>` (msgpack), `--dump-all-plugins`
 * (JSON), and `--dump` (the same JSON: the go-style query flag). The other options bound what
 * the server holds; their defaults suit Kong. `--metrics-port` serves Prometheus metrics, on
 * loopback unless `--metrics-host` says otherwise (metrics-http.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_METRICS_HOST, isLoopbackHost, type MetricsBind } from './metrics-http';

export interface ServerOptions {
  kongPrefix: string;
  sockName: string;
  verbose: number;
  pluginsDirectory: string;
  dumpPluginInfo?: string;
  dumpAllPlugins: boolean;
  instanceTtlMs: number;
  eventTimeoutMs: number;
  maxEvents: number;
  maxInstances: number;
  sweepIntervalMs: number;
  shutdownTimeoutMs: number;
  /** Undefined without --metrics-port: no metrics endpoint. */
  metrics?: MetricsBind;
}

export type CliResult = { kind: 'run'; options: ServerOptions } | { kind: 'exit'; code: number };

export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** A TCP port; 0 lets the system pick one (the bound port is logged). */
function port(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) {
    // `:9542` or `0.0.0.0:9542`, as other exporters take it, would bind every interface there
    if (value.includes(':')) throw new InvalidArgumentError('expected a port number; to listen on another address than 127.0.0.1, give --metrics-host explicitly');
    throw new InvalidArgumentError('expected a port number (0 to 65535)');
  }
  return n;
}

function host(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a host name or address');
  return value.trim();
}

/** The project's version (the package.json above this file, in src or dist). */
function projectVersion(): string {
  let dir = __dirname;
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string };
      return pkg.version ?? '0.0.0';
    }
    const up = path.dirname(dir);
    if (up === dir) return '0.0.0';
    dir = up;
  }
}

/**
 * kong-pdk's cli.js also takes its query flags with one dash (`-dump-all-plugins`,
 * `-dump-plugin-info <name>`), which a kong.conf written for it may use; commander would read
 * them as `-d ump-all-plugins`.
 */
const SINGLE_DASH_FLAGS: Record<string, string> = { '-dump-all-plugins': '--dump-all-plugins', '-dump-plugin-info': '--dump-plugin-info', '-dump': '--dump' };

/** Parses `argv` (node, script, args...). Help, version and usage errors come back as `exit`. */
export function parseCli(argv: string[], output: CliOutput): CliResult {
  argv = argv.map((a, i) => (i >= 2 && SINGLE_DASH_FLAGS[a] !== undefined ? SINGLE_DASH_FLAGS[a] : a));
  const program = new Command('kong-plugin-server')
    .description("Kong plugin server for this project's JavaScript plugins (kong-pdk compatible command line)")
    .version(projectVersion(), '--version')
    .option('-p, --kong-prefix <prefix>', 'directory of the unix domain socket to listen on', '/usr/local/kong')
    .option('-v, --verbose', 'verbose logging: -v debug, -vv every RPC', (_v: string, previous: number) => previous + 1, 0)
    .option('--sock-name <sock_name>', 'socket name to listen on', 'js_pluginserver.sock')
    .requiredOption('-d, --plugins-directory <dir>', 'plugins directory for .js files')
    .option('--dump-plugin-info <name>', 'dump specific plugin info into stdout (msgpack)')
    .option('--dump-all-plugins', 'dump all plugins info into stdout (JSON)')
    .option('--dump', 'same as --dump-all-plugins')
    .option('--instance-ttl <seconds>', 'drop a plugin instance unused for this long', seconds, 60)
    .option('--event-timeout <seconds>', 'drop an event Kong has not stepped for this long', seconds, 60)
    .option('--max-events <n>', 'most events held at once', count, 50_000)
    .option('--max-instances <n>', 'most plugin instances held at once', count, 10_000)
    .option('--sweep-interval <seconds>', 'how often expired instances and events are swept', seconds, 10)
    .option('--shutdown-timeout <seconds>', 'on SIGTERM, wait this long for events in flight (and again for shutdown hooks)', seconds, 5)
    .option('--metrics-port <port>', 'serve Prometheus metrics on this TCP port at /metrics (0: any free port); off by default', port)
    .option('--metrics-host <host>', `address of the metrics endpoint; other than loopback only when given (default ${DEFAULT_METRICS_HOST})`, host)
    .exitOverride()
    .configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr });
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) return { kind: 'exit', code: e.exitCode };
    throw e;
  }
  const o = program.opts<{
    kongPrefix: string;
    sockName: string;
    verbose: number;
    pluginsDirectory: string;
    dumpPluginInfo?: string;
    dumpAllPlugins?: boolean;
    dump?: boolean;
    instanceTtl: number;
    eventTimeout: number;
    maxEvents: number;
    maxInstances: number;
    sweepInterval: number;
    shutdownTimeout: number;
    metricsPort?: number;
    metricsHost?: string;
  }>();
  if (o.metricsHost !== undefined && o.metricsPort === undefined) {
    output.writeErr('error: --metrics-host needs --metrics-port\n');
    return { kind: 'exit', code: 1 };
  }
  return {
    kind: 'run',
    options: {
      kongPrefix: o.kongPrefix,
      sockName: o.sockName,
      verbose: o.verbose,
      pluginsDirectory: o.pluginsDirectory,
      dumpPluginInfo: o.dumpPluginInfo,
      dumpAllPlugins: Boolean(o.dumpAllPlugins || o.dump),
      instanceTtlMs: o.instanceTtl * 1000,
      eventTimeoutMs: o.eventTimeout * 1000,
      maxEvents: o.maxEvents,
      maxInstances: o.maxInstances,
      sweepIntervalMs: o.sweepInterval * 1000,
      shutdownTimeoutMs: o.shutdownTimeout * 1000,
      metrics:
        o.metricsPort === undefined
          ? undefined
          : { port: o.metricsPort, host: o.metricsHost ?? DEFAULT_METRICS_HOST, remote: o.metricsHost !== undefined && !isLoopbackHost(o.metricsHost) },
    },
  };
}
