/**
 * What a PDK method sees when Kong runs it for an external plugin: the request, the phase,
 * and — in the log phase — the data plugin_servers/plugin.lua saved before starting the log
 * timer. The log handler of an external plugin runs in `ngx.timer.at(0)` after the request is
 * over, so anything that needs the nginx request (ngx.var, ngx.req.*, ngx.resp.*) fails there
 * with "API disabled in the current context" (Kong/go-pdk#118); ngx.ctx is restored
 * (`get_ctx_table(saved.ngx_ctx)`), so ctx-based methods keep working.
 */
import type { RealIpConfig } from './realip';
import type { HeaderList } from './headers';
import type { KongVersion } from './kong-version';
import type { KongConsumer } from './entities';
import type { Phase, RequestState, SavedLogData } from './request-state';

/** A Lua `error()` raised by Kong while running a PDK method (bad argument, wrong phase...). */
export class LuaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LuaError';
  }
}

/** Something real Kong would do that this harness does not model: always a test failure. */
export class UnmodelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnmodelledError';
  }
}

/**
 * kong.response.exit / kong.response.error: Kong stores the response (delayed) or sends it, and
 * the plugin's coroutine never resumes: no further Step for this event (kong/pdk/response.lua,
 * `coroutine.yield()` / `ngx.exit`).
 */
export interface ExitSignal {
  readonly kind: 'exit';
  status: number;
  body: unknown;
  headers: Record<string, unknown> | undefined;
}

export interface KongLogLine {
  level: 'debug' | 'info' | 'notice' | 'warn' | 'err' | 'crit' | 'alert' | 'emerg';
  /** `[plugin-name]` for kong.log.* from a plugin, undefined for Kong's own lines. */
  plugin?: string;
  message: string;
}

export interface PdkEnv extends RealIpConfig {
  version: KongVersion;
  nodeId: string;
  hostname: string;
  clientBodyBufferSize: number;
  /** A consumer by id (when `byId`), then by username (when `byUsername`). */
  findConsumer(value: string, byId: boolean, byUsername: boolean): KongConsumer | undefined;
  log(line: KongLogLine): void;
  /** kong.log.serialize() for the current state (log.lua). */
  serialize(state: RequestState): Record<string, unknown>;
  /** ngx.resp.get_headers() as nginx reports it (response headers plus Connection). */
  responseHeadersView(state: RequestState): HeaderList;
}

export interface PdkCallContext {
  phase: Phase;
  state: RequestState;
  saved: SavedLogData | undefined;
  env: PdkEnv;
  plugin: { id: string; name: string };
}

/** kong/pdk/private/phases.lua check_phase. */
export function checkPhase(k: PdkCallContext, allowed: readonly Phase[]): void {
  if (!allowed.includes(k.phase)) throw new LuaError(`function cannot be called in ${k.phase} phase (only in: ${allowed.join(', ')})`);
}

/** The nginx request behind ngx.var / ngx.req.*: gone in the log timer. */
export function nginx(k: PdkCallContext): RequestState {
  if (k.saved) throw new LuaError('API disabled in the current context');
  return k.state;
}

export const PHASES = {
  /** PHASES.request: every request phase. */
  request: ['rewrite', 'access', 'response', 'header_filter', 'body_filter', 'log'],
  /** kong/pdk/request.lua before_content. */
  beforeContent: ['rewrite', 'access', 'response'],
  /** kong/pdk/response.lua rewrite_access_header (setters, exit, error). */
  rewriteAccessHeader: ['rewrite', 'access', 'response', 'header_filter'],
  /** kong/pdk/response.lua header_body_log (getters). */
  headerBodyLog: ['response', 'header_filter', 'body_filter', 'log'],
  /** kong/pdk/service/request.lua access_and_rewrite_and_balancer_preread. */
  serviceRequest: ['rewrite', 'access'],
  /** kong/pdk/service/response.lua getters (the response phase per the 3.4.2 trace). */
  serviceResponse: ['response', 'header_filter', 'body_filter', 'log'],
  /** kong/pdk/router.lua, kong/pdk/client.lua AUTH_AND_LATER. */
  accessAndLater: ['access', 'response', 'header_filter', 'body_filter', 'log'],
  access: ['access'],
  rewriteAccess: ['rewrite', 'access'],
  log: ['log'],
  bodyFilter: ['body_filter'],
} as const satisfies Record<string, readonly Phase[]>;
