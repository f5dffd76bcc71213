/**
 * The project's plugin server: what kong.conf's `pluginserver_<name>_start_cmd` and
 * `_query_cmd` run (through bin/kong-plugin-server.js, or `node dist/plugins/server/main.js`),
 * in place of kong-pdk's `kong-js-pluginserver`. Same command line, same protocol and answers;
 * its own socket handling, framing, event and instance tables (see events.ts for what that
 * changes). The query modes print and exit even when a plugin module keeps timers or sockets.
 */
import path from 'node:path';
import { metricsRegistry } from '../shared/metrics';
import { parseCli, type ServerOptions } from './cli';
import { EventTable } from './events';
import { InstanceTable } from './instances';
import { Listener } from './listener';
import { LuaStringEncoder } from './lua-strings';
import { LogThrottle, Logger, describeError, levelForVerbosity } from './logger';
import { ServerMetrics } from './metrics';
import { MetricsEndpoint } from './metrics-http';
import { loadPluginsDirectory, pluginInfo, type LoadedPlugin } from './plugin-loader';
import { PluginServer } from './rpc-methods';
import { shutdown } from './shutdown';

function writeStdout(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (e) => (e ? reject(e) : resolve())));
}

/** Runs the server (until SIGTERM/SIGINT) or a query; resolves with the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const parsed = parseCli(argv, { writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  if (parsed.kind === 'exit') return parsed.code;
  const options = parsed.options;
  const querying = options.dumpAllPlugins || options.dumpPluginInfo !== undefined;
  // a query's stdout is parsed by Kong: logs go to stderr then (kong-pdk mixes them in with -v)
  const log = new Logger(levelForVerbosity(options.verbose), (line) => (querying ? process.stderr : process.stdout).write(line));

  let plugins: Map<string, LoadedPlugin>;
  try {
    plugins = loadPluginsDirectory(options.pluginsDirectory, log);
  } catch (e) {
    log.error(`cannot load the plugins directory ${options.pluginsDirectory}: ${describeError(e)}`);
    return 1;
  }

  if (options.dumpPluginInfo !== undefined) {
    const plugin = plugins.get(options.dumpPluginInfo);
    if (plugin === undefined) {
      log.error(`${options.dumpPluginInfo} not initizlied`);
      return 1;
    }
    await writeStdout(new LuaStringEncoder().encode(pluginInfo(plugin)));
    return 0;
  }
  if (options.dumpAllPlugins) {
    await writeStdout(`${JSON.stringify([...plugins.values()].map(pluginInfo))}\n`);
    return 0;
  }
  return serve(options, plugins, log);
}

async function serve(options: ServerOptions, plugins: Map<string, LoadedPlugin>, log: Logger): Promise<number> {
  const socketPath = path.join(options.kongPrefix, options.sockName);
  const instances = new InstanceTable({ ttlMs: options.instanceTtlMs, maxInstances: options.maxInstances, log });
  // counted with or without --metrics-port: the same code path either way, and cheap
  const metrics = new ServerMetrics(metricsRegistry(), plugins.values());
  const events = new EventTable({ maxEvents: options.maxEvents, eventTimeoutMs: options.eventTimeoutMs, log, observer: metrics });
  const server = new PluginServer(plugins, instances, events, log);
  const listener = new Listener({ socketPath, server, events, log });
  metrics.watch({ events, instances, maxEvents: options.maxEvents, connections: () => listener.connectionCount });

  // a plugin's promise that nobody awaits (a PDK call after its event ended, say) must not kill
  // the server: Node's default for an unhandled rejection is to exit
  const throttle = new LogThrottle(1000);
  process.on('unhandledRejection', (reason) => {
    metrics.unhandledRejection();
    const held = throttle.admit('rejection', Date.now());
    if (held !== undefined) log.warn(`unhandled promise rejection${held > 0 ? ` (${held} more since the last such line)` : ''}: ${describeError(reason)}`);
  });
  // Nor may an exception thrown outside any handler (a plugin's timer, a library's socket
  // listener): Node exits on it, and with the plugin server gone Kong proxies every route
  // without its plugins, security plugins included. Only that callback's work is lost; the
  // events, instances and socket live on, so staying up fails closed where exiting fails open.
  process.on('uncaughtException', (error) => {
    metrics.uncaughtException();
    const held = throttle.admit('exception', Date.now());
    if (held !== undefined) log.error(`uncaught exception outside any handler, server kept running${held > 0 ? ` (${held} more since the last such line)` : ''}: ${describeError(error)}`);
  });

  try {
    await listener.listen();
  } catch (e) {
    log.error(`cannot listen on ${socketPath}: ${describeError(e)}`);
    return 1;
  }
  const endpoint = options.metrics && new MetricsEndpoint({ bind: options.metrics, registry: metricsRegistry(), log });
  await endpoint?.start();
  const sweeper = setInterval(() => {
    instances.sweep();
    events.sweep();
  }, options.sweepIntervalMs);
  sweeper.unref();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      // first thing: a successor started by Kong may want the port
      void endpoint?.close();
      if (stopping) {
        log.warn(`${signal} again: exiting without waiting`);
        void listener.closeAll(0).finally(() => resolve(1));
        return;
      }
      stopping = true;
      clearInterval(sweeper);
      shutdown({ listener, events, log, timeoutMs: options.shutdownTimeoutMs }, signal).then(resolve, (e: unknown) => {
        log.error(`shutdown failed: ${describeError(e)}`);
        void listener.closeAll(0).finally(() => resolve(1));
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`kong-plugin-server: ${describeError(e)}\n`);
      process.exit(1);
    },
  );
}
