/**
 * Kong's side of external plugins: registration from the query command (process.lua; Kong >= 3.9
 * keeps only the first plugin of each server), instance management (plugin_servers/plugin.lua
 * get_instance_id: one instance per plugin id and `__seq__`, CloseInstance of the replaced one,
 * reset of every instance of the plugin on "no plugin instance" and retry), and the event loop
 * (rpc/mp_rpc.lua bridge_loop / handle_event): HandleEvent, then one typed Step per PDK call
 * until the server answers "ret". An exit/error from the plugin ends the loop without a Step
 * (the plugin's coroutine is never resumed). RPC failures are logged and the request goes on
 * without the plugin; a failure to start an instance is a Lua error (a 500 in access).
 */
import { MsgpackRpcClient, type WireRecord } from './rpc-client';
import { cjsonEncode } from './lua-values';
import { PDK_METHODS } from './pdk-methods';
import { LuaError, UnmodelledError, type ExitSignal, type KongLogLine, type PdkCallContext } from './pdk-context';
import { stepMethodFor, wireResult } from './step';
import type { PluginInfo } from './plugin-server-process';
import type { KongVersion } from './kong-version';
import type { Phase } from './request-state';

export interface PluginServerBinding {
  /** The `pluginserver_names` entry. */
  name: string;
  /** `pluginserver_<name>_socket`. */
  socketPath: string;
  /** What `pluginserver_<name>_query_cmd` printed. */
  plugins: PluginInfo[];
}

export interface ExternalPluginDef {
  kind: 'external';
  name: string;
  priority: number;
  version?: string;
  phases: string[];
  /** The fields of the plugin's `config` record (Kong's schema format). */
  configFields: Array<Record<string, Record<string, unknown>>>;
  server: string;
}

export type ViolationKind = 'unknown-method' | 'unmodelled' | 'lua-error' | 'retry-storm';

export interface Violation {
  kind: ViolationKind;
  message: string;
  plugin?: string;
  phase?: Phase;
  method?: string;
}

export interface PdkCallRecord {
  method: string;
  args: unknown[];
  phase: Phase;
  /** The Step method Kong answered with; undefined when no Step was sent (exit, Lua error). */
  step?: string;
  /** Whether the Step carried `Data`, and its value as sent. */
  hasData: boolean;
  data?: unknown;
  outcome: 'answered' | 'exit' | 'lua-error' | 'unknown-method' | 'unmodelled';
  error?: string;
}

export interface EventRecord {
  plugin: string;
  pluginId: string;
  phase: Phase;
  instanceId?: number;
  eventId?: number;
  calls: PdkCallRecord[];
  /** RPC round trips: StartInstance/CloseInstance, HandleEvent and every Step. */
  roundTrips: number;
  outcome: 'ret' | 'exit' | 'rpc-error' | 'lua-error';
  error?: string;
  exit?: ExitSignal;
}

/** The conf table Kong hands the plugin (plugins_iterator): config plus scope ids and keys. */
export type PluginConf = Record<string, unknown> & { __seq__: number; __plugin_id: string; __key__: string };

interface RunningInstance {
  id?: number;
  seq: number;
  conf: PluginConf;
  pluginName: string;
  starting?: Promise<void>;
}

/** Where one request's Kong log lines and violations go (requests may run concurrently). */
export interface EventSink {
  log(line: KongLogLine): void;
  violation(v: Violation): void;
}

export interface ExternalPluginsOptions {
  version: KongVersion;
  rpcTimeoutMs?: number;
  /** Kong's log at registration time (duplicate plugin names). */
  log: (line: KongLogLine) => void;
  onWire?: (server: string, record: WireRecord) => void;
  /** Bound on Kong's unbounded "no plugin instance" retry recursion. */
  maxInstanceRetries?: number;
}

export class ExternalPlugins {
  readonly defs = new Map<string, ExternalPluginDef>();
  private readonly rpcs = new Map<string, MsgpackRpcClient>();
  private readonly running = new Map<string, RunningInstance>();
  private readonly serverPids = new Map<string, number>();

