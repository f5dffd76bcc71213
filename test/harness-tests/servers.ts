/** Starting real kong-js-pluginserver processes for the test-only plugins. */
import path from 'node:path';
import { PluginServerProcess, dumpAllPlugins, type PluginServerBinding } from '../harness';
import { FIXTURES } from './helpers';

export interface ServedPlugin {
  server: PluginServerProcess;
  binding: PluginServerBinding;
}

/** One plugin server per plugin, as Kong >= 3.9 needs (test/fixtures/plugins/<name>/). */
export async function servePlugin(name: string, directory = path.join(FIXTURES, 'plugins', name)): Promise<ServedPlugin> {
  const server = PluginServerProcess.kongJs({ pluginsDirectory: directory, sockName: `${name}.sock` });
  await server.start();
  return { server, binding: { name, socketPath: server.socketPath, plugins: await dumpAllPlugins(directory) } };
}

export async function stopAll(served: Array<ServedPlugin | undefined>): Promise<void> {
  await Promise.all(served.map((s) => s?.server.stop()));
}
