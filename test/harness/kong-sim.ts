/**
 * KongSim plays Kong 3.x for JS plugins served by a real plugin server. One request goes
 * through Kong's runloop (kong/init.lua + kong/runloop/handler.lua):
 *
 * 1. rewrite: global plugins only (execute_global_plugins_iterator);
 * 2. router (access.before): prefix paths, methods, hosts; upstream URI per
 *    kong/router/utils.lua get_upstream_uri_v0; no match -> 404 "no Route matched with those values";
 * 3. access: every plugin in priority order (highest first, equal priorities by name descending:
 *    sort_by_handler_priority), the configuration picked per plugin by Kong's combos precedence
 *    (route+service+consumer ... global) with the consumer known at that moment
 *    (execute_collecting_plugins_iterator). `ctx.delay_response`: an exit stores the response,
 *    skips the remaining access handlers (they are still collected for later phases), and is
 *    flushed afterwards; a Lua error gives 500 {"message":"An unexpected error occurred"};
 * 4. proxy to the Service; buffered (Kong.response) when a collected plugin has a `response`
 *    handler or called enable_buffering, then the response phase in priority order;
 * 5. header_filter: Via / X-Kong-*-Latency / Server / X-Kong-Request-Id (>= 3.5);
 * 6. the response is delivered, then every collected plugin's log handler runs with the data
 *    plugin_servers/plugin.lua saves (in sequence here; Kong runs one timer per plugin).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ExternalPlugins, withSchemaDefaults, type EventRecord, type EventSink, type ExternalPluginDef, type PdkCallRecord, type PluginConf, type PluginServerBinding, type Violation, type ViolationKind } from './external-plugins';
import { DEFAULT_WS_ID, withoutNulls, type KongConsumer, type KongCredential, type KongPluginEntity, type KongRoute, type KongService } from './entities';
import { HeaderList } from './headers';
import { KongVersion, DEFAULT_KONG_VERSION } from './kong-version';
import { keyAuthPlugin, nativePdk, NativeExit, type NativePlugin } from './native-plugins';
import { postFunctionPlugin } from './post-function';
import { LuaError, type KongLogLine, type PdkCallContext, type PdkEnv } from './pdk-context';
import { applyExit, ngxCtxView } from './pdk-methods';
import { RequestState, type Phase, type SavedLogData, type SimRequest } from './request-state';
import { serialize } from './serialize';
import { HOP_BY_HOP, UpstreamError, httpUpstream, type UpstreamRequest, type UpstreamResponse, type UpstreamTransport } from './upstream';
import { upstreamUriV0 } from './uri';
import { isTrustedIp } from './realip';
import { defaultErrorMessage, getResponseType, renderErrorTemplate } from './error-templates';
import { HarnessError } from './plugin-server-process';
import type { WireRecord } from './rpc-client';

export interface PluginInit {
  name: string;
  config?: Record<string, unknown>;
  id?: string;
  /** Scope, by entity id. */
  route?: string | null;
  service?: string | null;
  consumer?: string | null;
  enabled?: boolean;
  /** The `__seq__` Kong's plugins iterator assigns; an increasing counter by default. */
  seq?: number;
}

export interface KongSimOptions {
  servers?: PluginServerBinding[];
  /** Lua plugins simulated in TS; key-auth and post-function (kong-ctl's guard only) are always available. */
  nativePlugins?: NativePlugin[];
  services?: KongService[];
  routes?: KongRoute[];
  consumers?: KongConsumer[];
  credentials?: KongCredential[];
  plugins?: PluginInit[];
  kongVersion?: string;
  /**
   * true (default): a request whose plugins made an unknown/unmodelled PDK call or hit a Lua error
   * rejects. `{ allow }` exempts some kinds (e.g. a test that expects a Lua error's 500).
   */
  strict?: boolean | { allow: ViolationKind[] };
  nodeId?: string;
  /** The default workspace's id (ws_id of entities, last segment of `__key__`). */
  workspaceId?: string;
  /** nginx client_body_buffer_size (Kong default 8k): larger bodies are buffered to a file. */
  clientBodyBufferSize?: number;
  /** kong.conf trusted_ips: addresses and CIDR blocks (nginx set_real_ip_from, kong.ip.is_trusted). */
  trustedIps?: string[];
  /** kong.conf real_ip_header (X-Real-IP by default) and real_ip_recursive (off by default). */
  realIpHeader?: string;
  realIpRecursive?: boolean;
  upstream?: UpstreamTransport;
  rpcTimeoutMs?: number;
  maxInstanceRetries?: number;
  onWire?: (server: string, record: WireRecord) => void;
}

