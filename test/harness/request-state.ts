/**
 * What one request looks like from Kong's Lua side while plugins run: the nginx request
 * (ngx.var / ngx.req, mutated in place by kong.service.request.* exactly as
 * kong/pdk/service/request.lua does with ngx.req.set_header & co., so kong.request.* sees the
 * mutations too), the upstream target (ngx.var.upstream_*), the downstream response
 * (ngx.status / ngx.header) and ngx.ctx (route, service, consumer, credential, flags such as
 * KONG_EXITED / KONG_PROXIED / KONG_UNEXPECTED, buffered_* from Kong.response in kong/init.lua).
 */
import { randomFillSync } from 'node:crypto';
import { HeaderList, type LuaHeaderTable } from './headers';
import type { KongConsumer, KongCredential, KongRoute, KongService } from './entities';
import { realIpAddress, type RealIpConfig } from './realip';
import { luaBytes } from './lua-strings';

/**
 * $request_id: 16 random bytes in hex, as nginx makes it. Drawn from a pooled buffer: one
 * synchronous randomBytes(16) per request was a tenth of a benchmark run's CPU.
 */
const ID_POOL = Buffer.alloc(16 * 256);
let idOffset = ID_POOL.length;
function nextRequestId(): string {
  if (idOffset >= ID_POOL.length) {
    randomFillSync(ID_POOL);
    idOffset = 0;
  }
  idOffset += 16;
  return ID_POOL.toString('hex', idOffset - 16, idOffset);
}

export type Phase = 'rewrite' | 'access' | 'response' | 'header_filter' | 'body_filter' | 'log';

export interface SimRequest {
  method?: string;
  /** The request target as sent on the request line: path and optional `?query`. */
  path: string;
  headers?: LuaHeaderTable | Array<[string, string]> | HeaderList;
  body?: string | Buffer;
  /** 1.0, 1.1 (default) or 2 — kong.request.get_http_version(). */
  httpVersion?: number;
  scheme?: 'http' | 'https';
  clientIp?: string;
  clientPort?: number;
  /** The port Kong listens on (ngx.var.server_port); 8000 by default. */
  serverPort?: number;
}

export interface UpstreamTarget {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  /** ngx.var.upstream_uri without the query string. */
  uri: string;
  /** ngx.var.upstream_host: the Host header sent upstream. */
  hostHeader: string;
  retries: number;
  timeouts: { connect: number; write: number; read: number };
}

export interface UpstreamTry {
  balancerStartMs: number;
  ip: string;
  port: number;
  balancerLatencyMs: number;
}

export interface DelayedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, unknown>;
  /** Set by the access iterator after a Lua error, not by a plugin's exit (no callback in Kong). */
  fromLuaError?: boolean;
}

export class RequestState {
  // ---- nginx request (ngx.var / ngx.req) ----
  method: string;
  readonly requestUri: string;
  /** ngx.var.request: the request line as the client sent it; set_method and set_path leave it be. */
  readonly requestLine: string;
  /** ngx.var.args: the current query string, undefined when the request had none. */
  args: string | undefined;

  /**
   * What Kong appends to the upstream path (kong/runloop/handler.lua access.after): `?` and the
   * args when `$is_args` is `?` (args not empty) or the client's request line ended in `?`; so a
   * query a plugin emptied (set_query({})) leaves no dangling `?`.
   */
  upstreamQuery(): string {
    return this.args || this.requestUri.endsWith('?') ? `?${this.args ?? ''}` : '';
  }
  readonly headers: HeaderList;
  body: Buffer;
  readonly httpVersion: number;
  readonly scheme: 'http' | 'https';
  readonly serverPort: number;
  /** The peer that connected: $realip_remote_addr (kong.client.get_ip). */
  readonly remoteAddr: string;
  private realIpAddr: string | undefined;
  readonly remotePort: number;
  readonly startTimeMs: number;
  readonly requestId = nextRequestId();
  readonly requestLength: number;

  // ---- routing & upstream ----
  route: KongRoute | undefined;
  service: KongService | undefined;
  upstream: UpstreamTarget | undefined;
  /** The path prefix the router stripped. */
  forwardedPrefix: string | undefined;
  /** ngx.var.upstream_x_forwarded_*: what access.before decided to send upstream. */
  upstreamForwarded: { for: string; proto: string; host: string; port: string; path: string; prefix: string | undefined } | undefined;
  tries: UpstreamTry[] = [];
  upstreamStatus: string | undefined;
  upstreamLatencyMs: number | undefined;

