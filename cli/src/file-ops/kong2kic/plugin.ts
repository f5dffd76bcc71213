/** KongPlugin (and KongClusterPlugin) fields from a decK plugin, as decK's createKongPlugin. */
import { calculateSlug } from './slug';
import { INGRESS_CLASS, KONG_V1, type Manifest, type Obj, type Sink } from './types';
import { addTags, bool, isObj, metadata, str, strings } from './values';

export function pluginFields(plugin: Obj, into: Manifest): void {
  const enabled = bool(plugin, 'enabled');
  // `disabled: false` is Go's zero value, which omitempty leaves out.
  if (enabled === false) into.disabled = true;
  const runOn = str(plugin, 'run_on');
  if (runOn) into.run_on = runOn;
  if (isObj(plugin.ordering)) into.ordering = plugin.ordering;
  const protocols = strings(plugin, 'protocols');
  if (protocols?.length) into.protocols = protocols;
  if (plugin.config !== undefined) into.config = plugin.config;
}

/** The fields that scope a Kong plugin, the kind of entity each names. */
export type PluginScope = 'service' | 'route' | 'consumer' | 'consumer_group';
const SCOPES: readonly PluginScope[] = ['service', 'route', 'consumer', 'consumer_group'];

/**
 * A KongPlugin named after its owner and the plugin; the name it got, for the owner's
 * `konghq.com/plugins` annotation or HTTPRoute filter. Plugins without a name are skipped.
 * `scope` is the kind of the owner the plugin is attached to. A plugin that a second field
 * narrows as well (a service's plugin for one consumer) is attached to its owner alone, as decK
 * does: it then acts for every consumer, which is said on stderr.
 */
export function kongPlugin(plugin: Obj, owner: string, sink: Sink, where: string, scope: PluginScope): string | undefined {
  const name = str(plugin, 'name');
  if (!name) {
    sink.warnings.push(`${where}: a plugin without a name is not converted`);
    return undefined;
  }
  const dropped = SCOPES.filter((s) => s !== scope && plugin[s] !== undefined && plugin[s] !== null);
  if (dropped.length) {
    sink.warnings.push(
      `${where}: plugin ${name} is also scoped to a ${dropped.map((s) => s.replace('_', ' ')).join(' and a ')}, which the KongPlugin does not keep: ` +
        `it acts on all of the ${scope.replace('_', ' ')}'s traffic; attach the KongPlugin to both resources by hand if KIC should combine the scopes`,
    );
  }
  const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
  addTags(annotations, plugin.tags);
  const slug = calculateSlug(`${owner}-${name}`);
  const manifest: Manifest = { apiVersion: KONG_V1, kind: 'KongPlugin', metadata: metadata(slug, annotations), plugin: name };
  pluginFields(plugin, manifest);
  sink.out.kongPlugins.push(manifest);
  return slug;
}
