/**
 * The four targets decK builds for (kong2kic/builder_v{2,3}_{gw,ingress}_api.go): they differ
 * in how routes are written (HTTPRoutes for the Gateway API, Ingresses for the Ingress API),
 * and, between KIC v2 and v3, in the HTTPRoute version, the upstream resource (KongIngress or
 * KongUpstreamPolicy) and how credential Secrets say their type. The rest is common. As decK's
 * Director, consumer groups come after consumers, whose KongConsumers they add themselves to.
 */
import { convertCaCertificates } from './ca-certificate';
import { attachPartners } from './combined-scope';
import { convertCertificates } from './certificate';
import { convertConsumers } from './consumer';
import { convertConsumerGroups } from './consumer-group';
import { convertGlobalPlugins } from './global-plugin';
import { checkDistinctNames } from './names';
import { convertRoutesToHTTPRoutes } from './route-gateway';
import { convertRoutesToIngresses } from './route-ingress';
import { convertServices } from './service';
import { nestTopLevel } from './top-level';
import { emptyContent, type KicContent, type KicTarget, type Obj, type Sink } from './types';

export function kong2kic(content: Obj, target: KicTarget): { out: KicContent; warnings: string[] } {
  const sink: Sink = { target, content, out: emptyContent(), warnings: [], partners: [] };
  const nested = nestTopLevel(content, sink);
  sink.content = nested;
  convertServices(nested, sink);
  if (target.api === 'gateway') convertRoutesToHTTPRoutes(nested, sink);
  else convertRoutesToIngresses(nested, sink);
  convertGlobalPlugins(nested, sink);
  convertConsumers(nested, sink);
  convertConsumerGroups(nested, sink);
  convertCaCertificates(nested, sink);
  convertCertificates(nested, sink);
  attachPartners(sink);
  checkDistinctNames(sink.out);
  return { out: sink.out, warnings: sink.warnings };
}
