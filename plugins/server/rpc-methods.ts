/**
 * The `plugin.*` RPC methods Kong calls, with kong-pdk 0.6.0's answers and error texts
 * (server.js, listener.js) — Kong matches some of them ("no plugin instance") — except for an
 * RPC Kong never sends, whose error names the methods served. Only these
 * methods are callable: kong-pdk dispatches to any property of its Server object.
 * Not served: SetPluginDir (Kong 3.x never calls it; it would load code from any directory).
 */
import { PluginServerError, errorText, noPluginInstance } from './errors';
import { type Conn, type EventTable } from './events';
import type { InstanceTable } from './instances';
import type { Logger } from './logger';
import { pluginInfo, type LoadedPlugin, type PluginInfo } from './plugin-loader';

type PlainMethod = (server: PluginServer, params: unknown[]) => unknown;

const STEP_METHODS = new Set(['Step', 'StepMultiMap', 'StepService', 'StepConsumer', 'StepRoute', 'StepPlugin', 'StepCredential', 'StepMemoryStats']);

const PLAIN_METHODS: Record<string, PlainMethod> = {
  GetStatus: (s) => s.getStatus(),
  GetPluginInfo: (s, [name]) => s.getPluginInfo(name),
  StartInstance: (s, [cfg]) => s.startInstance(cfg),
  InstanceStatus: (s, [id]) => s.instanceStatus(id),
  CloseInstance: (s, [id]) => s.closeInstance(id),
};

/** Every plugin.* method answered, for the error an unknown one gets. */
const SERVED_METHODS = ['HandleEvent', 'StepError', ...STEP_METHODS, ...Object.keys(PLAIN_METHODS)].map((m) => `plugin.${m}`).join(', ');

export class PluginServer {
  constructor(
    readonly plugins: Map<string, LoadedPlugin>,
    readonly instances: InstanceTable,
    readonly events: EventTable,
    private readonly log: Logger,
  ) {}

  /** Runs one request `[0, msgid, method, params]`; the answer goes to `conn` now or later (events). */
  dispatch(method: unknown, params: unknown, conn: Conn, msgid: number): void {
    try {
      // the two messages of every event first, without splitting the method name
      if (method === 'plugin.HandleEvent') return this.handleEvent(Array.isArray(params) ? params[0] : undefined, conn, msgid);
      if (method === 'plugin.Step') return this.step(Array.isArray(params) ? params[0] : undefined, false, conn, msgid);
      if (typeof method !== 'string') throw new PluginServerError('invalid request: the method is not a string');
      const [ns, cmd] = method.split('.');
      if (ns !== 'plugin') throw new PluginServerError(`RPC for ${ns} is not supported`);
      const args = Array.isArray(params) ? params : [];
      if (cmd === 'HandleEvent') return this.handleEvent(args[0], conn, msgid);
      if (STEP_METHODS.has(cmd)) return this.step(args[0], false, conn, msgid);
      if (cmd === 'StepError') return this.step(args[0], true, conn, msgid);
      const plain = Object.hasOwn(PLAIN_METHODS, cmd) ? PLAIN_METHODS[cmd] : undefined;
      if (plain === undefined) {
        // An RPC Kong never sends (kong-pdk only says the method is missing): name what is served.
        const err = `unknown RPC method plugin.${cmd}; this server answers ${SERVED_METHODS}`;
        this.log.error(`rpc: #${msgid} ${err}`);
        throw new PluginServerError(err);
      }
      conn.send(msgid, null, plain(this, args));
    } catch (e) {
      this.log.trace(() => `rpc: #${msgid} failed: ${errorText(e)}`);
      conn.send(msgid, errorText(e), null);
    }
  }

  private handleEvent(event: unknown, conn: Conn, msgid: number): void {
    const { InstanceId: id, EventName: phase } = (event ?? {}) as { InstanceId?: unknown; EventName?: unknown };
    const instance = this.instances.get(id);
    if (instance === undefined) throw noPluginInstance(id);
    this.instances.touch(instance);
    this.events.start(instance, String(phase), conn, msgid);
  }

  private step(payload: unknown, isError: boolean, conn: Conn, msgid: number): void {
    const { EventId: id, Data: data } = (payload ?? {}) as { EventId?: unknown; Data?: unknown };
    this.events.step(id, data, isError, conn, msgid);
  }

  getStatus(): unknown {
    const plugins: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [name, plugin] of this.plugins) {
      const instances = [];
      for (const instance of this.instances.values()) if (instance.plugin === plugin) instances.push(instance.status());
      plugins[name] = {
        Name: name,
        Modtime: plugin.mtime,
        LoadTime: plugin.loadTime,
        Instances: instances,
        LastStartInstance: plugin.lastStartInstance,
        LastCloseInstance: plugin.lastCloseInstance,
      };
    }
    const s = this.events.stats;
    return {
      Pid: process.pid,
      Plugins: plugins,
      // not in kong-pdk's answer: what this server holds, to prove nothing is left behind
      Events: {
        InFlight: this.events.size,
        AwaitingKong: this.events.awaitingKong,
        Started: s.started,
        Ended: { Ret: s.ret, Exit: s.exit, Error: s.error, Exception: s.exception, Dropped: s.dropped },
        Refused: s.refused,
      },
      InstanceCount: this.instances.size,
    };
  }

  getPluginInfo(name: unknown): PluginInfo {
    const plugin = typeof name === 'string' ? this.plugins.get(name) : undefined;
    // kong-pdk's text, typo included
    if (!name || plugin === undefined) throw new PluginServerError(`${String(name)} not initizlied`);
    return pluginInfo(plugin);
  }

  startInstance(cfg: unknown): unknown {
    const { Name: name, Config: configJson } = (cfg ?? {}) as { Name?: unknown; Config?: unknown };
    const plugin = typeof name === 'string' ? this.plugins.get(name) : undefined;
    if (plugin === undefined) throw new PluginServerError(`${String(name)} not initizlied`);
    const config: unknown = JSON.parse(configJson as string);
    const instance = this.instances.start(plugin, config);
    this.log.info(`instance #${instance.id} of ${plugin.name} started`);
    return { Name: plugin.name, Id: instance.id, Config: config, StartTime: Date.now() / 1000 };
  }

  instanceStatus(id: unknown): unknown {
    const instance = this.instances.get(id);
    if (instance === undefined) throw noPluginInstance(id);
    return instance.status();
  }

  closeInstance(id: unknown): unknown {
    const instance = this.instances.close(id);
    if (instance === undefined) throw noPluginInstance(id);
    this.log.debug(`instance #${instance.id} of ${instance.plugin.name} closed`);
    return { Name: instance.plugin.name, Id: instance.id, Config: instance.config };
  }
}
