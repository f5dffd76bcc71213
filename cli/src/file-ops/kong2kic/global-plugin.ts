/**
 * The file's global plugins → KongClusterPlugins, labelled `global: "true"` so that KIC applies
 * them to every request. Top-level plugins scoped to a service, route or consumer are not
 * global: they were moved to their owner (top-level.ts).
 */
import { pluginFields } from './plugin';
import { calculateSlug } from './slug';
import { INGRESS_CLASS, KONG_V1, type Manifest, type Obj, type Sink } from './types';
import { addTags, metadata, objs, str } from './values';

export const SCOPES = ['service', 'route', 'consumer', 'consumer_group'] as const;

export function convertGlobalPlugins(content: Obj, sink: Sink): void {
  objs(content, 'plugins').forEach((plugin, i) => {
    if (SCOPES.some((s) => plugin[s] !== undefined && plugin[s] !== null)) return;
    const name = str(plugin, 'name');
    if (!name) {
      sink.warnings.push(`plugins[${i}]: a plugin without a name is not converted`);
      return;
    }
    const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
    addTags(annotations, plugin.tags);
    const manifest: Manifest = {
      apiVersion: KONG_V1,
      kind: 'KongClusterPlugin',
      metadata: metadata(calculateSlug(name), annotations, { global: 'true' }),
      plugin: name,
    };
    pluginFields(plugin, manifest);
    sink.out.kongClusterPlugins.push(manifest);
  });
}
