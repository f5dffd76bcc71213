/**
 * The ONE table of PDK methods the harness answers, each with the Kong source it follows.
 * A method missing here fails the test (strict mode): real Kong answers an unknown method with
 * nothing at all ("could not find pdk method", trace: kong.request.get_no_such_thing), so a
 * typo in a plugin would otherwise pass silently.
 *
 * Methods return the Lua value Kong's function returns FIRST — mp_rpc.lua's call_pdk_method
 * keeps only `ret = method(...)`, so `nil, err` arrives as nil (no StepError is ever sent) —
 * throw LuaError where Kong raises, or return an ExitSignal for exit/error. Tables are plain JS
 * objects/arrays; `undefined` is nil, `null` is cjson.null.
 *
 * The `saved` branches mirror plugin_servers/plugin.lua `exposed_api`, which serves the log
 * timer from data saved when the log phase started.
 */
import os from 'node:os';

/** kong.tools.uuid is_valid_uuid: the 8-4-4-4-12 hex shape, any version. */
const VALID_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
import { HeaderList, normalizeHeaderName, responseHeaderName, type LuaHeaderTable } from './headers';
import { cjsonEncode, isLuaTable, luaFromMsgpack, luaToString, luaType } from './lua-values';
import { decodeArgs, encodeArgsSorted, normalizePath } from './uri';
import { defaultErrorMessage, getResponseType, renderErrorTemplate } from './error-templates';
import { PHASES, LuaError, UnmodelledError, checkPhase, nginx, type ExitSignal, type PdkCallContext } from './pdk-context';
import type { RequestState } from './request-state';
import { isTrustedIp } from './realip';
import { luaBytes } from './lua-strings';

export type PdkImpl = (k: PdkCallContext, args: unknown[]) => unknown;

export interface PdkMethodSpec {
  /** The Kong file whose behaviour this follows. */
  source: string;
  impl: PdkImpl;
}

const REQUEST_LUA = 'kong/pdk/request.lua';
const RESPONSE_LUA = 'kong/pdk/response.lua';
const SERVICE_LUA = 'kong/pdk/service.lua';
const SERVICE_REQUEST_LUA = 'kong/pdk/service/request.lua';
const SERVICE_RESPONSE_LUA = 'kong/pdk/service/response.lua';
const CLIENT_LUA = 'kong/pdk/client.lua';
const EXPOSED_API = 'kong/runloop/plugin_servers/plugin.lua (exposed_api)';
const NGINX_LUA = 'kong/pdk/nginx.lua';
const NODE_LUA = 'kong/pdk/node.lua';
const ROUTER_LUA = 'kong/pdk/router.lua';
const LOG_LUA = 'kong/pdk/log.lua';
const IP_LUA = 'kong/pdk/ip.lua';
const PLUGIN_LUA = 'kong/pdk/plugin.lua';

const MAX_HEADERS_DEFAULT = 100;
const MIN_STATUS = 100;
const MAX_STATUS = 599;
const CONTENT_TYPE_JSON = 'application/json; charset=utf-8';
const UPSTREAM_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'MKCOL', 'COPY', 'MOVE', 'PROPFIND', 'PROPPATCH', 'LOCK', 'UNLOCK', 'PATCH', 'TRACE'];

// ---------- argument checks with Kong's messages ----------

function optionalMax(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw new LuaError(`${what} must be a number`);
  if (v < min) throw new LuaError(`${what} must be >= ${min}`);
  if (v > max) throw new LuaError(`${what} must be <= ${max}`);
  return v;
}

/** kong/pdk/private/checks.lua validate_header + normalize_header. */
function headerValue(name: unknown, value: unknown): string {
  if (typeof name !== 'string') throw new LuaError(`invalid header name "${luaToString(name)}": got ${luaType(name)}, expected string`);
  const t = luaType(value);
  if (t !== 'string' && t !== 'number' && t !== 'boolean') {
    throw new LuaError(`invalid header value for "${name}": got ${t}, expected string, number or boolean`);
  }
  const s = luaToString(value);
  return s === '' ? ' ' : s;
}

/** kong/pdk/private/checks.lua validate_headers + normalize_multi_header. */
function headerTable(headers: unknown): Array<[string, string[]]> {
  if (!isLuaTable(headers) || Array.isArray(headers)) {
    if (Array.isArray(headers) && headers.length === 0) return [];
    throw new LuaError('headers must be a table');
  }
  const out: Array<[string, string[]]> = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || v === null) continue;
    const t = luaType(v);
    if (t === 'table') {
      // validate_headers / normalize_multi_header walk a table with ipairs: a map yields no
      // values, so the header is set to {} (cleared)
      const arr = Array.isArray(v) ? v : [];
      for (const vv of arr) {
        if (luaType(vv) !== 'string') throw new LuaError(`invalid header value in array "${k}": got ${luaType(vv)}, expected string`);
      }
      out.push([k, arr.map((x) => (luaToString(x) === '' ? ' ' : luaToString(x)))]);
    } else if (t === 'string' || t === 'number' || t === 'boolean') {
      const s = luaToString(v);
      out.push([k, [s === '' ? ' ' : s]]);
    } else {
      throw new LuaError(`invalid header value for "${k}": got ${t}, expected string, number, boolean or array of strings`);
    }
  }
  return out;
}

/** A table lookup on ngx.req/resp.get_headers() results (their __index normalizes the name). */
function lookup(list: HeaderList, name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  return list.first(name);
}

