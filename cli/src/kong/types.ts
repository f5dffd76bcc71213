/**
 * The Admin API as the rest of kong-ctl sees it. kong/client.ts implements it over axios
 * (retries, TLS, headers, timeouts); tests and the benchmark simulator talk to it through nock
 * or a loopback server, never through a fake of this interface.
 */

export interface ConnectionOptions {
  /** `--kong-addr` / KONG_ADDR, default http://localhost:8001. */
  kongAddr: string;
  /** `--header 'Name: value'`, repeatable. */
  headers: string[];
  /** `--ca-cert FILE`: PEM bundle trusted for https. */
  caCert?: string;
  /** `--tls-skip-verify`. */
  tlsSkipVerify?: boolean;
  /** `--tls-client-cert` / `--tls-client-key`: a PEM file (or the PEM itself) for an Admin API that wants mutual TLS. */
  tlsClientCert?: string;
  tlsClientKey?: string;
  /** `--tls-server-name`: the name sent in SNI and checked in the server certificate, when the address does not carry it. */
  tlsServerName?: string;
  /** `--timeout` in seconds per request. */
  timeoutSeconds?: number;
  /** Retry budget for retryable failures (network errors, 429, 502, 503, 504) on idempotent requests. */
  maxRetries?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Raw body string with its content type (POST /config must arrive as text for check_hash). */
  rawBody?: { contentType: string; text: string };
  /**
   * Whether repeating the request cannot do harm. GET/PUT/DELETE default to true, POST/PATCH
   * to false; only idempotent requests are ever retried.
   */
  idempotent?: boolean;
  /** Statuses that are answers, not errors (e.g. 304, 404). */
  acceptStatus?: number[];
}

export interface AdminResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string>;
}

export interface AdminClient {
  readonly baseUrl: string;
  request<T = unknown>(method: HttpMethod, path: string, opts?: RequestOptions): Promise<AdminResponse<T>>;
  /** Every page of a collection (`size=1000`, following `offset`), concatenated. */
  listAll<T = Record<string, unknown>>(path: string, query?: Record<string, string | number | undefined>): Promise<T[]>;
  /** Requests made so far, for reports and benchmarks. */
  readonly stats: { requests: number; retries: number; writes: number };
}

/**
 * A Kong error answer, as kong/db/errors.lua shapes it: `{code, name, message, fields}`.
 * Thrown by the client for any status not accepted; carries what apply reports per entity.
 */
export class AdminApiError extends Error {
  constructor(
    readonly method: HttpMethod,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(describeAdminError(method, path, status, body));
    this.name = 'AdminApiError';
  }

  /** Kong's per-field errors (`fields`), flattened to `path: message` lines. */
  get fieldErrors(): string[] {
    const b = this.body as { fields?: unknown } | undefined;
    return flattenFields(b?.fields);
  }
}

/**
 * An HTML error page comes from nginx itself (a proxy in front of the Admin API, or the admin
 * listener's own `ssl_verify_client`), not from Kong: its title says what happened.
 */
function fromHtmlPage(body: string): string | undefined {
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim().replace(/^\d{3}\s+/, '');
  if (!title) return undefined;
  if (/No required SSL certificate was sent|SSL certificate error/i.test(title)) {
    return `${title}: the Admin API wants mutual TLS with a certificate it trusts (--tls-client-cert FILE --tls-client-key FILE)`;
  }
  return title;
}

function describeAdminError(method: string, path: string, status: number, body: unknown): string {
  const b = body as { message?: unknown; name?: unknown } | undefined;
  const msg = b && typeof b.message === 'string' ? b.message : typeof body === 'string' ? (fromHtmlPage(body) ?? body) : '';
  return `${method} ${path} → ${status}${msg ? `: ${msg}` : ''}`;
}

export function flattenFields(fields: unknown, prefix = ''): string[] {
  if (fields === null || fields === undefined) return [];
  if (typeof fields === 'string') return [`${prefix || '(entity)'}: ${fields}`];
  if (Array.isArray(fields)) return fields.flatMap((f, i) => flattenFields(f, prefix ? `${prefix}[${i}]` : `[${i}]`));
  if (typeof fields === 'object') {
    const out: string[] = [];
    for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
      const p = k === '@entity' ? prefix : prefix ? `${prefix}.${k}` : k;
      out.push(...flattenFields(v, p));
    }
    return out;
  }
  return [`${prefix}: ${String(fields)}`];
}