export interface SimResponse {
  status: number;
  headers: HeaderList;
  body: Buffer;
  source: 'exit' | 'service' | 'error';
}

export interface SimResult extends SimResponse {
  /** Every plugin event of the request (retries included), in order. */
  events: EventRecord[];
  /** Every PDK call, in order. */
  calls: PdkCallRecord[];
  /** RPC round trips to plugin servers for this request. */
  roundTrips: number;
  upstreamRequest?: UpstreamRequest;
  upstreamResponse?: UpstreamResponse;
  kongLog: KongLogLine[];
  violations: Violation[];
  state: RequestState;
  text(): string;
  json(): unknown;
}

interface Plugin {
  name: string;
  priority: number;
  phases: Set<string>;
  external?: ExternalPluginDef;
  native?: NativePlugin;
}

interface StoredPlugin extends KongPluginEntity {
  seq: number;
}

interface RunContext {
  events: EventRecord[];
  sink: EventSink;
  env: PdkEnv;
}

interface Collected {
  plugin: Plugin;
  entity: StoredPlugin;
}

type PhaseOutcome = 'ok' | 'exit' | 'lua-error';

const KONG_ERROR_500 = { message: 'An unexpected error occurred' };
/** Combo precedence by (route, service, consumer) bits: 0 is the most specific. */
const COMBO_RANK: Record<number, number> = { 0b111: 0, 0b101: 1, 0b011: 2, 0b110: 3, 0b001: 4, 0b100: 5, 0b010: 6, 0b000: 7 };
const MAX_SIM_LOG_LINES = 10_000;

export class KongSim {
  readonly version: KongVersion;
  readonly nodeId: string;
  readonly external: ExternalPlugins;
  readonly services = new Map<string, KongService>();
  readonly routes = new Map<string, KongRoute>();
  readonly consumers = new Map<string, KongConsumer>();
  readonly credentials = new Map<string, KongCredential>();
  readonly plugins = new Map<string, StoredPlugin>();
  /** Every violation seen so far. */
  readonly violations: Violation[] = [];
  /** Kong's error log (RPC errors, "could not find pdk method", kong.log.* from plugins): the latest 10 000 lines. */
  readonly kongLog: KongLogLine[] = [];
  private readonly available = new Map<string, Plugin>();
  private seq = 0;
  private readonly upstream: UpstreamTransport;
  private readonly strictAllow: Set<ViolationKind> | undefined;
  private readonly env: PdkEnv;
  private pluginsVersion = 0;
  private byName: { version: number; size: number; map: Map<string, StoredPlugin[]> } | undefined;
  private sortedPlugins: { size: number; list: Plugin[] } | undefined;
  private readonly confs = new WeakMap<StoredPlugin, { config: Record<string, unknown>; seq: number; conf: PluginConf }>();

  constructor(private readonly options: KongSimOptions = {}) {
    this.version = new KongVersion(options.kongVersion ?? DEFAULT_KONG_VERSION);
    this.nodeId = options.nodeId ?? randomUUID();
    this.upstream = options.upstream ?? httpUpstream;
    const strict = options.strict ?? true;
    this.strictAllow = strict === false ? undefined : new Set(strict === true ? [] : strict.allow);
    this.external = new ExternalPlugins(options.servers ?? [], {
      version: this.version,
      rpcTimeoutMs: options.rpcTimeoutMs,
      maxInstanceRetries: options.maxInstanceRetries,
      onWire: options.onWire,
      log: (l) => this.keepLog(l),
    });
    for (const def of this.external.defs.values()) {
      this.available.set(def.name, { name: def.name, priority: def.priority, phases: new Set(def.phases), external: def });
    }
    const natives = [
      keyAuthPlugin((key) => [...this.credentials.values()].find((c) => c.key === key)),
      postFunctionPlugin(),
      ...(options.nativePlugins ?? []),
    ];
    for (const n of natives) {
      if (this.available.has(n.name)) continue;
      const phases = new Set((['rewrite', 'access', 'response', 'log'] as const).filter((p) => n[p]));
      this.available.set(n.name, { name: n.name, priority: n.priority, phases, native: n });
    }
    this.env = {
      version: this.version,
      nodeId: this.nodeId,
      hostname: os.hostname(),
      clientBodyBufferSize: options.clientBodyBufferSize ?? 8192,
      trustedIps: options.trustedIps ?? [],
      realIpHeader: options.realIpHeader,
      realIpRecursive: options.realIpRecursive,
      findConsumer: (value, byId, byUsername) =>
        (byId ? this.consumers.get(value) : undefined) ??
        (byUsername ? [...this.consumers.values()].find((c) => c.username === value) : undefined),
      log: (l) => this.keepLog(l),
      serialize: (s) => serialize(s, { responseHeaders: this.responseHeadersView(s), clientIp: s.realIp(this.env), version: this.version }),
      responseHeadersView: (s) => this.responseHeadersView(s),
    };
    for (const s of options.services ?? []) this.addService(s);
    for (const r of options.routes ?? []) this.addRoute(r);
    for (const c of options.consumers ?? []) this.addConsumer(c);
    for (const c of options.credentials ?? []) this.addCredential(c);
    for (const p of options.plugins ?? []) this.addPlugin(p);
  }