  constructor(
    bindings: PluginServerBinding[],
    private readonly options: ExternalPluginsOptions,
  ) {
    for (const b of bindings) {
      const infos = options.version.atLeast(3, 9) ? b.plugins.slice(0, 1) : b.plugins;
      for (const info of infos) {
        if (this.defs.has(info.Name)) {
          options.log({ level: 'err', message: `Duplicate plugin name [${info.Name}] by ${this.defs.get(info.Name)?.server} and ${b.name}` });
          continue;
        }
        const config = info.Schema.fields.find((f) => 'config' in f)?.config as { fields?: ExternalPluginDef['configFields'] } | undefined;
        this.defs.set(info.Name, {
          kind: 'external',
          name: info.Name,
          priority: info.Priority ?? 0,
          version: info.Version,
          phases: info.Phases ?? [],
          configFields: config?.fields ?? [],
          server: b.name,
        });
      }
      this.rpcs.set(
        b.name,
        new MsgpackRpcClient(b.socketPath, {
          timeoutMs: options.rpcTimeoutMs,
          onWire: options.onWire ? (r) => options.onWire?.(b.name, r) : undefined,
          onNotification: (label, args) => this.notification(b.name, label, args),
        }),
      );
    }
  }

  /** RPC calls made to every server so far. */
  get rpcCalls(): number {
    let n = 0;
    for (const r of this.rpcs.values()) n += r.calls;
    return n;
  }

  rpcFor(def: ExternalPluginDef): MsgpackRpcClient {
    return this.rpcs.get(def.server) as MsgpackRpcClient;
  }

  /** rpc_notifications:serverPid — a new pid invalidates every instance of that server. */
  private notification(server: string, label: unknown, args: unknown): void {
    if (label !== 'serverPid') return;
    const pid = Number(args);
    const prev = this.serverPids.get(server);
    if (prev !== undefined && prev !== pid) {
      for (const [key, inst] of this.running) if (this.defs.get(inst.pluginName)?.server === server) this.running.delete(key);
    }
    this.serverPids.set(server, pid);
  }

  /** reset_instances_for_plugin. */
  resetInstances(pluginName: string): void {
    for (const [key, inst] of this.running) if (inst.pluginName === pluginName) this.running.delete(key);
  }

  /** Instance ids Kong currently caches, by plugin id. */
  cachedInstances(): Map<string, number | undefined> {
    return new Map([...this.running].map(([k, v]) => [k, v.id]));
  }

  /** get_instance_id: throws LuaError when StartInstance fails (`error(err)` in Kong). */
  private async instanceId(def: ExternalPluginDef, conf: PluginConf, ev: EventRecord, sink: EventSink): Promise<number> {
    const key = conf.__plugin_id;
    let info = this.running.get(key);
    while (info?.starting) {
      await info.starting;
      info = this.running.get(key);
    }
    if (info && info.id !== undefined && info.seq === conf.__seq__ && info.conf.__plugin_id === key) return info.id;
    const oldId = info?.id;
    if (!info) {
      info = { seq: conf.__seq__, conf, pluginName: def.name };
      this.running.set(key, info);
    } else {
      info.id = undefined;
    }
    const rpc = this.rpcFor(def);
    let done!: () => void;
    info.starting = new Promise<void>((r) => (done = r));
    const res = await rpc.call('plugin.StartInstance', { Name: def.name, Config: configJson(conf) });
    ev.roundTrips++;
    info.starting = undefined;
    done();
    if (!res.ok) {
      if (res.stage === 'connect') sink.log({ level: 'err', message: `trying to connect: ${res.error}` });
      sink.log({ level: 'err', message: `starting instance: ${res.error}` });
      this.running.delete(key);
      throw new LuaError(res.error);
    }
    const status = res.result as { Id: number };
    info.id = status.Id;
    info.conf = conf;
    info.seq = conf.__seq__;
    if (oldId !== undefined) {
      await rpc.call('plugin.CloseInstance', oldId);
      ev.roundTrips++;
    }
    return info.id;
  }

  /**
   * Rpc:handle_event for one phase of one plugin. Resolves with the event record; rejects with
   * LuaError where Kong raises (instance start failure, PDK argument/phase errors).
   */
  async handleEvent(def: ExternalPluginDef, conf: PluginConf, phase: Phase, k: PdkCallContext, events: EventRecord[], sink: EventSink): Promise<EventRecord> {
    for (let attempt = 0; ; attempt++) {
      const ev: EventRecord = { plugin: def.name, pluginId: conf.__plugin_id, phase, calls: [], roundTrips: 0, outcome: 'ret' };
      events.push(ev);
      try {
        ev.instanceId = await this.instanceId(def, conf, ev, sink);
        await this.bridgeLoop(def, ev, k, sink);
      } catch (e) {
        ev.outcome = 'lua-error';
        ev.error = e instanceof Error ? e.message : String(e);
        throw e;
      }
      if (ev.outcome !== 'rpc-error') return ev;
      const err = ev.error ?? '';
      if (!err.toLowerCase().includes('no plugin instance')) {
        sink.log({ level: 'err', message: err });
        return ev;
      }
      this.resetInstances(def.name);
      sink.log({ level: 'warn', message: err });
      if (attempt >= (this.options.maxInstanceRetries ?? 5)) {
        sink.violation({ kind: 'retry-storm', plugin: def.name, phase, message: `"no plugin instance" ${attempt + 1} times in a row; Kong itself retries without bound (Kong/kong#12364)` });
        return ev;
      }
    }
  }

