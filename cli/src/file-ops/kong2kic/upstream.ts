/**
 * The upstream a service's host names, as KIC wants it: a KongUpstreamPolicy (KIC v3) or a
 * KongIngress `upstream` section (KIC v2), linked from the Kubernetes Service by annotation.
 * Targets are not converted: under KIC the Service's endpoints are the targets.
 */
import { calculateSlug } from './slug';
import { INGRESS_CLASS, KONG_V1, KONG_V1BETA1, type Manifest, type Obj, type Sink } from './types';
import { addTags, isObj, metadata, num, objs, str } from './values';

function matchingUpstream(content: Obj, host: string | undefined): Obj | undefined {
  if (host === undefined) return undefined;
  return objs(content, 'upstreams').find((u) => str(u, 'name')?.toLowerCase() === host.toLowerCase());
}

/** Whether the service's host is an upstream of the file (then the Service selects pods). */
export function hostIsUpstream(content: Obj, host: string | undefined): boolean {
  return matchingUpstream(content, host) !== undefined;
}

function pick(o: Obj, fields: Array<[string, string]>): Obj {
  const out: Obj = {};
  for (const [from, to] of fields) if (o[from] !== undefined && o[from] !== null) out[to] = o[from];
  return out;
}

function statuses(o: Obj): Obj {
  const v = o.http_statuses;
  return Array.isArray(v) && v.length ? { httpStatuses: v } : {};
}

function healthy(o: unknown): Obj | undefined {
  if (!isObj(o)) return undefined;
  return { ...pick(o, [['interval', 'interval'], ['successes', 'successes']]), ...statuses(o) };
}

function unhealthy(o: unknown): Obj | undefined {
  if (!isObj(o)) return undefined;
  const fields: Array<[string, string]> = [
    ['http_failures', 'httpFailures'],
    ['tcp_failures', 'tcpFailures'],
    ['timeouts', 'timeouts'],
    ['interval', 'interval'],
  ];
  return { ...pick(o, fields), ...statuses(o) };
}

function withParts(base: Obj, parts: Record<string, Obj | undefined>): Obj {
  for (const [k, v] of Object.entries(parts)) if (v !== undefined) base[k] = v;
  return base;
}

/** KongUpstreamPolicy's camelCase healthchecks (KIC v3). */
function policyHealthchecks(h: Obj): Obj {
  const out: Obj = { threshold: num(h, 'threshold') ?? 0 };
  if (isObj(h.active)) {
    const a = h.active;
    const fields: Array<[string, string]> = [
      ['type', 'type'],
      ['concurrency', 'concurrency'],
      ['http_path', 'httpPath'],
      ['https_sni', 'httpsSni'],
      ['https_verify_certificate', 'httpsVerifyCertificate'],
      ['timeout', 'timeout'],
      ['headers', 'headers'],
    ];
    out.active = withParts(pick(a, fields), { healthy: healthy(a.healthy), unhealthy: unhealthy(a.unhealthy) });
  }
  if (isObj(h.passive)) {
    const p = h.passive;
    out.passive = withParts(pick(p, [['type', 'type']]), { healthy: healthy(p.healthy), unhealthy: unhealthy(p.unhealthy) });
  }
  return out;
}

function upstreamPolicy(upstream: Obj, serviceName: string): Manifest {
  const spec: Obj = pick(upstream, [['algorithm', 'algorithm'], ['slots', 'slots']]);
  // KIC takes hashing settings only for the consistent-hashing algorithm.
  if (str(upstream, 'algorithm') === 'consistent-hashing') {
    if (upstream.hash_on !== undefined) {
      spec.hashOn = pick(upstream, [
        ['hash_on', 'input'],
        ['hash_on_header', 'header'],
        ['hash_on_cookie', 'cookie'],
        ['hash_on_cookie_path', 'cookiePath'],
        ['hash_on_query_arg', 'queryArg'],
        ['hash_on_uri_capture', 'uriCapture'],
      ]);
    }
    if (upstream.hash_fallback !== undefined) {
      spec.hashOnFallback = pick(upstream, [
        ['hash_fallback', 'input'],
        ['hash_fallback_header', 'header'],
        ['hash_fallback_query_arg', 'queryArg'],
        ['hash_fallback_uri_capture', 'uriCapture'],
      ]);
    }
  }
  if (isObj(upstream.healthchecks)) spec.healthchecks = policyHealthchecks(upstream.healthchecks);
  const annotations: Obj = {};
  addTags(annotations, upstream.tags);
  return { apiVersion: KONG_V1BETA1, kind: 'KongUpstreamPolicy', metadata: metadata(calculateSlug(`${serviceName}-upstream`), annotations), spec };
}

const KONG_INGRESS_UPSTREAM_FIELDS = [
  'host_header',
  'algorithm',
  'slots',
  'healthchecks',
  'hash_on',
  'hash_fallback',
  'hash_on_header',
  'hash_fallback_header',
  'hash_on_cookie',
  'hash_on_cookie_path',
  'hash_on_query_arg',
  'hash_fallback_query_arg',
  'hash_on_uri_capture',
  'hash_fallback_uri_capture',
];

function kongIngress(upstream: Obj, serviceName: string, className: string): Manifest {
  const annotations: Obj = { [INGRESS_CLASS]: className };
  addTags(annotations, upstream.tags);
  const section = pick(
    upstream,
    KONG_INGRESS_UPSTREAM_FIELDS.map((f) => [f, f]),
  );
  return { apiVersion: KONG_V1, kind: 'KongIngress', metadata: metadata(calculateSlug(`${serviceName}-upstream`), annotations), upstream: section };
}

/** The upstream of a service, if its host names one; the Service's annotations get the link. */
export function convertUpstream(content: Obj, serviceName: string, host: string | undefined, annotations: Obj, sink: Sink): void {
  const upstream = matchingUpstream(content, host);
  if (!upstream) return;
  if (sink.target.version === 3) {
    const policy = upstreamPolicy(upstream, serviceName);
    annotations['konghq.com/upstream-policy'] = (policy.metadata as Obj).name;
    sink.out.kongUpstreamPolicies.push(policy);
  } else {
    const ki = kongIngress(upstream, serviceName, sink.target.className);
    annotations['konghq.com/override'] = (ki.metadata as Obj).name;
    sink.out.kongIngresses.push(ki);
  }
}