  /** The sim-wide log keeps the latest lines only, so long benchmark runs stay flat in memory. */
  private keepLog(line: KongLogLine): void {
    this.kongLog.push(line);
    if (this.kongLog.length > MAX_SIM_LOG_LINES) this.kongLog.splice(0, this.kongLog.length - MAX_SIM_LOG_LINES);
  }

  /** Log lines and violations of one request, also kept sim-wide; requests may run concurrently. */
  private sinkFor(kongLog: KongLogLine[], violations: Violation[]): EventSink {
    return {
      log: (l) => {
        this.keepLog(l);
        kongLog.push(l);
      },
      violation: (v) => {
        this.violations.push(v);
        violations.push(v);
      },
    };
  }

  addService(s: KongService): KongService {
    this.services.set(s.id, s);
    return s;
  }

  addRoute(r: KongRoute): KongRoute {
    this.routes.set(r.id, r);
    return r;
  }

  addConsumer(c: KongConsumer): KongConsumer {
    this.consumers.set(c.id, c);
    return c;
  }

  addCredential(c: KongCredential): KongCredential {
    this.credentials.set(c.id, c);
    return c;
  }

  addPlugin(init: PluginInit): KongPluginEntity {
    if (!this.available.has(init.name)) {
      throw new HarnessError('E_HARNESS_CONFIG', `plugin "${init.name}" is enabled but not installed (known: ${[...this.available.keys()].join(', ')})`);
    }
    const entity: StoredPlugin = {
      id: init.id ?? randomUUID(),
      name: init.name,
      config: init.config ?? {},
      route: init.route ? { id: init.route } : null,
      service: init.service ? { id: init.service } : null,
      consumer: init.consumer ? { id: init.consumer } : null,
      enabled: init.enabled ?? true,
      protocols: ['grpc', 'grpcs', 'http', 'https'],
      created_at: Math.floor(Date.now() / 1000),
      ws_id: this.options.workspaceId ?? DEFAULT_WS_ID,
      seq: init.seq ?? this.seq++,
    };
    this.plugins.set(entity.id, entity);
    this.pluginsVersion++;
    return entity;
  }

  /** A PATCH of the plugin: new config, new `__seq__` (Kong starts a new instance and closes the old one). */
  updatePlugin(id: string, config: Record<string, unknown>): void {
    const p = this.plugins.get(id);
    if (!p) throw new HarnessError('E_HARNESS_CONFIG', `no plugin ${id}`);
    p.config = config;
    p.seq = Math.max(this.seq, p.seq + 1);
    this.seq = p.seq + 1;
  }

  /** Runs a request; in strict mode, rejects when a plugin misused the PDK (the result is on the error). */
  async request(req: SimRequest, hooks?: { onResponse?: (res: SimResponse) => void | Promise<void> }): Promise<SimResult> {
    const result = await this.handle(req, hooks);
    const fatal = this.fatal(result.violations);
    if (fatal.length > 0) {
      const err = new HarnessError('E_PDK_VIOLATION', `plugin PDK violations:\n${fatal.map((v) => `- [${v.kind}] ${v.plugin ?? ''} ${v.phase ?? ''}: ${v.message}`).join('\n')}`);
      Object.assign(err, { result });
      throw err;
    }
    return result;
  }

  /** The violations that make a request fail under the configured strictness. */
  fatal(violations: readonly Violation[]): Violation[] {
    const allow = this.strictAllow;
    if (!allow) return [];
    return violations.filter((v) => !allow.has(v.kind));
  }

  /** Throws if anything so far broke strictness (for e2e tests, at the end). */
  assertNoViolations(): void {
    const fatal = this.fatal(this.violations);
    if (fatal.length > 0) throw new HarnessError('E_PDK_VIOLATION', fatal.map((v) => `[${v.kind}] ${v.plugin ?? ''}: ${v.message}`).join('\n'));
  }