  private async bridgeLoop(def: ExternalPluginDef, ev: EventRecord, k: PdkCallContext, sink: EventSink): Promise<void> {
    const rpc = this.rpcFor(def);
    let res = await rpc.call('plugin.HandleEvent', { InstanceId: ev.instanceId, EventName: ev.phase });
    ev.roundTrips++;
    if (!res.ok) {
      if (res.stage === 'connect') sink.log({ level: 'err', message: `trying to connect: ${res.error}` });
      ev.outcome = 'rpc-error';
      ev.error = res.error;
      return;
    }
    let stepIn = res.result as { EventId: number; Data: unknown };
    ev.eventId = stepIn.EventId;
    for (;;) {
      if (stepIn.Data === 'ret') return;
      const { Method: method, Args: rawArgs } = (stepIn.Data ?? {}) as { Method: string; Args?: unknown[] };
      const args = Array.isArray(rawArgs) ? rawArgs : rawArgs === undefined ? [] : [rawArgs];
      const call: PdkCallRecord = { method, args, phase: ev.phase, hasData: false, outcome: 'answered' };
      ev.calls.push(call);
      let value: unknown;
      const spec = PDK_METHODS[method];
      if (!spec) {
        // Kong: kong.log.err("could not find pdk method: ", cmd) and a Step without Data
        sink.log({ level: 'err', message: `could not find pdk method: ${method}` });
        call.outcome = 'unknown-method';
        sink.violation({ kind: 'unknown-method', plugin: def.name, phase: ev.phase, method, message: `unknown PDK method ${method} (real Kong answers nil and logs "could not find pdk method")` });
      } else {
        try {
          value = spec.impl(k, args);
        } catch (e) {
          if (e instanceof UnmodelledError) {
            call.outcome = 'unmodelled';
            call.error = e.message;
            sink.violation({ kind: 'unmodelled', plugin: def.name, phase: ev.phase, method, message: e.message });
          } else {
            call.outcome = 'lua-error';
            call.error = e instanceof Error ? e.message : String(e);
            throw e;
          }
        }
      }
      if (value !== null && typeof value === 'object' && (value as ExitSignal).kind === 'exit') {
        call.outcome = 'exit';
        ev.outcome = 'exit';
        ev.exit = value as ExitSignal;
        return;
      }
      let wire: unknown;
      try {
        wire = wireResult(method, value);
      } catch (e) {
        call.outcome = 'lua-error';
        call.error = e instanceof Error ? e.message : String(e);
        throw e;
      }
      call.step = stepMethodFor(method, value);
      call.hasData = wire !== undefined;
      call.data = wire;
      const payload: Record<string, unknown> = { EventId: ev.eventId };
      if (wire !== undefined) payload.Data = wire;
      res = await rpc.call(call.step, payload);
      ev.roundTrips++;
      if (!res.ok) {
        if (res.stage === 'connect') sink.log({ level: 'err', message: `trying to connect: ${res.error}` });
        ev.outcome = 'rpc-error';
        ev.error = res.error;
        return;
      }
      stepIn = res.result as { EventId: number; Data: unknown };
    }
  }

  close(): void {
    for (const r of this.rpcs.values()) r.close();
  }
}

/** cjson.encode(conf) as Rpc:call_start_instance sends it (config arrays came from the DB with array_mt). */
export function configJson(conf: PluginConf): string {
  return cjsonEncode(conf, { arraysKeepMetatable: true });
}

/** Kong's schema defaults for a plugin's config: missing fields get their default, or null. */
export function withSchemaDefaults(fields: ExternalPluginDef['configFields'], given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...given };
  for (const field of fields) {
    for (const [name, def] of Object.entries(field)) {
      const v = given[name];
      if (def.type === 'record' && Array.isArray(def.fields)) {
        const sub = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : v === undefined ? {} : undefined;
        out[name] = sub === undefined ? v : withSchemaDefaults(def.fields as ExternalPluginDef['configFields'], sub);
      } else if (v === undefined) {
        out[name] = def.default !== undefined ? structuredClone(def.default) : null;
      }
    }
  }
  return out;
}
