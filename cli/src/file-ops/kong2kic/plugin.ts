/** KongPlugin (and KongClusterPlugin) fields from a decK plugin, as decK's createKongPlugin. */
import { pluginPartner, type PluginOwner } from './combined-scope';
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

/**
 * A KongPlugin named after its owner (and its partner, for a plugin KIC scopes to two resources:
 * combined-scope.ts) and the plugin; the name it got, for the owner's `konghq.com/plugins`
 * annotation or HTTPRoute filter. Plugins without a name are skipped.
 */
export function kongPlugin(plugin: Obj, owner: PluginOwner, sink: Sink, where: string): string | undefined {
  const name = str(plugin, 'name');
  if (!name) {
    sink.warnings.push(`${where}: a plugin without a name is not converted`);
    return undefined;
  }
  const partner = pluginPartner(plugin, owner, sink, where);
  const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
  addTags(annotations, plugin.tags);
  // The partner in the name, so that a service's plugins for two consumers get two KongPlugins.
  const slug = calculateSlug(partner ? `${owner.name}-${partner.label}-${name}` : `${owner.name}-${name}`);
  const manifest: Manifest = { apiVersion: KONG_V1, kind: 'KongPlugin', metadata: metadata(slug, annotations), plugin: name };
  pluginFields(plugin, manifest);
  sink.out.kongPlugins.push(manifest);
  if (partner) sink.partners.push({ partner, slug, where });
  return slug;
}