  close(): void {
    this.external.close();
  }

  // ------------------------------------------------------------------ plugins

  /** Every installed plugin with at least one enabled entity, in Kong's execution order. */
  private ordered(): Plugin[] {
    const byName = this.entitiesByName();
    return this.byPriority().filter((p) => byName.get(p.name)?.some((e) => e.enabled));
  }

  /** Installed plugins by sort_by_handler_priority: highest first, equal priorities by name descending. */
  private byPriority(): Plugin[] {
    if (this.sortedPlugins?.size !== this.available.size) {
      const list = [...this.available.values()].sort((a, b) =>
        a.priority === b.priority && a.priority !== 0 ? (a.name > b.name ? -1 : a.name < b.name ? 1 : 0) : b.priority - a.priority,
      );
      this.sortedPlugins = { size: this.available.size, list };
    }
    return this.sortedPlugins.list;
  }

  /** Plugin entities by plugin name, rebuilt when entities are added (`enabled` is read per request: tests flip it). */
  private entitiesByName(): Map<string, StoredPlugin[]> {
    if (this.byName?.version !== this.pluginsVersion || this.byName.size !== this.plugins.size) {
      const map = new Map<string, StoredPlugin[]>();
      for (const p of this.plugins.values()) {
        const list = map.get(p.name);
        if (list) list.push(p);
        else map.set(p.name, [p]);
      }
      this.byName = { version: this.pluginsVersion, size: this.plugins.size, map };
    }
    return this.byName.map;
  }

