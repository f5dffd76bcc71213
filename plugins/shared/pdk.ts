/**
 * The `kong` object kong-pdk's plugin server hands to a phase handler (pdk.js): a Proxy that
 * turns `kong.request.getHeaders()` into the RPC call `kong.request.get_headers`. Every call is
 * one round trip to Kong (except `response.exit`/`response.error`, which Kong never answers).
 *
 * Kong answers an unknown method with no data and no error (see test/fixtures/kong-pdk/README.md),
 * so a typo fails silently at run time: these typings exist so that typos fail at compile time.
 * Only methods of Kong 3.4's PDK are listed; add one here (from Kong's PDK docs) before using it.
 */

/** `StepMultiMap` answers (request/response headers): every value an array of strings in
 *  practice; a single string is tolerated. Header names arrive lower-cased. */
export type MultiMap = Record<string, string | string[]>;

/** `kong.request.get_query`: a flag argument (`?debug`) comes back as `[]` (mp_rpc's fix_mmap
 *  turns Lua's `true` into an empty array), or `true` among other values (`?debug&debug=1`). */
export type QueryArgs = Record<string, string | boolean | Array<string | boolean>>;

/** Header values `set_headers`/`exit` accept. An empty array CLEARS the header: Kong passes it
 *  to `ngx.req.set_header(name, {})`, which removes every occurrence (lua-resty-core). */
export type HeaderValues = Record<string, string | string[]>;

export interface KongRequest {
  getScheme(): Promise<string>;
  getHost(): Promise<string>;
  getPort(): Promise<number>;
  getForwardedScheme(): Promise<string>;
  getForwardedHost(): Promise<string>;
  getForwardedPort(): Promise<number>;
  getForwardedPath(): Promise<string>;
  getForwardedPrefix(): Promise<string | undefined>;
  getHttpVersion(): Promise<number>;
  getMethod(): Promise<string>;
  getPath(): Promise<string>;
  getPathWithQuery(): Promise<string>;
  getRawPath(): Promise<string>;
  getRawQuery(): Promise<string>;
  getQueryArg(name: string): Promise<string | boolean | undefined>;
  getQuery(maxArgs?: number): Promise<QueryArgs>;
  getHeader(name: string): Promise<string | undefined>;
  getHeaders(maxHeaders?: number): Promise<MultiMap>;
  /**
   * Arrives as msgpack binary (a Uint8Array). From Kong 3.8 `max` lets Kong read a body nginx
   * buffered to a file (larger than client_body_buffer_size) up to that many bytes (0: whatever its size);
   * earlier Kongs ignore it. A body Kong cannot return is nil, which Kong fails to pack: the request gets a 500.
   */
  getRawBody(max?: number): Promise<Uint8Array | string | undefined>;
  getBody(mimetype?: string, maxArgs?: number): Promise<unknown>;
  getStartTime(): Promise<number>;
}

export interface KongClient {
  getIp(): Promise<string>;
  getForwardedIp(): Promise<string>;
  getPort(): Promise<number>;
  getForwardedPort(): Promise<number>;
  getProtocol(allowTerminated?: boolean): Promise<string>;
  getConsumer(): Promise<Record<string, unknown> | undefined>;
  getCredential(): Promise<Record<string, unknown> | undefined>;
  /**
   * kong.client.load_consumer: by id when `value` is a UUID, then by username when
   * `byUsername`; Kong raises for a non-UUID without `byUsername`. Straight from the database,
   * not Kong's cache.
   */
  loadConsumer(value: string, byUsername?: boolean): Promise<Record<string, unknown> | undefined>;
  /** Access phase only; at least one of the two. */
  authenticate(consumer: Record<string, unknown> | null, credential: Record<string, unknown> | null): Promise<void>;
}

export interface KongRouter {
  getRoute(): Promise<Record<string, unknown> | undefined>;
  getService(): Promise<Record<string, unknown> | undefined>;
}

export interface KongNginx {
  /** Raises in the log phase: Kong runs an external plugin's log handler in a timer. */
  getVar(name: string): Promise<string | undefined>;
  /** A key of ngx.ctx; in the log phase, of the copy Kong saved when the request ended. */
  getCtx(key: string): Promise<unknown>;
  getSubsystem(): Promise<string>;
}

