/**
 * The Admin API client (contract in ./types.ts) over axios: one keep-alive agent per run,
 * headers from --header, TLS from --ca-cert / --tls-skip-verify, a per-request --timeout, and
 * retries with exponential backoff and full jitter for idempotent requests only.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { KongCtlError } from '../model/errors';
import { parseHeaders } from './headers';
import { DEFAULT_MAX_RETRIES, DEFAULT_RETRY_TUNING, RETRYABLE_STATUSES, backoffDelay, parseRetryAfter, type RetryTuning } from './retry';
import { classifyTransportError, transportFailureToError } from './transport-errors';
import { AdminApiError, type AdminClient, type AdminResponse, type ConnectionOptions, type HttpMethod, type RequestOptions } from './types';

export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Kong's maximum page size (kong/api/endpoints.lua): fewest round trips for 20k consumers. */
export const LIST_PAGE_SIZE = 1000;

/** An AdminClient that owns sockets: `close()` lets a long-lived process (tests, benchmarks) release them. */
export interface KongAdminClient extends AdminClient {
  close(): void;
}

function normalizeBaseUrl(addr: string): string {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new KongCtlError('E_USAGE', `invalid --kong-addr '${addr}': expected a URL such as http://localhost:8001`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KongCtlError('E_USAGE', `invalid --kong-addr '${addr}': only http:// and https:// are supported`);
  }
  if (url.search || url.hash) {
    throw new KongCtlError('E_USAGE', `invalid --kong-addr '${addr}': a query string or fragment is not allowed`);
  }
  // Keep a path prefix (Kong behind a reverse proxy at /admin) but never a trailing slash.
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * A PEM option: kong-ctl's flags name a file; decK's `--ca-cert`, `--tls-client-cert` and
 * `--tls-client-key` (and their DECK_* variables) give the PEM itself, which is taken as is.
 */
function readPem(flag: string, value: string, marker: RegExp, what: string): string {
  if (value.includes('-----BEGIN ')) {
    if (!marker.test(value)) throw new KongCtlError('E_USAGE', `${flag} holds no PEM ${what}`);
    return value;
  }
  let pem: string;
  try {
    pem = readFileSync(value, 'utf8');
  } catch (err) {
    throw new KongCtlError('E_FILE_READ', `cannot read ${flag} ${value}: ${(err as Error).message}`);
  }
  if (!marker.test(pem)) throw new KongCtlError('E_USAGE', `${flag} ${value} holds no PEM ${what}`);
  return pem;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
const PRIVATE_KEY = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

function readCaCert(value: string): string {
  return readPem('--ca-cert', value, CERTIFICATE, 'certificate (expected -----BEGIN CERTIFICATE-----)');
}

/** Mutual TLS: a certificate and its key, both or neither. */
function clientIdentity(opts: ConnectionOptions): { cert?: string; key?: string } {
  if (!opts.tlsClientCert && !opts.tlsClientKey) return {};
  if (!opts.tlsClientCert || !opts.tlsClientKey) {
    throw new KongCtlError('E_USAGE', 'mutual TLS needs both --tls-client-cert and --tls-client-key: give the certificate and its private key');
  }
  return {
    cert: readPem('--tls-client-cert', opts.tlsClientCert, CERTIFICATE, 'certificate (expected -----BEGIN CERTIFICATE-----)'),
    key: readPem('--tls-client-key', opts.tlsClientKey, PRIVATE_KEY, 'private key (expected -----BEGIN … PRIVATE KEY-----)'),
  };
}

function timeoutSecondsOf(opts: ConnectionOptions): number {
  const t = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isFinite(t) || t <= 0) {
    throw new KongCtlError('E_USAGE', `invalid --timeout '${String(opts.timeoutSeconds)}': expected a positive number of seconds`);
  }
  return t;
}

function flatHeaders(res: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = (res.headers ?? {}) as Record<string, unknown>;
  const plain = typeof (raw as { toJSON?: unknown }).toJSON === 'function' ? (raw as { toJSON(): Record<string, unknown> }).toJSON() : raw;
  for (const [k, v] of Object.entries(plain)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * Percent-encoding with `%20` for spaces (never `+`, which a form decoder would read back as a
 * space but a path decoder would not), keeping `,` literal as Kong's own `next` links do (`tags=a,b`).
 */
export function serializeQuery(params: Record<string, unknown>): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%2C/gi, ',');
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`)
    .join('&');
}

function authError(baseUrl: string, method: string, path: string, status: number, body: unknown): KongCtlError {
  const kongMsg = (body as { message?: unknown } | undefined)?.message;
  const said = typeof kongMsg === 'string' && kongMsg ? ` (${kongMsg})` : '';
  const hint =
    status === 401
      ? "pass an admin token with --header 'Kong-Admin-Token: …' (or KONG_CTL_HEADERS), or the credentials your Admin API gateway expects"
      : "the credentials were accepted but lack permission: grant this RBAC user/role access to the endpoint (or use --header 'Kong-Admin-Token: …' with a token that has it)";
  return new KongCtlError(
    'E_KONG_AUTH',
    `Kong Admin API at ${baseUrl} refused ${method} ${path}: ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}${said}; ${hint}`,
  );
}

export function createAdminClient(opts: ConnectionOptions, tuning: Partial<RetryTuning> = {}): KongAdminClient {
  const baseUrl = normalizeBaseUrl(opts.kongAddr);
  const headers = parseHeaders(opts.headers ?? []);
  const timeoutSeconds = timeoutSecondsOf(opts);
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new KongCtlError('E_USAGE', `invalid retry budget ${String(opts.maxRetries)}: expected a whole number ≥ 0`);
  }
  const t: RetryTuning = { ...DEFAULT_RETRY_TUNING, ...tuning };

  const httpAgent = new http.Agent({ keepAlive: true });
  // --ca-cert adds to the public roots rather than replacing them, so a Kong behind a public
  // certificate keeps working when a private CA bundle is also given.
  const httpsAgent = new https.Agent({
    keepAlive: true,
    ca: opts.caCert ? [...rootCertificates, readCaCert(opts.caCert)] : undefined,
    rejectUnauthorized: !opts.tlsSkipVerify,
    ...clientIdentity(opts),
    ...(opts.tlsServerName ? { servername: opts.tlsServerName } : {}),
  });

  const ax: AxiosInstance = axios.create({
    timeout: Math.round(timeoutSeconds * 1000),
    httpAgent,
    httpsAgent,
    // The Admin API never redirects; a 3xx (304 from POST /config?check_hash) is an answer.
    maxRedirects: 0,
    // axios' env-proxy support does not tunnel https (no CONNECT); talk to Kong directly.
    proxy: false,
    validateStatus: () => true,
    paramsSerializer: { serialize: serializeQuery },
    // ETIMEDOUT for timeouts; a body that is not JSON (GET /config's YAML) stays a string.
    transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
    headers: { 'User-Agent': 'kong-ctl', Accept: 'application/json' },
  });

  const stats = { requests: 0, retries: 0, writes: 0 };

  async function request<T = unknown>(method: HttpMethod, path: string, ro: RequestOptions = {}): Promise<AdminResponse<T>> {
    const rel = path.startsWith('/') ? path : `/${path}`;
    const idempotent = ro.idempotent ?? (method === 'GET' || method === 'PUT' || method === 'DELETE');
    const accept = new Set(ro.acceptStatus ?? []);
    if (method !== 'GET') stats.writes++;

    const reqHeaders: Record<string, string> = { ...headers };
    // Serialised here, not by axios: its config merge deep-copies an object body and skips every
    // `__proto__`, `constructor` and `prototype` key at any depth (its prototype-pollution guard),
    // so a plugin's `headers: { constructor: … }` would never reach Kong.
    let data: unknown = ro.body === undefined ? undefined : JSON.stringify(ro.body);
    if (data !== undefined) reqHeaders['Content-Type'] = 'application/json';
    if (ro.rawBody) {
      reqHeaders['Content-Type'] = ro.rawBody.contentType;
      data = ro.rawBody.text;
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(ro.query ?? {})) if (v !== undefined) params[k] = String(v);

    for (let attempt = 0; ; attempt++) {
      stats.requests++;
      let res: AxiosResponse;
      try {
        res = await ax.request({
          method,
          url: baseUrl + rel,
          params,
          data,
          headers: reqHeaders,
        });
      } catch (err) {
        const failure = classifyTransportError(err);
        if (!failure) throw err;
        if (idempotent && failure.retryable && attempt < maxRetries) {
          stats.retries++;
          await t.sleep(backoffDelay(attempt, t));
          continue;
        }
        throw transportFailureToError(failure, { baseUrl, method, path: rel, idempotent, retries: attempt, timeoutSeconds });
      }

      const status = res.status;
      if ((status >= 200 && status < 300) || accept.has(status)) {
        return { status, data: res.data as T, headers: flatHeaders(res) };
      }
      if (idempotent && RETRYABLE_STATUSES.has(status) && attempt < maxRetries) {
        stats.retries++;
        const asked = status === 429 || status === 503 ? parseRetryAfter(flatHeaders(res)['retry-after'], t.now(), t.maxRetryAfterMs) : undefined;
        await t.sleep(asked ?? backoffDelay(attempt, t));
        continue;
      }
      if (status === 401 || status === 403) throw authError(baseUrl, method, rel, status, res.data);
      throw new AdminApiError(method, rel, status, res.data);
    }
  }

  async function listAll<T = Record<string, unknown>>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T[]> {
    const out: T[] = [];
    const seen = new Set<string>();
    let offset: string | undefined;
    do {
      const res = await request<{ data?: unknown; offset?: unknown }>('GET', path, {
        query: { size: LIST_PAGE_SIZE, ...query, offset },
      });
      const body = res.data;
      if (!body || typeof body !== 'object' || !Array.isArray(body.data)) {
        throw new KongCtlError('E_KONG_HTTP', `GET ${path} did not return a Kong collection ({"data": […]}); is ${baseUrl} a Kong Admin API?`);
      }
      out.push(...(body.data as T[]));
      offset = typeof body.offset === 'string' && body.offset !== '' ? body.offset : undefined;
      if (offset !== undefined) {
        if (seen.has(offset)) throw new KongCtlError('E_KONG_HTTP', `GET ${path} returned the same page offset twice; refusing to loop`);
        seen.add(offset);
      }
    } while (offset !== undefined);
    return out;
  }

  return {
    baseUrl,
    request,
    listAll,
    stats,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
