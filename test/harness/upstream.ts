/**
 * Proxying to the Service over real HTTP, as Kong's `proxy_pass` does once the access phase is
 * over (kong/templates/nginx_kong.lua: `proxy_set_header` Host / X-Forwarded-* / X-Real-IP,
 * hop-by-hop headers dropped on the way back).
 */
import http from 'node:http';
import https from 'node:https';
import { HeaderList } from './headers';
import { toLatin1 } from './lua-strings';

export interface UpstreamRequest {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  method: string;
  /** Path and query as sent upstream (ngx.var.upstream_uri). */
  path: string;
  headers: HeaderList;
  body: Buffer;
  timeouts: { connect: number; write: number; read: number };
}

export interface UpstreamResponse {
  status: number;
  headers: HeaderList;
  body: Buffer;
}

/** Thrown by a transport when no response arrives; `kind` picks Kong's 502 or 504. */
export class UpstreamError extends Error {
  constructor(
    readonly kind: 'connect' | 'timeout' | 'protocol',
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export type UpstreamTransport = (req: UpstreamRequest) => Promise<UpstreamResponse>;

/** Headers nginx's proxy module does not pass between client and upstream. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);

/** A fresh connection per request (`agent: false`): what every test gets from httpUpstream. */
export const httpUpstream: UpstreamTransport = (req) => proxyOverHttp(req, false);

/**
 * Over kept-alive connections of `agent` (plain HTTP; https still connects afresh), as Kong reuses
 * upstream connections (upstream_keepalive_pool_size): what a benchmark of a busy route wants.
 */
export function keepAliveHttpUpstream(agent: http.Agent): UpstreamTransport {
  return (req) => proxyOverHttp(req, req.scheme === 'https' ? false : agent);
}

function proxyOverHttp(req: UpstreamRequest, agent: http.Agent | false): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    const mod = req.scheme === 'https' ? https : http;
    const raw: string[] = [];
    for (const [k, v] of req.headers.all()) if (!HOP_BY_HOP.has(k.toLowerCase())) raw.push(toLatin1(k), toLatin1(v));
    const r = mod.request(
      {
        host: req.host,
        port: req.port,
        method: req.method,
        // Node writes the request head as Latin-1: one byte per char, the bytes nginx would send
        path: toLatin1(req.path),
        headers: raw,
        agent,
        rejectUnauthorized: false,
        timeout: req.timeouts.read,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: HeaderList.fromRaw(res.rawHeaders), body: Buffer.concat(chunks) }));
        res.on('error', (e) => reject(new UpstreamError('protocol', e.message)));
      },
    );
    r.on('timeout', () => r.destroy(new UpstreamError('timeout', 'upstream timed out')));
    r.on('error', (e) => reject(e instanceof UpstreamError ? e : new UpstreamError('connect', e.message)));
    r.end(req.body);
  });
}
