/**
 * Command line, compatible with kong-pdk's `kong-js-pluginserver` (cli.js) so kong.conf's start
 * and query commands work unchanged: `-p/--kong-prefix`, `-v` (repeatable), `--sock-name`,
 * `-d/--plugins-directory` (required), `--dump-plugin-info <name>` (msgpack), `--dump-all-plugins`
 * (JSON), and `--dump` (the same JSON: the go-style query flag). The other options bound what
 * the server holds; their defaults suit Kong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';

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

/** Parses `argv` (node, script, args...). Help, version and usage errors come back as `exit`. */
export function parseCli(argv: string[], output: CliOutput): CliResult {
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
  }>();
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
    },
  };
}
