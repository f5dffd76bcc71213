/**
 * Kong routes → HTTPRoutes (the Gateway API; `gateway.networking.k8s.io/v1` for KIC v3,
 * `v1beta1` for KIC v2): a rule per path and method, each matching the route's headers and
 * sending to the service; the route's plugins are ExtensionRef filters on every rule.
 */
import { kongPlugin } from './plugin';
import { calculateSlug } from './slug';
import type { Manifest, Obj, Sink } from './types';
import { isObj, metadata, num, objs, strings } from './values';
import { commonRouteAnnotations, namedRoutes } from './route-ingress';

function headerMatches(route: Obj): Obj[] {
  if (!isObj(route.headers)) return [];
  // Sorted, so that the output does not depend on the order the file lists them in.
  return Object.keys(route.headers)
    .sort()
    .flatMap((name) => {
      const values = (route.headers as Obj)[name];
      if (!Array.isArray(values) || values.length === 0) return [];
      const v = values.map(String);
      // Kong reads one value starting with ~* as a regular expression.
      if (v.length === 1 && v[0].startsWith('~*')) return [{ name, type: 'RegularExpression', value: v[0].slice(2) }];
      return [{ name, type: 'Exact', value: v.join(',') }];
    });
}

export function convertRoutesToHTTPRoutes(content: Obj, sink: Sink): void {
  for (const { service, serviceName, route, routeName } of namedRoutes(content, sink)) {
    const annotations: Obj = {};
    commonRouteAnnotations(route, annotations);
    const spec: Obj = {};
    const hosts = strings(route, 'hosts');
    if (hosts?.length) spec.hostnames = hosts;
    spec.parentRefs = [{ name: sink.target.className }];
    const port = num(service, 'port');
    const backendRefs = [port === undefined ? { name: serviceName } : { name: serviceName, port }];
    const headers = headerMatches(route);
    const withHeaders = (m: Obj): Obj => (headers.length ? { ...m, headers } : m);
    const methods = strings(route, 'methods');
    const paths = strings(route, 'paths');
    const rules: Obj[] = [];
    if (paths) {
      for (const p of paths) {
        const path = p.startsWith('~') ? { type: 'RegularExpression', value: p.slice(1) } : { type: 'PathPrefix', value: p };
        if (!methods) rules.push({ matches: [withHeaders({ path })], backendRefs });
        for (const method of methods ?? []) rules.push({ matches: [withHeaders({ path, method })], backendRefs });
      }
    } else {
      for (const method of methods ?? []) rules.push({ matches: [withHeaders({ method })], backendRefs });
    }
    for (const plugin of objs(route, 'plugins')) {
      const slug = kongPlugin(plugin, { scope: 'route', name: `${serviceName}-${routeName}`, service }, sink, `route ${routeName}`);
      if (!slug) continue;
      const filter = { type: 'ExtensionRef', extensionRef: { group: 'configuration.konghq.com', kind: 'KongPlugin', name: slug } };
      for (const r of rules) r.filters = [...((r.filters as Obj[] | undefined) ?? []), filter];
    }
    if (rules.length) spec.rules = rules;
    const apiVersion = sink.target.version === 3 ? 'gateway.networking.k8s.io/v1' : 'gateway.networking.k8s.io/v1beta1';
    const manifest: Manifest = { apiVersion, kind: 'HTTPRoute', metadata: metadata(calculateSlug(`${serviceName}-${routeName}`), annotations), spec };
    sink.out.httpRoutes.push(manifest);
  }
}