function isTrusted(k: PdkCallContext, ip: string): boolean {
  return isTrustedIp(k.env, ip);
}

/** ngx.var["http_" .. name], which kong.request.get_header and the get_forwarded_* read. */
function varHeader(k: PdkCallContext, s: RequestState, name: string): string | undefined {
  return s.headers.variable(name, nginxJoinsHeaders(k.env.version));
}

/** nginx >= 1.23 (OpenResty 1.25.3, Kong 3.6.0's CHANGELOG) joins repeated header lines in $http_*. */
function nginxJoinsHeaders(version: PdkCallContext['env']['version']): boolean {
  return version.atLeast(3, 6);
}

// ---------- bodies ----------

/** ngx.req.get_body_data(): nil when nginx buffered the body to a file. */
function bodyInMemory(k: PdkCallContext, s: RequestState): Buffer | undefined {
  return s.body.length > k.env.clientBodyBufferSize ? undefined : s.body;
}

function rawRequestBody(k: PdkCallContext, max: unknown): Buffer | undefined {
  const s = nginx(k);
  const mem = bodyInMemory(k, s);
  if (mem) return mem;
  if (s.body.length === 0) return Buffer.alloc(0);
  // Kong >= 3.8 (CHANGELOG 3.8.0, PDK: #13158, #13431): get_raw_body(max_allowed_file_size)
  // reads the temp file when it is no larger than max, or whatever its size when max is 0;
  // without max it still answers nil, "request body did not fit into client body buffer"
  if (k.env.version.atLeast(3, 8) && typeof max === 'number') return max > 0 && s.body.length > max ? undefined : s.body;
  return undefined;
}

function decodeJsonTable(text: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  return json !== null && typeof json === 'object' ? json : undefined;
}

function decodeBody(raw: Buffer | undefined, contentType: string | undefined, maxArgs: unknown): unknown {
  if (!contentType) return undefined;
  const lower = contentType.toLowerCase().split(';')[0];
  if (lower.startsWith('application/x-www-form-urlencoded')) {
    const max = optionalMax(maxArgs, 'max_args', 1, 1000);
    return raw === undefined ? undefined : decodeArgs(raw.toString('utf8'), max ?? 100);
  }
  if (lower.startsWith('application/json')) return raw === undefined ? undefined : decodeJsonTable(raw.toString('utf8'));
  if (lower.startsWith('multipart/form-data')) throw new UnmodelledError('multipart/form-data bodies are not modelled');
  return undefined;
}

// ---------- responses ----------

function validateExitArgs(status: unknown, body: unknown, headers: unknown, minStatus: number): void {
  if (typeof status !== 'number') throw new LuaError('code must be a number');
  if (status < minStatus || status > MAX_STATUS) throw new LuaError(`code must be a number between ${minStatus} and ${MAX_STATUS}`);
  if (body !== undefined && body !== null && luaType(body) !== 'string' && luaType(body) !== 'table') {
    throw new LuaError('body must be a nil, string or table');
  }
  if (headers !== undefined && headers !== null) {
    if (luaType(headers) !== 'table') throw new LuaError('headers must be a nil or table');
    headerTable(headers);
  }
}

function exitSignal(status: number, body: unknown, headers: unknown): ExitSignal {
  return { kind: 'exit', status, body, headers: isLuaTable(headers) && !Array.isArray(headers) ? (headers as Record<string, unknown>) : undefined };
}

/** kong/pdk/response.lua: set_header, set_headers and send() never set Transfer-Encoding (add_header does). */
const TRANSFER_ENCODING_IGNORED = 'manually setting Transfer-Encoding. Ignored.';
function isTransferEncoding(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'transfer-encoding' || lower === 'transfer_encoding';
}

/** kong/pdk/response.lua send(): what a (delayed or immediate) exit writes into ngx.status / ngx.header / the body. */
export function applyExit(state: RequestState, exit: { status: number; body?: unknown; headers?: Record<string, unknown> }, warn: (message: string) => void = () => {}): void {
  state.status = exit.status;
  let hasContentType = false;
  let hasContentLength = false;
  for (const [name, values] of headerTable(exit.headers ?? {})) {
    if (isTransferEncoding(name)) warn(TRANSFER_ENCODING_IGNORED);
    else state.responseHeaders.set(responseHeaderName(name), values);
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'content_type') hasContentType = true;
    if (lower === 'content-length' || lower === 'content_length') hasContentLength = true;
  }
  let body: Buffer;
  if (isLuaTable(exit.body)) {
    const json = cjsonEncode(exit.body);
    if (!hasContentType) state.responseHeaders.set('Content-Type', CONTENT_TYPE_JSON);
    body = Buffer.from(json, 'utf8');
  } else if (exit.body !== undefined && exit.body !== null) {
    body = Buffer.isBuffer(exit.body) ? exit.body : luaBytes(String(exit.body));
  } else {
    body = Buffer.alloc(0);
  }
  if (!hasContentLength) state.responseHeaders.set('Content-Length', String(body.length));
  state.responseBody = body;
}

/** kong.response.exit / kong.response.error once validated: delay in access, send otherwise. */
function exitOrDelay(k: PdkCallContext, status: number, body: unknown, headers: Record<string, unknown> | undefined): ExitSignal {
  const s = k.state;
  s.exited = true;
  if (s.delayResponse && !s.delayedResponse) {
    s.delayedResponse = { status, body, headers };
  } else {
    applyExit(s, { status, body, headers }, (message) => logLine(k, 'warn', [message]));
  }
  return exitSignal(status, body, headers);
}