  /** load_configuration_through_combos: the most specific enabled entity for this request. */
  private configFor(name: string, s: RequestState): StoredPlugin | undefined {
    const r = s.route?.id;
    const sv = s.service?.id;
    const c = (s.consumer as { id?: string } | undefined)?.id;
    // Kong's combos, most specific first: route+service+consumer, route+consumer, service+consumer,
    // route+service, consumer, route, service, global
    let best: StoredPlugin | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const p of this.entitiesByName().get(name) ?? []) {
      if (!p.enabled) continue;
      if ((p.route && p.route.id !== r) || (p.service && p.service.id !== sv) || (p.consumer && p.consumer.id !== c)) continue;
      const rank = COMBO_RANK[(p.route ? 4 : 0) + (p.service ? 2 : 0) + (p.consumer ? 1 : 0)];
      if (rank < bestRank) {
        best = p;
        bestRank = rank;
      }
    }
    return best;
  }

  /**
   * Kong builds a plugin's conf table once per configuration (plugins iterator), not per event;
   * cached by the entity's config object and `__seq__`, so updatePlugin starts afresh.
   */
  private confFor(plugin: Plugin, entity: StoredPlugin): PluginConf {
    const hit = this.confs.get(entity);
    if (hit && hit.config === entity.config && hit.seq === entity.seq) return hit.conf;
    const conf = this.buildConf(plugin, entity);
    this.confs.set(entity, { config: entity.config, seq: entity.seq, conf });
    return conf;
  }

  private buildConf(plugin: Plugin, entity: StoredPlugin): PluginConf {
    const base = plugin.external ? withSchemaDefaults(plugin.external.configFields, entity.config) : { ...(plugin.native?.defaults ?? {}), ...entity.config };
    const conf: Record<string, unknown> = { ...base };
    if (entity.route) conf.route_id = entity.route.id;
    if (entity.service) conf.service_id = entity.service.id;
    if (entity.consumer) conf.consumer_id = entity.consumer.id;
    conf.__key__ = `plugins:${entity.name}:${entity.route?.id ?? ''}:${entity.service?.id ?? ''}:${entity.consumer?.id ?? ''}::${entity.ws_id}`;
    conf.__seq__ = entity.seq;
    conf.__plugin_id = entity.id;
    return conf as PluginConf;
  }

  private async runPhase(s: RequestState, run: RunContext, c: Collected, phase: Phase, saved?: SavedLogData): Promise<PhaseOutcome> {
    s.pluginId = c.entity.id;
    const k: PdkCallContext = { phase, state: s, saved, env: run.env, plugin: { id: c.entity.id, name: c.plugin.name } };
    const conf = this.confFor(c.plugin, c.entity);
    try {
      if (c.plugin.external) {
        const ev = await this.external.handleEvent(c.plugin.external, conf, phase, k, run.events, run.sink);
        return ev.outcome === 'exit' ? 'exit' : 'ok';
      }
      const handler = c.plugin.native?.[phase as 'rewrite' | 'access' | 'response' | 'log'];
      if (handler) await handler(nativePdk(k), conf);
      return 'ok';
    } catch (e) {
      if (e instanceof NativeExit) return 'exit';
      if (!(e instanceof LuaError)) throw e;
      run.sink.log({ level: 'err', message: `${c.plugin.name} ${phase}: ${e.message}` });
      run.sink.violation({ kind: 'lua-error', plugin: c.plugin.name, phase, message: e.message });
      return 'lua-error';
    }
  }

  // ------------------------------------------------------------------ runloop

  /** Runs a request and reports everything; never rejects for plugin behaviour. */
  async handle(req: SimRequest, hooks?: { onResponse?: (res: SimResponse) => void | Promise<void> }): Promise<SimResult> {
    const s = new RequestState(req);
    s.realIp(this.env); // nginx's realip module, before any plugin runs
    const kongLog: KongLogLine[] = [];
    const violations: Violation[] = [];
    const sink = this.sinkFor(kongLog, violations);
    const run: RunContext = { events: [], sink, env: { ...this.env, log: sink.log } };
    const ordered = this.ordered();

    // plugins that run in log when access never ran (exit in rewrite, no route): the global ones
    let collected = await this.rewritePhase(s, run, ordered);
    let proxy: { request?: UpstreamRequest; response?: UpstreamResponse } = {};
    if (!s.exited && !s.unexpected && this.route(s)) {
      collected = await this.accessPhase(s, run, ordered);
      if (!s.exited && !s.unexpected) proxy = await this.proxyPhase(s, run, collected);
    }

    s.kongDoneAtMs = Date.now();
    s.phase = 'header_filter';
    this.headerFilter(s);
    s.responseSentAtMs = Date.now();
    const source = s.unexpected ? 'error' : s.exited ? 'exit' : s.proxied ? 'service' : 'error';
    const response: SimResponse = { status: s.status, headers: s.responseHeaders.clone(), body: s.responseBody, source };
    await hooks?.onResponse?.(response);

    // log: each plugin's log handler saves the request data, then its timer runs
    s.phase = 'log';
    const logging = collected.filter((c) => c.plugin.phases.has('log'));
    const saves = logging.map((c) => ({ c, saved: c.plugin.external ? this.saveForLater(s, c.plugin.name) : undefined }));
    for (const { c, saved } of saves) await this.runPhase(s, run, c, 'log', saved);

    return {
      ...response,
      events: run.events,
      calls: run.events.flatMap((e) => e.calls),
      roundTrips: run.events.reduce((n, e) => n + e.roundTrips, 0),
      upstreamRequest: proxy.request,
      upstreamResponse: proxy.response,
      kongLog,
      violations,
      state: s,
      text: () => response.body.toString('utf8'),
      json: () => JSON.parse(response.body.toString('utf8')) as unknown,
    };
  }

  /** execute_global_plugins_iterator("rewrite"): no pcall, an exit sends at once. */
  private async rewritePhase(s: RequestState, run: RunContext, ordered: Plugin[]): Promise<Collected[]> {
    s.phase = 'rewrite';
    const globals: Collected[] = [];
    for (const plugin of ordered) {
      const entity = this.entitiesByName().get(plugin.name)?.find((p) => p.enabled && !p.route && !p.service && !p.consumer);
      if (entity) globals.push({ plugin, entity });
    }
    for (const c of globals) {
      if (!c.plugin.phases.has('rewrite')) continue;
      const out = await this.runPhase(s, run, c, 'rewrite');
      if (out === 'exit') break;
      if (out === 'lua-error') {
        this.kongError(s, 500);
        break;
      }
    }
    return globals;
  }

  /** execute_collecting_plugins_iterator("access") with ctx.delay_response, then flush_delayed_response. */
  private async accessPhase(s: RequestState, run: RunContext, ordered: Plugin[]): Promise<Collected[]> {
    s.phase = 'access';
    s.delayResponse = true;
    const collected: Collected[] = [];
    for (const plugin of ordered) {
      const entity = this.configFor(plugin.name, s);
      if (!entity) continue;
      const c = { plugin, entity };
      collected.push(c);
      // plugins_iterator.lua get_next_and_collect: `if phase == "response" and not ctx.buffered_proxying`
      if (plugin.phases.has('response')) s.bufferingRequested = true;
      if (s.delayedResponse || !plugin.phases.has('access')) continue;
      const out = await this.runPhase(s, run, c, 'access');
      if (out === 'lua-error' && !s.delayedResponse) {
        s.delayedResponse = { status: 500, body: KONG_ERROR_500, fromLuaError: true };
        s.unexpected = true;
      }
    }
    s.delayResponse = false;
    if (s.delayedResponse) {
      this.flushDelayedResponse(s, s.delayedResponse, run);
      s.exited = true;
    }
    return collected;
  }

  /**
   * kong/init.lua flush_delayed_response. A plugin's exit set a callback (response.lua) and is
   * sent as the plugin gave it. The table a Lua error left has none: Kong 3.8's init.lua sends
   * it with kong.response.error (the error template the client's Accept picks, request_id
   * included), where 3.1's sent it through kong.response.exit as JSON. The release in between
   * that changed it is not pinned, so the harness switches at 3.8, the oldest it has read.
   */
  private flushDelayedResponse(s: RequestState, dr: NonNullable<RequestState['delayedResponse']>, run: RunContext): void {
    if (dr.fromLuaError && this.version.atLeast(3, 8)) {
      this.kongError(s, dr.status, KONG_ERROR_500.message);
      return;
    }
    applyExit(s, dr, (message) => run.sink.log({ level: 'warn', message }));
  }

  /** proxy_pass, or Kong.response (buffered proxying) followed by the response phase. */
  private async proxyPhase(s: RequestState, run: RunContext, collected: Collected[]): Promise<{ request?: UpstreamRequest; response?: UpstreamResponse }> {
    const u = s.upstream as NonNullable<RequestState['upstream']>;
    const upgrade = s.headers.first('upgrade') ?? '';
    s.buffered = s.bufferingRequested && upgrade === '' && (s.httpVersion < 2 || this.version.atLeast(3, 9));
    if (s.bufferingRequested && !s.buffered) {
      // kong/init.lua Kong.access: the notice, then `ctx.buffered_proxying = nil`
      const why = s.httpVersion >= 2 && !this.version.atLeast(3, 9) ? `incompatible HTTP version (${s.httpVersion})` : `connection upgrade (${upgrade})`;
      run.sink.log({ level: 'notice', message: `response buffering was turned off: ${why}` });
      s.bufferingRequested = false;
    }
    const request = this.upstreamRequest(s);
    s.proxied = true; // Kong.access sets ctx.KONG_PROXIED before the balancer runs
    const t0 = Date.now();
    s.tries.push({ balancerStartMs: t0, ip: u.host, port: u.port, balancerLatencyMs: 0 });
    let response: UpstreamResponse;
    try {
      response = await this.upstream(request);
    } catch (e) {
      if (!(e instanceof UpstreamError)) throw e;
      s.upstreamLatencyMs = Date.now() - t0;
      run.sink.log({ level: 'err', message: `upstream ${e.kind}: ${e.message}` });
      const status = e.kind === 'timeout' ? 504 : 502;
      if (!s.buffered) {
        this.kongError(s, status);
        return { request };
      }
      if (e.kind === 'protocol') {
        // A body cut off after the headers: the capture comes back res.truncated, and
        // Kong.response answers 502 with kong_error_handlers(ctx) itself, skipping the response
        // phase. Kong.handle_error never ran, so KONG_UNEXPECTED stays unset.
        this.kongErrorHandler(s, 502);
        return { request };
      }
      // The failure happened inside the /kong_buffered_http subrequest, whose error_page (server
      // level in nginx_kong.lua) runs Kong.handle_error there, on the ctx it shares with this
      // request: the capture returns Kong's error as an ordinary, untruncated response, and
      // Kong.response carries on with it as the buffered one, response phase included.
      s.unexpected = true;
      this.kongErrorHandler(s, status);
      await this.bufferedResponsePhase(s, run, collected, { status, headers: s.responseHeaders.clone(), body: s.responseBody });
      return { request };
    }
    s.upstreamLatencyMs = Date.now() - t0;
    s.upstreamStatus = String(response.status);
    s.status = response.status;
    for (const [name] of response.headers.all()) {
      if (!HOP_BY_HOP.has(name.toLowerCase())) s.responseHeaders.set(name, response.headers.exactValues(name));
    }
    s.responseBody = response.body;
    if (!s.responseHeaders.has('content-length')) s.responseHeaders.set('Content-Length', String(response.body.length));
    if (!s.buffered) return { request, response };
    await this.bufferedResponsePhase(s, run, collected, response);
    return { request, response };
  }

  /**
   * Kong.response once the capture returned untruncated: ctx.buffered_status, buffered_headers
   * and buffered_body from the subrequest's response, then the plugins' response phase.
   */
  private async bufferedResponsePhase(s: RequestState, run: RunContext, collected: Collected[], res: UpstreamResponse): Promise<void> {
    s.bufferedStatus = res.status;
    s.bufferedHeaders = res.headers.clone();
    s.bufferedBody = res.body;
    s.phase = 'response';
    for (const c of collected) {
      if (!c.plugin.phases.has('response')) continue;
      const out = await this.runPhase(s, run, c, 'response');
      if (out === 'exit') break;
      if (out === 'lua-error') {
        this.kongError(s, 500);
        break;
      }
    }
  }

  /** Kong's own error response (kong/error_handlers.lua): the error template by Accept. */
  private kongError(s: RequestState, status: number, message = defaultErrorMessage(status)): void {
    const contentType = getResponseType(s.headers.values('accept')[0]);
    const body = renderErrorTemplate(contentType, message, s.requestId, this.version) ?? '';
    s.responseHeaders.clear('content-length');
    applyExit(s, { status, body, headers: { 'Content-Type': contentType } });
    if (status >= 500) s.unexpected = true;
  }

  /**
   * kong/error_handlers.lua as it runs under buffered proxying (in the subrequest, or from
   * Kong.response for a truncated capture), on the ctx shared with the main request: it clears
   * ctx.buffered_proxying (so kong.service.response.get_raw_body raises afterwards) and answers
   * with kong.response.exit, which sets KONG_EXITED. KONG_UNEXPECTED is Kong.handle_error's to
   * set, not this function's.
   */
  private kongErrorHandler(s: RequestState, status: number): void {
    const unexpected = s.unexpected;
    this.kongError(s, status);
    s.unexpected = unexpected;
    s.bufferingRequested = false;
    s.exited = true;
  }

  /** access.before: route, service and upstream target; false when Kong answered already. */
  private route(s: RequestState): boolean {
    const rawPath = s.requestUri.split('?')[0];
    let best: { route: KongRoute; prefix: string } | undefined;
    for (const route of this.routes.values()) {
      if (route.methods && !route.methods.includes(s.method)) continue;
      if (route.hosts && !route.hosts.includes(s.host)) continue;
      for (const p of route.paths ?? ['/']) {
        const prefix = p.startsWith('~') ? new RegExp(`^${p.slice(1)}`).exec(rawPath)?.[0] : rawPath.startsWith(p) ? p : undefined;
        if (prefix !== undefined && (!best || prefix.length > best.prefix.length)) best = { route, prefix };
      }
    }
    if (!best) {
      s.exited = true;
      this.kongError(s, 404, 'no Route matched with those values');
      return false;
    }
    s.route = withoutNulls(best.route);
    const service = best.route.service ? this.services.get(best.route.service.id) : undefined;
    if (!service) {
      s.exited = true;
      this.kongError(s, 503, 'no Service found with those values');
      return false;
    }
    s.service = withoutNulls(service);
    const postfix = best.route.strip_path ? rawPath.slice(best.prefix.length) : rawPath;
    if (best.route.strip_path && best.prefix !== '/' && best.prefix.length > 0) s.forwardedPrefix = best.prefix;
    s.upstreamForwarded = this.forwardedHeaders(s);
    const defaultPort = service.protocol === 'https' ? 443 : 80;
    s.upstream = {
      scheme: service.protocol,
      host: service.host,
      port: service.port,
      uri: upstreamUriV0(best.route.strip_path, postfix, rawPath, service.path ?? '/'),
      hostHeader: best.route.preserve_host ? (s.headers.first('host') ?? s.host) : service.port === defaultPort ? service.host : `${service.host}:${service.port}`,
      retries: service.retries,
      timeouts: { connect: service.connect_timeout, write: service.write_timeout, read: service.read_timeout },
    };
    return true;
  }

  /**
   * access.before's X-Forwarded-* values (var.upstream_x_forwarded_*), from the request as it
   * arrived: a trusted peer's X-Forwarded-* headers are kept, anyone else's replaced. From 3.6
   * the runloop reads headers with kong.tools.http get_header(name, ctx), which takes the first
   * line of a repeated header; before, ngx.var (nginx < 1.23 joined only X-Forwarded-For).
   */
  private forwardedHeaders(s: RequestState): NonNullable<RequestState['upstreamForwarded']> {
    const peer = s.remoteAddr;
    const read = (name: string) => (this.version.atLeast(3, 6) ? s.headers.first(name) : s.headers.variable(name, false));
    const xff = read('x-forwarded-for');
    const trusted = isTrustedIp(this.env, peer);
    const path = s.requestUri.split('?')[0];
    return {
      for: xff ? `${xff}, ${peer}` : s.realIp(this.env),
      proto: (trusted && read('x-forwarded-proto')) || s.scheme,
      host: (trusted && read('x-forwarded-host')) || s.host,
      port: (trusted && read('x-forwarded-port')) || String(s.serverPort),
      path: (trusted && read('x-forwarded-path')) || path,
      prefix: (trusted && read('x-forwarded-prefix')) || s.forwardedPrefix,
    };
  }

  /** proxy_pass with Kong's proxy_set_header lines (kong/templates/nginx_kong.lua). */
  private upstreamRequest(s: RequestState): UpstreamRequest {
    const u = s.upstream as NonNullable<RequestState['upstream']>;
    const headers = s.headers.clone();
    const f = s.upstreamForwarded as NonNullable<RequestState['upstreamForwarded']>;
    headers.set('Host', u.hostHeader);
    headers.set('X-Forwarded-For', f.for);
    headers.set('X-Forwarded-Proto', f.proto);
    headers.set('X-Forwarded-Host', f.host);
    headers.set('X-Forwarded-Port', f.port);
    headers.set('X-Forwarded-Path', f.path);
    if (f.prefix) headers.set('X-Forwarded-Prefix', f.prefix);
    else headers.clear('X-Forwarded-Prefix');
    headers.set('X-Real-IP', s.realIp(this.env));
    if (this.version.atLeast(3, 5)) headers.set('X-Kong-Request-Id', s.requestId);
    // nginx reads the whole body before proxying (proxy_request_buffering on, Kong's default) and,
    // when the client declared no length (HTTP/2 DATA frames, a chunked body), sends the length it
    // read: content_length_n is set to what was received, and nginx's own proxy headers carry
    // `Content-Length: $proxy_internal_body_length` (Transfer-Encoding is hop-by-hop). Without it
    // a body would reach the upstream unframed, e.g. after a GET's head, as a second request.
    if (!headers.has('content-length') && (s.body.length > 0 || headers.has('transfer-encoding'))) {
      headers.set('Content-Length', String(s.body.length));
    }
    return {
      scheme: u.scheme,
      host: u.host,
      port: u.port,
      method: s.method,
      path: u.uri + s.upstreamQuery(),
      headers,
      body: s.body,
      timeouts: u.timeouts,
    };
  }

  /** Kong's header_filter (kong/runloop/handler.lua header_filter.after). */
  private headerFilter(s: RequestState): void {
    const now = Date.now();
    if (s.proxied) {
      s.responseHeaders.set('Via', this.version.atLeast(3, 6) ? `1.1 ${this.version.product}` : this.version.product);
      s.responseHeaders.set('X-Kong-Upstream-Latency', String(s.upstreamLatencyMs ?? 0));
      const beforeProxy = (s.tries[0]?.balancerStartMs ?? now) - s.startTimeMs;
      s.responseHeaders.set('X-Kong-Proxy-Latency', String(Math.max(0, beforeProxy)));
    } else {
      s.responseHeaders.set('Server', this.version.product);
      s.responseHeaders.set('X-Kong-Response-Latency', String(Math.max(0, now - s.startTimeMs)));
    }
    if (this.version.atLeast(3, 5)) s.responseHeaders.set('X-Kong-Request-Id', s.requestId);
  }

  /** ngx.resp.get_headers(): the response headers plus the Connection header nginx reports. */
  private responseHeadersView(s: RequestState): HeaderList {
    const view = s.responseHeaders.clone();
    if (!view.has('connection') && s.connectionHeader) view.add('connection', s.connectionHeader);
    return view;
  }

  /** plugin_servers/plugin.lua build_phases("log"): what the log timer will read. */
  private saveForLater(s: RequestState, pluginName: string): SavedLogData {
    const responseHeaders = this.responseHeadersView(s);
    return {
      pluginName,
      serializeData: serialize(s, { responseHeaders, clientIp: s.realIp(this.env), version: this.version }),
      ngxCtx: { ...ngxCtxView(s) },
      ctxShared: s.shared,
      requestHeaders: s.headers.clone(),
      responseHeaders,
      responseStatus: s.status,
      reqStartTime: s.startTimeMs / 1000,
      flags: { exited: s.exited, proxied: s.proxied, unexpected: s.unexpected },
    };
  }
}