export interface KongCtxShared {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export interface KongServiceRequest {
  setScheme(scheme: string): Promise<void>;
  setPath(path: string): Promise<void>;
  setRawQuery(query: string): Promise<void>;
  setMethod(method: string): Promise<void>;
  setQuery(args: QueryArgs): Promise<void>;
  setHeader(name: string, value: string | number | boolean): Promise<void>;
  addHeader(name: string, value: string | number | boolean): Promise<void>;
  clearHeader(name: string): Promise<void>;
  setHeaders(headers: HeaderValues): Promise<void>;
  setRawBody(body: string): Promise<void>;
  setBody(args: Record<string, unknown>, mimetype?: string): Promise<void>;
}

export interface KongServiceResponse {
  getStatus(): Promise<number | undefined>;
  getHeaders(maxHeaders?: number): Promise<MultiMap>;
  getHeader(name: string): Promise<string | undefined>;
  getRawBody(): Promise<Uint8Array | string | undefined>;
  getBody(mimetype?: string, maxArgs?: number): Promise<unknown>;
}

export interface KongResponse {
  getStatus(): Promise<number>;
  getHeader(name: string): Promise<string | undefined>;
  getHeaders(maxHeaders?: number): Promise<MultiMap>;
  /** "service" | "error" | "exit". */
  getSource(): Promise<string>;
  setStatus(status: number): Promise<void>;
  setHeader(name: string, value: string | number | boolean): Promise<void>;
  addHeader(name: string, value: string | number | boolean): Promise<void>;
  clearHeader(name: string): Promise<void>;
  setHeaders(headers: HeaderValues): Promise<void>;
  /** Ends the request. Not answered by Kong: the handler must return right after it.
   *  A table body is JSON-encoded by Kong; a Uint8Array travels as msgpack binary, i.e. a Lua
   *  string of those exact bytes (binary bodies). */
  exit(status: number, body?: string | Uint8Array | Record<string, unknown>, headers?: HeaderValues): Promise<void>;
  error(status: number, message?: string, headers?: HeaderValues): Promise<void>;
}

export interface KongLog {
  alert(...args: unknown[]): Promise<void>;
  crit(...args: unknown[]): Promise<void>;
  err(...args: unknown[]): Promise<void>;
  warn(...args: unknown[]): Promise<void>;
  notice(...args: unknown[]): Promise<void>;
  info(...args: unknown[]): Promise<void>;
  debug(...args: unknown[]): Promise<void>;
  /** The log serializer's table, as a JSON string (log phase). */
  serialize(): Promise<string>;
}

export interface KongNode {
  getId(): Promise<string>;
  getHostname(): Promise<string>;
}

export interface Kong {
  request: KongRequest;
  client: KongClient;
  router: KongRouter;
  nginx: KongNginx;
  ctx: { shared: KongCtxShared };
  service: { request: KongServiceRequest; response: KongServiceResponse };
  response: KongResponse;
  log: KongLog;
  node: KongNode;
}

/** The phases kong-pdk's plugin server recognises on a Plugin class (lib/mod.js). */
export type Phase = 'certificate' | 'rewrite' | 'access' | 'preread' | 'response' | 'log';

/** Values of a multi-map entry as an array, whatever shape Kong sent. */
/**
 * The most headers or query arguments Kong hands a plugin (`get_headers(max)`/`get_query(max)`;
 * 100 unless asked), silently: a request with that many may hold more the plugin cannot see (a
 * second token, key or signature header), so the plugins ask for this many and refuse a request
 * that reaches it rather than judge a part of it.
 */
export const KONG_MAX_FIELDS = 1000;

/** How many values a headers or query map holds: a name sent several times counts each. */
export function fieldCount(values: Iterable<unknown>): number {
  let n = 0;
  for (const v of values) n += Array.isArray(v) ? v.length : 1;
  return n;
}

/**
 * An empty table of headers or query arguments for Kong. Its keys are only its own: a name
 * `__proto__` (a client's header or query argument, an upstream's header) is an entry as in Lua,
 * where `{}[name] = v` would set the object's prototype and drop it (plugins/server/lua-strings.ts).
 */
export function luaTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function multiValues(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