// ---------- the table ----------

const LOG_LEVELS = ['debug', 'info', 'notice', 'warn', 'err', 'crit', 'alert', 'emerg'] as const;

function logLine(k: PdkCallContext, level: (typeof LOG_LEVELS)[number], args: unknown[]): undefined {
  k.env.log({ level, plugin: k.plugin.name, message: args.map((a) => (isLuaTable(a) ? cjsonEncode(a) : luaToString(a))).join('') });
  return undefined;
}

function requestHeadersTable(k: PdkCallContext, max?: number): LuaHeaderTable {
  if (k.saved) return k.saved.requestHeaders.toLuaTable(MAX_HEADERS_DEFAULT);
  checkPhase(k, PHASES.request);
  return nginx(k).headers.toLuaTable(max ?? MAX_HEADERS_DEFAULT);
}

function setUpstreamHost(s: RequestState, value: string): void {
  if (s.upstream) s.upstream.hostHeader = value;
}

export const PDK_METHODS: Record<string, PdkMethodSpec> = {
  // ----- kong.request -----
  'kong.request.get_scheme': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).scheme) },
  'kong.request.get_host': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).host) },
  'kong.request.get_port': { source: REQUEST_LUA, impl: (k) => nginx(k).serverPort },
  'kong.request.get_forwarded_scheme': {
    source: REQUEST_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.request);
      const s = nginx(k);
      const fwd = isTrusted(k, s.remoteAddr) ? varHeader(k, s, 'x-forwarded-proto') : undefined;
      return fwd ? fwd.toLowerCase() : s.scheme;
    },
  },
  'kong.request.get_forwarded_host': {
    source: REQUEST_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.request);
      const s = nginx(k);
      const fwd = isTrusted(k, s.remoteAddr) ? varHeader(k, s, 'x-forwarded-host') : undefined;
      if (!fwd) return s.host;
      const noUser = fwd.includes('@') ? fwd.slice(fwd.indexOf('@') + 1) : fwd;
      return noUser.split(':')[0].toLowerCase();
    },
  },
  'kong.request.get_forwarded_port': {
    source: REQUEST_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.request);
      const s = nginx(k);
      if (isTrusted(k, s.remoteAddr)) {
        const p = Number(varHeader(k, s, 'x-forwarded-port'));
        if (Number.isInteger(p) && p >= 1 && p <= 65535) return p;
        const host = varHeader(k, s, 'x-forwarded-host');
        const hp = host ? Number(host.split(':')[1]) : NaN;
        if (Number.isInteger(hp) && hp >= 1 && hp <= 65535) return hp;
      }
      return s.serverPort;
    },
  },
  'kong.request.get_forwarded_path': {
    source: REQUEST_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.request);
      const s = nginx(k);
      const fwd = isTrusted(k, s.remoteAddr) ? varHeader(k, s, 'x-forwarded-path') : undefined;
      return fwd ?? normalizePath(s.requestUri.split('?')[0]);
    },
  },
  'kong.request.get_forwarded_prefix': {
    source: REQUEST_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.request);
      const s = nginx(k);
      const fwd = isTrusted(k, s.remoteAddr) ? varHeader(k, s, 'x-forwarded-prefix') : undefined;
      return fwd ?? s.forwardedPrefix;
    },
  },
  'kong.request.get_http_version': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).httpVersion) },
  'kong.request.get_method': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).method) },
  'kong.request.get_path': {
    source: `${REQUEST_LUA} + kong/tools/uri.lua normalize`,
    impl: (k) => (checkPhase(k, PHASES.request), normalizePath(nginx(k).requestUri.split('?')[0])),
  },
  'kong.request.get_raw_path': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).requestUri.split('?')[0]) },
  'kong.request.get_path_with_query': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).requestUri) },
  'kong.request.get_raw_query': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).args ?? '') },
  'kong.request.get_query': {
    source: REQUEST_LUA,
    impl: (k, [max]) => {
      checkPhase(k, PHASES.request);
      const m = optionalMax(max, 'max_args', 1, 1000);
      return decodeArgs(nginx(k).args, m ?? 100);
    },
  },
  'kong.request.get_query_arg': {
    source: REQUEST_LUA,
    impl: (k, [name]) => {
      checkPhase(k, PHASES.request);
      if (typeof name !== 'string') throw new LuaError('query argument name must be a string');
      const v = decodeArgs(nginx(k).args, 100)[name];
      return Array.isArray(v) ? v[0] : v;
    },
  },
  'kong.request.get_header': {
    source: `${REQUEST_LUA} via ${EXPOSED_API}`,
    impl: (k, [name]) => {
      if (k.saved) return lookup(k.saved.requestHeaders, name);
      checkPhase(k, PHASES.request);
      if (typeof name !== 'string') throw new LuaError('header name must be a string');
      return varHeader(k, nginx(k), name);
    },
  },
  'kong.request.get_headers': {
    source: `${REQUEST_LUA} via ${EXPOSED_API}`,
    impl: (k, [max]) => requestHeadersTable(k, k.saved ? undefined : optionalMax(max, 'max_headers', 1, 1000)),
  },
  'kong.request.get_raw_body': {
    source: `${REQUEST_LUA} (get_raw_body(max) reads a buffered-to-file body from Kong 3.8)`,
    impl: (k, [max]) => {
      checkPhase(k, PHASES.beforeContent);
      return rawRequestBody(k, max);
    },
  },
  'kong.request.get_body': {
    source: REQUEST_LUA,
    impl: (k, [mimetype, maxArgs, maxFileSize]) => {
      checkPhase(k, PHASES.beforeContent);
      const s = nginx(k);
      const contentType = typeof mimetype === 'string' ? mimetype : varHeader(k, s, 'content-type');
      return decodeBody(rawRequestBody(k, maxFileSize), contentType, maxArgs);
    },
  },
  'kong.request.get_start_time': { source: REQUEST_LUA, impl: (k) => (checkPhase(k, PHASES.request), k.state.startTimeMs) },
  'kong.request.get_uri_captures': {
    source: `${REQUEST_LUA} via ${EXPOSED_API}`,
    impl: (k) => {
      if (!k.saved) checkPhase(k, PHASES.request);
      // the harness router matches plain prefixes only: no regex captures exist
      return { unnamed: [], named: {} };
    },
  },

  // ----- kong.response -----
  'kong.response.get_status': {
    source: `${RESPONSE_LUA} via ${EXPOSED_API}`,
    impl: (k) => {
      if (k.saved) return k.saved.responseStatus;
      checkPhase(k, PHASES.headerBodyLog);
      return nginx(k).status;
    },
  },
  'kong.response.get_header': {
    source: `${RESPONSE_LUA} via ${EXPOSED_API}`,
    impl: (k, [name]) => {
      if (k.saved) return lookup(k.saved.responseHeaders, name);
      checkPhase(k, PHASES.headerBodyLog);
      if (typeof name !== 'string') throw new LuaError('header name must be a string');
      return lookup(k.env.responseHeadersView(nginx(k)), name);
    },
  },
  'kong.response.get_headers': {
    source: `${RESPONSE_LUA} via ${EXPOSED_API}`,
    impl: (k, [max]) => {
      if (k.saved) return k.saved.responseHeaders.toLuaTable(MAX_HEADERS_DEFAULT);
      checkPhase(k, PHASES.headerBodyLog);
      const m = optionalMax(max, 'max_headers', 1, 1000);
      return k.env.responseHeadersView(nginx(k)).toLuaTable(m ?? MAX_HEADERS_DEFAULT);
    },
  },
  'kong.response.get_source': {
    source: `${RESPONSE_LUA} via ${EXPOSED_API}`,
    impl: (k) => {
      const f = k.saved ? k.saved.flags : (checkPhase(k, PHASES.headerBodyLog), k.state);
      if (f.unexpected) return 'error';
      if (f.exited) return 'exit';
      if (f.proxied) return 'service';
      return 'error';
    },
  },
  'kong.response.set_status': {
    source: RESPONSE_LUA,
    impl: (k, [status]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      if (typeof status !== 'number') throw new LuaError('code must be a number');
      if (status < MIN_STATUS || status > MAX_STATUS) throw new LuaError(`code must be a number between ${MIN_STATUS} and ${MAX_STATUS}`);
      nginx(k).status = status;
      return undefined;
    },
  },
  'kong.response.set_header': {
    source: RESPONSE_LUA,
    impl: (k, [name, value]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      const v = headerValue(name, value);
      if (isTransferEncoding(name as string)) return logLine(k, 'warn', [TRANSFER_ENCODING_IGNORED]);
      nginx(k).responseHeaders.set(responseHeaderName(name as string), v);
      return undefined;
    },
  },
  'kong.response.add_header': {
    source: RESPONSE_LUA,
    impl: (k, [name, value]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      nginx(k).responseHeaders.add(responseHeaderName(name as string), headerValue(name, value));
      return undefined;
    },
  },
  'kong.response.clear_header': {
    source: RESPONSE_LUA,
    impl: (k, [name]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      if (typeof name !== 'string') throw new LuaError('header name must be a string');
      nginx(k).responseHeaders.clear(responseHeaderName(name));
      return undefined;
    },
  },
  'kong.response.set_headers': {
    source: RESPONSE_LUA,
    impl: (k, [headers]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      const s = nginx(k);
      for (const [name, values] of headerTable(headers)) {
        if (isTransferEncoding(name)) logLine(k, 'warn', [TRANSFER_ENCODING_IGNORED]);
        else s.responseHeaders.set(responseHeaderName(name), values);
      }
      return undefined;
    },
  },
  'kong.response.exit': {
    source: RESPONSE_LUA,
    impl: (k, [status, body, headers]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      validateExitArgs(status, body, headers, MIN_STATUS);
      const luaBody = isLuaTable(body) ? luaFromMsgpack(body) : body === null ? undefined : body;
      return exitOrDelay(k, status as number, luaBody, luaFromMsgpack(headers) as Record<string, unknown> | undefined);
    },
  },
  'kong.response.error': {
    source: `${RESPONSE_LUA} + kong/tools/mime_type.lua templates`,
    impl: (k, [status, message, headers]) => {
      checkPhase(k, PHASES.rewriteAccessHeader);
      if (typeof status !== 'number') throw new LuaError('code must be a number');
      if (status < 400 || status > MAX_STATUS) throw new LuaError(`code must be a number between 400 and ${MAX_STATUS}`);
      let text: string | undefined;
      if (message !== undefined && message !== null) {
        if (isLuaTable(message)) text = cjsonEncode(luaFromMsgpack(message));
        else if (luaType(message) === 'string') text = luaToString(message);
        else throw new LuaError('message must be a nil, a string or a table');
      }
      if (headers !== undefined && headers !== null && luaType(headers) !== 'table') throw new LuaError('headers must be a nil or table');
      const hdrs = { ...((luaFromMsgpack(headers) as Record<string, unknown> | undefined) ?? {}) };
      headerTable(hdrs);
      const given = hdrs['Content-Type'];
      const s = k.state;
      const contentType = given !== undefined ? String(Array.isArray(given) ? given[0] : given) : getResponseType(s.headers.values('accept')[0]);
      hdrs['Content-Type'] = contentType;
      const body = renderErrorTemplate(contentType, text ?? defaultErrorMessage(status), s.requestId, k.env.version);
      if (body === undefined) throw new LuaError("bad argument #1 to 'format' (string expected, got nil)");
      return exitOrDelay(k, status, body, hdrs);
    },
  },
  'kong.response.get_raw_body': { source: RESPONSE_LUA, impl: (k) => (checkPhase(k, PHASES.bodyFilter), undefined) },
  'kong.response.set_raw_body': { source: RESPONSE_LUA, impl: (k) => (checkPhase(k, PHASES.bodyFilter), undefined) },

  // ----- kong.service -----
  'kong.service.set_target': {
    source: SERVICE_LUA,
    impl: (k, [host, port]) => {
      checkPhase(k, PHASES.rewriteAccess);
      if (typeof host !== 'string') throw new LuaError('host must be a string');
      if (typeof port !== 'number' || !Number.isInteger(port)) throw new LuaError('port must be an integer');
      if (port < 0 || port > 65535) throw new LuaError('port must be an integer between 0 and 65535: given ' + port);
      const s = nginx(k);
      if (s.upstream) {
        s.upstream.host = host;
        s.upstream.port = port;
        if (!s.route?.preserve_host) s.upstream.hostHeader = port === 80 || port === 443 ? host : `${host}:${port}`;
      }
      return undefined;
    },
  },
  'kong.service.set_retries': {
    source: SERVICE_LUA,
    impl: (k, [retries]) => {
      checkPhase(k, PHASES.rewriteAccess);
      if (typeof retries !== 'number' || !Number.isInteger(retries)) throw new LuaError('retries must be an integer');
      if (k.state.upstream) k.state.upstream.retries = retries;
      return undefined;
    },
  },
  'kong.service.set_timeouts': {
    source: SERVICE_LUA,
    impl: (k, [connect, write, read]) => {
      checkPhase(k, PHASES.rewriteAccess);
      for (const [n, v] of [['connect_timeout', connect], ['write_timeout', write], ['read_timeout', read]] as const) {
        if (typeof v !== 'number' || !Number.isInteger(v)) throw new LuaError(`${n} must be an integer`);
      }
      if (k.state.upstream) k.state.upstream.timeouts = { connect: connect as number, write: write as number, read: read as number };
      return undefined;
    },
  },

  // ----- kong.service.request -----
  'kong.service.request.enable_buffering': {
    source: SERVICE_REQUEST_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.rewriteAccess);
      k.state.bufferingRequested = true;
      return undefined;
    },
  },
  'kong.service.request.set_scheme': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [scheme]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (typeof scheme !== 'string') throw new LuaError('scheme must be a string');
      if (scheme !== 'http' && scheme !== 'https') throw new LuaError(`invalid scheme: ${scheme}`);
      const s = nginx(k);
      if (s.upstream) s.upstream.scheme = scheme;
      return undefined;
    },
  },
  'kong.service.request.set_path': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [path]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (typeof path !== 'string') throw new LuaError('path must be a string');
      if (!path.startsWith('/')) throw new LuaError('path must start with /');
      const s = nginx(k);
      if (s.upstream) s.upstream.uri = path;
      return undefined;
    },
  },
  'kong.service.request.set_raw_query': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [query]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (typeof query !== 'string') throw new LuaError('query must be a string');
      nginx(k).args = query;
      return undefined;
    },
  },
  'kong.service.request.set_query': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [args]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (!isLuaTable(args)) throw new LuaError('args must be a table');
      nginx(k).args = encodeArgsSorted(Array.isArray(args) ? {} : (luaFromMsgpack(args) as Record<string, unknown>));
      return undefined;
    },
  },
  'kong.service.request.clear_query_arg': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [name]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (typeof name !== 'string') throw new LuaError('query argument name must be a string');
      const s = nginx(k);
      const args = decodeArgs(s.args, 0);
      if (name in args) {
        delete args[name];
        s.args = encodeArgsSorted(args);
      }
      return undefined;
    },
  },
  'kong.service.request.set_method': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [method]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (typeof method !== 'string') throw new LuaError('method must be a string');
      if (!UPSTREAM_METHODS.includes(method)) throw new LuaError(`invalid method: ${method}`);
      nginx(k).method = method;
      return undefined;
    },
  },
  'kong.service.request.set_header': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [name, value]) => {
      checkPhase(k, PHASES.serviceRequest);
      const v = headerValue(name, value);
      const s = nginx(k);
      if ((name as string).toLowerCase() === 'host') setUpstreamHost(s, v);
      s.headers.set(name as string, v);
      return undefined;
    },
  },
  'kong.service.request.add_header': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [name, value]) => {
      checkPhase(k, PHASES.serviceRequest);
      const v = headerValue(name, value);
      const s = nginx(k);
      if ((name as string).toLowerCase() === 'host') setUpstreamHost(s, v);
      s.headers.add(name as string, v);
      return undefined;
    },
  },
  'kong.service.request.clear_header': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [name]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (typeof name !== 'string') throw new LuaError(`invalid header name "${luaToString(name)}": got ${luaType(name)}, expected string`);
      nginx(k).headers.clear(name);
      return undefined;
    },
  },
  'kong.service.request.set_headers': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [headers]) => {
      checkPhase(k, PHASES.serviceRequest);
      const s = nginx(k);
      for (const [name, values] of headerTable(luaFromMsgpack(headers) ?? headers)) {
        if (name.toLowerCase() === 'host') setUpstreamHost(s, values[0]);
        s.headers.set(name, values);
      }
      return undefined;
    },
  },
  'kong.service.request.set_raw_body': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [body]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (luaType(body) !== 'string') throw new LuaError('body must be a string');
      const s = nginx(k);
      s.body = Buffer.isBuffer(body) ? body : luaBytes(body as string);
      s.headers.set('Content-Length', String(s.body.length));
      return undefined;
    },
  },
  'kong.service.request.set_body': {
    source: SERVICE_REQUEST_LUA,
    impl: (k, [args, mimetype]) => {
      checkPhase(k, PHASES.serviceRequest);
      if (!isLuaTable(args)) throw new LuaError('args must be a table');
      const s = nginx(k);
      const ct = (typeof mimetype === 'string' ? mimetype : s.headers.first('content-type') ?? '').toLowerCase().split(';')[0];
      let body: string;
      if (ct.startsWith('application/json')) body = cjsonEncode(luaFromMsgpack(args));
      else if (ct.startsWith('application/x-www-form-urlencoded')) body = encodeArgsSorted(luaFromMsgpack(args) as Record<string, unknown>);
      else if (ct.startsWith('multipart/form-data')) throw new UnmodelledError('kong.service.request.set_body with multipart/form-data is not modelled');
      else throw new LuaError(`unsupported content type '${ct}'`);
      if (typeof mimetype === 'string') s.headers.set('Content-Type', mimetype);
      s.body = Buffer.from(body, 'utf8');
      s.headers.set('Content-Length', String(s.body.length));
      return undefined;
    },
  },

  // ----- kong.service.response -----
  'kong.service.response.get_status': {
    source: SERVICE_RESPONSE_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.serviceResponse);
      if (k.state.buffered) return k.state.bufferedStatus;
      const st = nginx(k).upstreamStatus;
      return st ? Number(st.slice(-3)) : undefined;
    },
  },
  'kong.service.response.get_headers': {
    source: `${SERVICE_RESPONSE_LUA} (attach_buffered_headers_mt: an empty table with __index, so {} on the wire)`,
    impl: (k, [max]) => {
      checkPhase(k, PHASES.serviceResponse);
      optionalMax(max, 'max_headers', 1, 1000);
      if (k.state.buffered) return {};
      throw new UnmodelledError('kong.service.response.get_headers without buffered proxying (ngx.resp.get_headers in header_filter) is not modelled');
    },
  },
  'kong.service.response.get_header': {
    source: SERVICE_RESPONSE_LUA,
    impl: (k, [name]) => {
      checkPhase(k, PHASES.serviceResponse);
      if (typeof name !== 'string') throw new LuaError('name must be a string');
      if (k.state.buffered) return k.state.bufferedHeaders?.first(name);
      throw new UnmodelledError('kong.service.response.get_header without buffered proxying is not modelled');
    },
  },
  'kong.service.response.get_raw_body': {
    source: SERVICE_RESPONSE_LUA,
    impl: (k) => {
      checkPhase(k, PHASES.serviceResponse);
      // `if not ctx.buffered_proxying`: cleared by Kong.access when it cannot buffer, and by
      // kong/error_handlers.lua, so also after Kong's own 502/504 under buffered proxying
      if (!k.state.bufferingRequested) throw new LuaError('service body is only available with buffered proxying (see: kong.service.request.enable_buffering function)');
      return k.state.bufferedBody ?? Buffer.alloc(0);
    },
  },
  'kong.service.response.get_body': {
    source: SERVICE_RESPONSE_LUA,
    impl: (k, [mimetype, maxArgs]) => {
      checkPhase(k, PHASES.serviceResponse);
      if (!k.state.bufferingRequested) throw new LuaError('service body is only available with buffered proxying (see: kong.service.request.enable_buffering function)');
      const ct = typeof mimetype === 'string' ? mimetype : k.state.bufferedHeaders?.first('content-type');
      return decodeBody(k.state.bufferedBody ?? Buffer.alloc(0), ct, maxArgs);
    },
  },

  // ----- kong.client -----
  'kong.client.get_ip': { source: CLIENT_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).remoteAddr) },
  'kong.client.get_forwarded_ip': {
    source: `${CLIENT_LUA} (ngx.var.remote_addr, which nginx's realip module set from a trusted peer's real_ip_header)`,
    impl: (k) => (checkPhase(k, PHASES.request), nginx(k).realIp(k.env)),
  },
  'kong.client.get_port': { source: CLIENT_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).remotePort) },
  'kong.client.get_forwarded_port': { source: CLIENT_LUA, impl: (k) => (checkPhase(k, PHASES.request), nginx(k).remotePort) },
  'kong.client.get_credential': { source: CLIENT_LUA, impl: (k) => (checkPhase(k, PHASES.accessAndLater), k.state.credential) },
  'kong.client.get_consumer': { source: CLIENT_LUA, impl: (k) => (checkPhase(k, PHASES.accessAndLater), k.state.consumer) },
  'kong.client.load_consumer': {
    source: CLIENT_LUA,
    impl: (k, [id, byUsername]) => {
      checkPhase(k, PHASES.accessAndLater);
      if (typeof id !== 'string') throw new LuaError('consumer_id must be a string');
      // kong/pdk/client.lua: by id only when it is a UUID, then by username when asked.
      const uuid = VALID_UUID.test(id);
      if (!uuid && !byUsername) throw new LuaError('cannot load a consumer with an id that is not a uuid');
      return k.env.findConsumer(id, uuid, Boolean(byUsername));
    },
  },
  'kong.client.authenticate': {
    source: CLIENT_LUA,
    impl: (k, [consumer, credential]) => {
      checkPhase(k, PHASES.access);
      if (consumer !== undefined && consumer !== null && luaType(consumer) !== 'table') throw new LuaError('consumer must be a table or nil');
      if (credential !== undefined && credential !== null && luaType(credential) !== 'table') throw new LuaError('credential must be a table or nil');
      if ((consumer === undefined || consumer === null) && (credential === undefined || credential === null)) {
        throw new LuaError('either credential or consumer must be provided');
      }
      k.state.consumer = luaFromMsgpack(consumer) as Record<string, unknown> | undefined;
      k.state.credential = luaFromMsgpack(credential) as Record<string, unknown> | undefined;
      return undefined;
    },
  },
  'kong.client.get_protocol': {
    source: CLIENT_LUA,
    impl: (k, [allowTerminated]) => {
      checkPhase(k, PHASES.accessAndLater);
      const route = k.state.route;
      if (!route) return undefined;
      if (route.protocols.length === 1) return route.protocols[0];
      const s = nginx(k);
      if (allowTerminated === true && isTrusted(k, s.remoteAddr) && varHeader(k, s, 'x-forwarded-proto')?.toLowerCase() === 'https') return 'https';
      return s.scheme;
    },
  },

  // ----- kong.ctx.shared (exposed_api) -----
  'kong.ctx.shared.get': {
    source: EXPOSED_API,
    impl: (k, [key]) => (k.saved ? k.saved.ctxShared : k.state.shared)[luaToString(key)],
  },
  'kong.ctx.shared.set': {
    source: EXPOSED_API,
    impl: (k, [key, value]) => {
      const shared = k.saved ? k.saved.ctxShared : k.state.shared;
      const v = luaFromMsgpack(value);
      if (v === undefined) delete shared[luaToString(key)];
      else shared[luaToString(key)] = v;
      return undefined;
    },
  },

  // ----- kong.nginx -----
  'kong.nginx.get_var': {
    source: EXPOSED_API,
    impl: (k, [name]) => {
      const s = nginx(k);
      return nginxVar(s, String(name), k.env);
    },
  },
  'kong.nginx.get_ctx': {
    // ngx.ctx, or in the log timer the clone build_phases saved: KONG_PROXIED (kong/init.lua
    // Kong.access, set before the balancer), buffered_proxying (runloop/plugins_iterator.lua,
    // cleared by Kong.access when it cannot buffer) and the other keys of ngxCtxView
    source: `${EXPOSED_API} + kong/init.lua, kong/runloop/plugins_iterator.lua`,
    impl: (k, [key]) => (k.saved ? k.saved.ngxCtx : ngxCtxView(k.state))[luaToString(key)],
  },
  'kong.nginx.set_ctx': {
    source: EXPOSED_API,
    impl: (k, [key, value]) => {
      (k.saved ? k.saved.ngxCtx : k.state.ngxCtx)[luaToString(key)] = luaFromMsgpack(value);
      return undefined;
    },
  },
  'kong.nginx.req_start_time': { source: EXPOSED_API, impl: (k) => (k.saved ? k.saved.reqStartTime : k.state.startTimeMs / 1000) },
  'kong.nginx.get_subsystem': { source: NGINX_LUA, impl: () => 'http' },
  'kong.nginx.get_tls1_version_str': { source: EXPOSED_API, impl: (k) => (nginx(k).scheme === 'https' ? 'TLSv1.3' : undefined) },

  // ----- kong.node, kong.router, kong.ip, kong.plugin -----
  'kong.node.get_id': { source: NODE_LUA, impl: (k) => k.env.nodeId },
  'kong.node.get_hostname': { source: NODE_LUA, impl: (k) => k.env.hostname },
  'kong.node.get_memory_stats': {
    source: NODE_LUA,
    impl: () => ({
      lua_shared_dicts: { kong: { allocated_slabs: 12288, capacity: 5242880 }, kong_db_cache: { allocated_slabs: 12288, capacity: 134217728 } },
      workers_lua_vms: [{ http_allocated_gc: Math.round(process.memoryUsage().heapUsed / 1024), pid: process.pid }],
    }),
  },
  'kong.router.get_route': { source: ROUTER_LUA, impl: (k) => (checkPhase(k, PHASES.accessAndLater), k.state.route) },
  'kong.router.get_service': { source: ROUTER_LUA, impl: (k) => (checkPhase(k, PHASES.accessAndLater), k.state.service) },
  'kong.ip.is_trusted': {
    source: IP_LUA,
    impl: (k, [ip]) => {
      if (typeof ip !== 'string') throw new LuaError('address must be a string');
      return isTrusted(k, ip);
    },
  },
  'kong.plugin.get_id': { source: PLUGIN_LUA, impl: (k) => (checkPhase(k, PHASES.request), k.plugin.id) },

  // ----- kong.log -----
  'kong.log.serialize': {
    source: `${LOG_LUA} via ${EXPOSED_API} (JSON string)`,
    impl: (k) => {
      if (k.saved) return cjsonEncode(k.saved.serializeData, { arraysKeepMetatable: true });
      checkPhase(k, PHASES.log);
      return cjsonEncode(k.env.serialize(k.state), { arraysKeepMetatable: true });
    },
  },
  'kong.log.set_serialize_value': {
    source: LOG_LUA,
    impl: (k, [key, value, options]) => {
      if (typeof key !== 'string') throw new LuaError('key must be a string');
      const mode = isLuaTable(options) && !Array.isArray(options) ? String((options as Record<string, unknown>).mode ?? 'set') : 'set';
      if (!['set', 'add', 'replace'].includes(mode)) throw new LuaError(`mode must be 'set', 'add' or 'replace'`);
      k.state.serializeValues.push({ key, value: luaFromMsgpack(value), mode });
      return undefined;
    },
  },
  'kong.log.inspect': { source: LOG_LUA, impl: (k, args) => logLine(k, 'notice', args) },
  ...Object.fromEntries(LOG_LEVELS.map((level) => [`kong.log.${level}`, { source: LOG_LUA, impl: (k: PdkCallContext, args: unknown[]) => logLine(k, level, args) }])),
};

