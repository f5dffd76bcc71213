/**
 * Kong routes → Ingresses (the Ingress API, the same for KIC v2 and v3): one Ingress per route,
 * a rule per host (or one rule without a host), a path per route path; the rest of the route
 * as `konghq.com/*` annotations.
 */
import { kongPlugin } from './plugin';
import { calculateSlug } from './slug';
import type { Manifest, Obj, Sink } from './types';
import { addPluginAnnotation, addTags, bool, isObj, metadata, num, objs, str, strings } from './values';
import { serviceFields } from './service';

/** The annotations both APIs take from a route: those the Ingress API alone takes are added by the caller. */
export function commonRouteAnnotations(route: Obj, annotations: Obj): void {
  for (const [field, key] of [
    ['strip_path', 'strip-path'],
    ['preserve_host', 'preserve-host'],
    ['request_buffering', 'request-buffering'],
    ['response_buffering', 'response-buffering'],
  ]) {
    const v = bool(route, field);
    if (v !== undefined) annotations[`konghq.com/${key}`] = String(v);
  }
  for (const [field, key] of [
    ['regex_priority', 'regex-priority'],
    ['https_redirect_status_code', 'https-redirect-status-code'],
  ]) {
    const v = num(route, field);
    if (v !== undefined) annotations[`konghq.com/${key}`] = String(v);
  }
  const pathHandling = str(route, 'path_handling');
  if (pathHandling !== undefined) annotations['konghq.com/path-handling'] = pathHandling;
  const snis = strings(route, 'snis');
  if (snis) annotations['konghq.com/snis'] = snis.join(',');
  addTags(annotations, route.tags);
}

/** Each route of each service, with the names an object of its own needs; unnamed ones are said and skipped. */
export function namedRoutes(content: Obj, sink: Sink): Array<{ service: Obj; serviceName: string; route: Obj; routeName: string }> {
  const out: Array<{ service: Obj; serviceName: string; route: Obj; routeName: string }> = [];
  objs(content, 'services').forEach((raw, i) => {
    const service = serviceFields(raw);
    const serviceName = str(service, 'name');
    objs(service, 'routes').forEach((route, j) => {
      const routeName = str(route, 'name');
      if (!serviceName || !routeName) {
        sink.warnings.push(`services[${i}].routes[${j}]: a route (or service) without a name is not converted`);
        return;
      }
      out.push({ service, serviceName, route, routeName });
    });
  });
  return out;
}

export function convertRoutesToIngresses(content: Obj, sink: Sink): void {
  for (const { service, serviceName, route, routeName } of namedRoutes(content, sink)) {
    const annotations: Obj = {};
    commonRouteAnnotations(route, annotations);
    const protocols = strings(route, 'protocols');
    if (protocols) annotations['konghq.com/protocols'] = protocols.join(',');
    const methods = strings(route, 'methods');
    if (methods) annotations['konghq.com/methods'] = methods.join(',');
    if (isObj(route.headers)) {
      for (const [key, values] of Object.entries(route.headers)) {
        if (Array.isArray(values)) annotations[`konghq.com/headers.${key}`] = values.join(',');
      }
    }
    const port = num(service, 'port');
    const backend = { service: port === undefined ? { name: serviceName } : { name: serviceName, port: { number: port } } };
    // Kong 3 regex paths start with ~; an Ingress path must start with /.
    const paths = (strings(route, 'paths') ?? []).map((p) => ({
      path: p.startsWith('~') ? `/${p}` : p,
      pathType: 'ImplementationSpecific',
      backend,
    }));
    const hosts = strings(route, 'hosts') ?? [];
    const rules = hosts.length ? hosts.map((host) => ({ host, http: { paths } })) : [{ http: { paths } }];
    for (const plugin of objs(route, 'plugins')) {
      const slug = kongPlugin(plugin, { scope: 'route', name: `${serviceName}-${routeName}`, service }, sink, `route ${routeName}`);
      if (slug) addPluginAnnotation(annotations, slug);
    }
    const manifest: Manifest = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: metadata(calculateSlug(`${serviceName}-${routeName}`), annotations),
      spec: { ingressClassName: sink.target.className, rules },
    };
    sink.out.ingresses.push(manifest);
  }
}
