/**
 * KIC scopes a Kong plugin to a consumer (or a consumer group) *and* a service (or a route) when
 * one KongPlugin is named by both resources: it makes one Kong plugin for each such pair
 * (`ForeignRelations.GetCombinations`, internal/util/relations.go; an HTTPRoute's ExtensionRef
 * filters count as its plugins annotation). So a decK plugin scoped to such a pair becomes a
 * KongPlugin that its owner and its partner both name, where decK attaches it to the owner alone
 * and it then acts for every consumer of the service. KIC cannot combine a service with a route
 * (it makes a plugin for each), a consumer with a consumer group (the consumer wins), nor three
 * scopes; those, and partners that are not in the file, leave the plugin on its owner alone,
 * said on stderr.
 */
import { calculateSlug } from './slug';
import type { Manifest, Obj, Sink } from './types';
import { addPluginAnnotation, isObj, objs, refersTo, refKeys, str } from './values';

export type PluginScope = 'service' | 'route' | 'consumer' | 'consumer_group';
export const SCOPES: readonly PluginScope[] = ['service', 'route', 'consumer', 'consumer_group'];

/** The entity a plugin is nested under: its kind, the name its manifest is made of, and for a route its service. */
export interface PluginOwner {
  scope: PluginScope;
  name: string;
  service?: Obj;
}

/** A partner's manifest, found by kind and name once every manifest is made. */
export interface PartnerRef {
  kind: 'KongConsumer' | 'KongConsumerGroup' | 'Service' | 'Ingress' | 'HTTPRoute';
  name: string;
  /** What the partner is called in messages and in the KongPlugin's name. */
  label: string;
}

const CONSUMER_SIDE: ReadonlySet<PluginScope> = new Set(['consumer', 'consumer_group']);

const spoken = (s: PluginScope) => s.replace('_', ' ');

const matches = (entity: Obj, ref: unknown, nameField: string) => refersTo(ref, entity, nameField);

/** The manifest the entity `ref` of kind `scope` becomes, if the file has it with the names a manifest needs. */
function partnerManifest(scope: PluginScope, ref: unknown, sink: Sink): PartnerRef | undefined {
  const content = sink.content;
  if (scope === 'consumer') {
    const username = objs(content, 'consumers').map((c) => (matches(c, ref, 'username') ? str(c, 'username') : undefined)).find(Boolean);
    return username ? { kind: 'KongConsumer', name: calculateSlug(username), label: username } : undefined;
  }
  if (scope === 'consumer_group') {
    const name = objs(content, 'consumer_groups').map((g) => (matches(g, ref, 'name') ? str(g, 'name') : undefined)).find(Boolean);
    return name ? { kind: 'KongConsumerGroup', name: calculateSlug(name), label: name } : undefined;
  }
  if (scope === 'service') {
    const name = objs(content, 'services').map((s) => (matches(s, ref, 'name') ? str(s, 'name') : undefined)).find(Boolean);
    return name ? { kind: 'Service', name: calculateSlug(name), label: name } : undefined;
  }
  for (const service of objs(content, 'services')) {
    const route = objs(service, 'routes').find((r) => matches(r, ref, 'name'));
    const serviceName = str(service, 'name');
    const routeName = route && str(route, 'name');
    if (route) {
      if (!serviceName || !routeName) return undefined;
      const label = `${serviceName}-${routeName}`;
      return { kind: sink.target.api === 'gateway' ? 'HTTPRoute' : 'Ingress', name: calculateSlug(label), label };
    }
  }
  return undefined;
}

/**
 * The partner a plugin nested under `owner` is combined with, or undefined when it has none (a
 * scope field naming the route's own service adds nothing). What KIC cannot keep is said on
 * stderr, and the plugin then stays on its owner alone.
 */
export function pluginPartner(plugin: Obj, owner: PluginOwner, sink: Sink, where: string): PartnerRef | undefined {
  const pluginName = str(plugin, 'name');
  const set = (s: PluginScope) => plugin[s] !== undefined && plugin[s] !== null;
  const others = SCOPES.filter((s) => s !== owner.scope && set(s)).filter(
    (s) => !(s === 'service' && owner.scope === 'route' && owner.service && matches(owner.service, plugin.service, 'name')),
  );
  if (!others.length) return undefined;
  const broadened = `the KongPlugin acts on all of the ${spoken(owner.scope)}'s traffic`;
  const [other] = others;
  if (others.length > 1 || CONSUMER_SIDE.has(other) === CONSUMER_SIDE.has(owner.scope)) {
    sink.warnings.push(
      `${where}: plugin ${pluginName} is also scoped to a ${others.map(spoken).join(' and a ')}, which KIC cannot combine with a ${spoken(owner.scope)}: ${broadened}`,
    );
    return undefined;
  }
  const partner = partnerManifest(other, plugin[other], sink);
  if (!partner) {
    const ref = refKeys(plugin[other])[0] ?? (isObj(plugin[other]) ? '(unnamed)' : String(plugin[other]));
    sink.warnings.push(`${where}: plugin ${pluginName} is also scoped to ${spoken(other)} ${ref}, which is not in the file with a name: ${broadened}`);
    return undefined;
  }
  return partner;
}

/** Names each combined KongPlugin from its partner's manifest too, once every manifest is made. */
export function attachPartners(sink: Sink): void {
  for (const { partner, slug, where } of sink.partners) {
    const bucket: Manifest[] = {
      KongConsumer: sink.out.kongConsumers,
      KongConsumerGroup: sink.out.kongConsumerGroups,
      Service: sink.out.services,
      Ingress: sink.out.ingresses,
      HTTPRoute: sink.out.httpRoutes,
    }[partner.kind];
    const manifest = bucket.find((m) => (m.metadata as Obj).name === partner.name);
    if (!manifest) continue; // its own conversion said why it is not there
    if (partner.kind === 'HTTPRoute') {
      const rules = ((manifest.spec as Obj).rules as Obj[] | undefined) ?? [];
      if (!rules.length) sink.warnings.push(`${where}: HTTPRoute ${partner.name} has no rule to attach KongPlugin ${slug} to`);
      const filter = { type: 'ExtensionRef', extensionRef: { group: 'configuration.konghq.com', kind: 'KongPlugin', name: slug } };
      for (const r of rules) r.filters = [...((r.filters as Obj[] | undefined) ?? []), filter];
      continue;
    }
    const meta = manifest.metadata as Obj;
    const annotations = (meta.annotations as Obj | undefined) ?? {};
    addPluginAnnotation(annotations, slug);
    meta.annotations = annotations;
  }
}