/** ngx.ctx as kong.nginx.get_ctx sees it: Kong's own keys plus those set by plugins. */
export function ngxCtxView(s: RequestState): Record<string, unknown> {
  return {
    route: s.route,
    service: s.service,
    authenticated_consumer: s.consumer,
    authenticated_credential: s.credential,
    KONG_PROCESSING_START: s.startTimeMs,
    KONG_PROXIED: s.proxied || undefined,
    KONG_EXITED: s.exited || undefined,
    KONG_UNEXPECTED: s.unexpected || undefined,
    buffered_proxying: s.bufferingRequested || undefined,
    ...s.ngxCtx,
  };
}

/** The nginx variables the harness models; any other name is a harness gap, not a nil. */
export function nginxVar(s: RequestState, name: string, env: PdkCallContext['env']): unknown {
  if (name.startsWith('http_')) return s.headers.variable(name.slice(5).replace(/_/g, '-'), nginxJoinsHeaders(env.version));
  if (name.startsWith('arg_')) {
    const v = decodeArgs(s.args, 100)[name.slice(4)];
    return typeof (Array.isArray(v) ? v[0] : v) === 'string' ? (Array.isArray(v) ? v[0] : v) : undefined;
  }
  if (name.startsWith('cookie_')) {
    const wanted = name.slice(7);
    for (const c of s.headers.values('cookie').join('; ').split(';')) {
      const [k, ...rest] = c.trim().split('=');
      if (k === wanted) return rest.join('=');
    }
    return undefined;
  }
  if (name.startsWith('upstream_http_')) return s.bufferedHeaders?.first(name.slice(14).replace(/_/g, '-'));
  const vars: Record<string, () => unknown> = {
    request_id: () => s.requestId,
    request_uri: () => s.requestUri,
    uri: () => s.requestUri.split('?')[0],
    args: () => s.args,
    is_args: () => (s.args ? '?' : ''),
    query_string: () => s.args,
    host: () => s.host,
    hostname: () => os.hostname(),
    scheme: () => s.scheme,
    https: () => (s.scheme === 'https' ? 'on' : ''),
    server_port: () => String(s.serverPort),
    server_addr: () => '127.0.0.1',
    server_protocol: () => s.serverProtocol,
    request: () => s.requestLine,
    remote_addr: () => s.realIp(env),
    remote_port: () => String(s.remotePort),
    realip_remote_addr: () => s.remoteAddr,
    realip_remote_port: () => String(s.remotePort),
    binary_remote_addr: () => undefined,
    request_method: () => s.method,
    request_length: () => String(s.requestLength),
    content_type: () => s.headers.first('content-type'),
    content_length: () => s.headers.first('content-length'),
    upstream_uri: () => (s.upstream ? s.upstream.uri + (s.args !== undefined ? `?${s.args}` : '') : undefined),
    upstream_scheme: () => s.upstream?.scheme,
    upstream_host: () => s.upstream?.hostHeader,
    upstream_x_forwarded_prefix: () => s.upstreamForwarded?.prefix,
    upstream_status: () => s.upstreamStatus,
    status: () => (s.status ? String(s.status) : undefined),
    msec: () => (Date.now() / 1000).toFixed(3),
    request_time: () => ((Date.now() - s.startTimeMs) / 1000).toFixed(3),
  };
  const get = vars[name];
  if (!get) throw new UnmodelledError(`nginx variable "${name}" is not modelled by the harness`);
  return get();
}

/** Exported for native (Lua-side) plugins written in TS, and for the header-value checks. */
export { headerTable, headerValue, normalizeHeaderName };
