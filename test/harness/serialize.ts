/**
 * kong.log.serialize() (kong/pdk/log.lua `serialize`), in the shape the 3.4.2 trace shows:
 * request {uri, url, querystring, method, headers, size}, upstream_uri, upstream_status
 * (see upstreamStatus), response
 * {status, headers, size}, tries, latencies {kong, proxy (-1 when not proxied), request},
 * route, service, consumer, authenticated_entity, client_ip, started_at. Authorization headers
 * are redacted as log.lua does. Newer fields of Kong >= 3.5 (request id, workspace name,
 * source) are not modelled.
 */
import { decodeArgs } from './uri';
import { withoutNulls } from './entities';
import type { HeaderList } from './headers';
import type { RequestState } from './request-state';
import type { KongVersion } from './kong-version';

export interface SerializeContext {
  responseHeaders: HeaderList;
  /** $remote_addr, after nginx's realip module. */
  clientIp: string;
  version: KongVersion;
}

export function serialize(s: RequestState, { responseHeaders, clientIp, version }: SerializeContext): Record<string, unknown> {
  const now = Date.now();
  const requestHeaders = s.headers.toLuaTable(100);
  for (const h of ['authorization', 'proxy-authorization']) if (requestHeaders[h] !== undefined) requestHeaders[h] = 'REDACTED';
  const kongDone = s.kongDoneAtMs ?? now;
  const upstreamLatency = s.upstreamLatencyMs;
  const data: Record<string, unknown> = {
    request: {
      uri: s.requestUri,
      url: `${s.scheme}://${s.host}:${s.serverPort}${s.requestUri}`,
      querystring: decodeArgs(s.args, 100),
      method: s.method,
      headers: requestHeaders,
      size: s.requestLength,
    },
    upstream_uri: s.upstream ? s.upstream.uri + s.upstreamQuery() : '',
    upstream_status: upstreamStatus(s, version),
    response: {
      status: s.status,
      headers: responseHeaders.toLuaTable(100),
      size: s.responseBody.length + responseHeaders.all().reduce((n, [k, v]) => n + k.length + v.length + 4, 0) + 17,
    },
    tries: s.tries.map((t) => ({
      balancer_start: t.balancerStartMs,
      balancer_start_ns: t.balancerStartMs * 1e6,
      ip: t.ip,
      port: t.port,
      balancer_latency: t.balancerLatencyMs,
      balancer_latency_ns: t.balancerLatencyMs * 1e6,
    })),
    latencies: {
      kong: Math.max(0, kongDone - s.startTimeMs - (upstreamLatency ?? 0)),
      // ctx.KONG_WAITING_TIME or -1: Kong.access marks the request proxied before the
      // balancer, so a failed connection still reports the time waited
      proxy: s.proxied && upstreamLatency !== undefined ? upstreamLatency : -1,
      request: Math.max(0, (s.responseSentAtMs ?? now) - s.startTimeMs),
    },
    client_ip: clientIp,
    started_at: s.startTimeMs,
  };
  if (s.route) data.route = withoutNulls(s.route);
  if (s.service) data.service = withoutNulls(s.service);
  if (s.consumer) data.consumer = s.consumer;
  if (s.credential) {
    const cred = s.credential as Record<string, unknown>;
    data.authenticated_entity = { id: cred.id, consumer_id: cred.consumer_id };
  }
  for (const { key, value, mode } of s.serializeValues) setPath(data, key, value, mode);
  return data;
}

/**
 * Buffered proxying goes through a subrequest, which leaves the main request's $upstream_status
 * empty: 3.4 logs "", and from 3.8 (CHANGELOG 3.8.0, #12953) log.lua falls back to
 * ctx.buffered_status, a number.
 */
function upstreamStatus(s: RequestState, version: KongVersion): unknown {
  if (!s.buffered) return s.upstreamStatus ?? '';
  return version.atLeast(3, 8) && s.bufferedStatus !== undefined ? s.bufferedStatus : '';
}

/** kong.log.set_serialize_value: dotted keys, modes set / add (only if absent) / replace (only if present). */
function setPath(root: Record<string, unknown>, key: string, value: unknown, mode: string): void {
  const parts = key.split('.');
  let node: Record<string, unknown> = root;
  for (const p of parts.slice(0, -1)) {
    if (node[p] === null || typeof node[p] !== 'object') {
      if (mode === 'replace') return;
      node[p] = {};
    }
    node = node[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1];
  if (mode === 'add' && node[last] !== undefined) return;
  if (mode === 'replace' && node[last] === undefined) return;
  node[last] = value;
}