  // ---- ngx.ctx ----
  consumer: KongConsumer | Record<string, unknown> | undefined;
  credential: KongCredential | Record<string, unknown> | undefined;
  /** kong.ctx.shared: one table for the whole request, log timer included. */
  readonly shared: Record<string, unknown> = {};
  /** Keys plugins set with kong.nginx.set_ctx. */
  readonly ngxCtx: Record<string, unknown> = {};
  phase: Phase = 'rewrite';
  exited = false;
  proxied = false;
  unexpected = false;
  delayResponse = false;
  delayedResponse: DelayedResponse | undefined;
  /**
   * ngx.ctx.buffered_proxying: set by kong.service.request.enable_buffering() and by the plugins
   * iterator as it collects a plugin with a `response` handler (runloop/plugins_iterator.lua);
   * Kong.access clears it when it cannot buffer (HTTP/2 before 3.9, a connection upgrade), and
   * kong/error_handlers.lua clears it when Kong answers an upstream failure itself. `buffered`
   * says whether Kong.response proxied through the subrequest, whatever happened after.
   */
  bufferingRequested = false;
  buffered = false;
  bufferedStatus: number | undefined;
  bufferedHeaders: HeaderList | undefined;
  bufferedBody: Buffer | undefined;
  /** kong.log.set_serialize_value. */
  readonly serializeValues: Array<{ key: string; value: unknown; mode: string }> = [];
  /** The plugin currently running (ngx.ctx.plugin_id). */
  pluginId: string | undefined;
  /** KONG_*_ENDED_AT style timestamps, for latencies. */
  kongDoneAtMs: number | undefined;
  responseSentAtMs: number | undefined;

  // ---- downstream response (ngx.status / ngx.header) ----
  status = 0;
  readonly responseHeaders = new HeaderList();
  responseBody: Buffer = Buffer.alloc(0);

  constructor(req: SimRequest) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.requestUri = req.path;
    const q = req.path.indexOf('?', 1);
    this.args = q >= 0 ? req.path.slice(q + 1) : undefined;
    this.headers = HeaderList.from(req.headers);
    this.serverPort = req.serverPort ?? 8000;
    if (!this.headers.has('host')) this.headers.add('Host', `127.0.0.1:${this.serverPort}`);
    this.body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : luaBytes(req.body);
    this.httpVersion = req.httpVersion ?? 1.1;
    // HTTP/1 needs framing for a body, so a test that gave none means Content-Length; an HTTP/2
    // request may send DATA frames without it, and nginx then reports no Content-Length at all
    if (this.httpVersion < 2 && this.body.length > 0 && !this.headers.has('content-length') && !this.headers.has('transfer-encoding')) {
      this.headers.add('Content-Length', String(this.body.length));
    }
    this.scheme = req.scheme ?? 'http';
    this.remoteAddr = req.clientIp ?? '127.0.0.1';
    this.remotePort = req.clientPort ?? 40000 + Math.floor(Math.random() * 20000);
    this.startTimeMs = Date.now();
    this.requestLine = `${this.method} ${this.requestUri} ${this.serverProtocol}`;
    const headerBytes = this.headers.all().reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    this.requestLength = `${this.method} ${this.requestUri} HTTP/${this.httpVersion}\r\n`.length + headerBytes + 2 + this.body.length;
  }

  /**
   * $remote_addr once nginx's realip module ran (kong.client.get_forwarded_ip): worked out
   * once, from the headers as they are at that moment, as nginx does in its post-read phase;
   * KongSim pins it when the request arrives, before any plugin can change a header.
   */
  realIp(config: RealIpConfig): string {
    if (this.realIpAddr === undefined) {
      this.realIpAddr = realIpAddress(config, this.remoteAddr, this.headers.values(config.realIpHeader ?? 'X-Real-IP'));
    }
    return this.realIpAddr;
  }

  /** ngx.var.server_protocol (nginx builds HTTP/2's request line with "HTTP/2.0"). */
  get serverProtocol(): string {
    return this.httpVersion >= 2 ? 'HTTP/2.0' : `HTTP/${this.httpVersion === 1 ? '1.0' : this.httpVersion.toFixed(1)}`;
  }

  /** ngx.var.host: the Host header without port, lower-cased (nginx falls back to the server name). */
  get host(): string {
    const h = this.headers.first('host');
    if (!h) return 'kong';
    return h.replace(/:\d+$/, '').toLowerCase();
  }

  /** The downstream connection state nginx reports in ngx.resp.get_headers(). */
  get connectionHeader(): string {
    const c = (this.headers.first('connection') ?? '').toLowerCase();
    if (this.httpVersion >= 2) return '';
    if (c === 'close') return 'close';
    if (this.httpVersion < 1.1 && c !== 'keep-alive') return 'close';
    return 'keep-alive';
  }
}

/** What plugin_servers/plugin.lua saves for an external plugin's log handler (`save_for_later`). */
export interface SavedLogData {
  pluginName: string;
  serializeData: Record<string, unknown>;
  ngxCtx: Record<string, unknown>;
  ctxShared: Record<string, unknown>;
  requestHeaders: HeaderList;
  responseHeaders: HeaderList;
  responseStatus: number;
  /** ngx.req.start_time(): seconds with millisecond precision. */
  reqStartTime: number;
  flags: { exited: boolean; proxied: boolean; unexpected: boolean };
}
