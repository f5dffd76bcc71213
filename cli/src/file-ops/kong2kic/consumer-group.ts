/**
 * Consumer groups → KongConsumerGroups (`configuration.konghq.com/v1beta1`, the same for KIC v2
 * and v3), as decK's populateKICConsumerGroups: the group's plugins as KongPlugins named
 * `GROUP-PLUGIN` in its `konghq.com/plugins` annotation, its tags as `konghq.com/tags`, and each
 * member's KongConsumer listing the group in `consumerGroups`. Consumer groups are a Kong
 * Enterprise entity kong-ctl does not manage on a node; KIC configures them, so the manifests
 * are of use, and kong2kic converts them as decK does.
 *
 * Where it differs from decK: a KongConsumer names the group by its KongConsumerGroup's name
 * (the slug of the group's name), which is what KIC looks up, where decK writes the group's name
 * as the file has it (the same for a name that is already a slug); membership is also taken
 * from a consumer's own `groups` (decK reads only the group's `consumers`), each group named
 * once; a member or group that is not in the file is said on stderr rather than skipped
 * silently; and a group's plugin is written as any other KongPlugin (tags, `enabled`,
 * `protocols`… carried over), where decK's consumer-group plugins carry the name and config only.
 */
import { kongPlugin } from './plugin';
import { calculateSlug } from './slug';
import { INGRESS_CLASS, KONG_V1BETA1, type Manifest, type Obj, type Sink } from './types';
import { addPluginAnnotation, addTags, metadata, objs, refKeys, str } from './values';

function named(entity: Obj, keys: string[], nameField: string): boolean {
  return keys.some((k) => k === str(entity, nameField) || k === str(entity, 'id'));
}

/** A member as the group lists it: `{ username }` (decK), or `{ id }`. */
function memberKeys(ref: Obj): string[] {
  return [ref.username, ref.id].filter((x): x is string => typeof x === 'string');
}

export function convertConsumerGroups(content: Obj, sink: Sink): void {
  const groups = objs(content, 'consumer_groups');
  const consumers = objs(content, 'consumers');
  // The KongConsumer of a consumer of the file (consumers without a username have none).
  const manifestOf = (consumer: Obj): Manifest | undefined => sink.out.kongConsumers.find((m) => m.username === str(consumer, 'username'));
  // Each KongConsumer's groups, by their place in the file, so that they come in the file's order.
  const membership = new Map<Manifest, Set<number>>();
  const join = (manifest: Manifest, group: number): void => {
    const set = membership.get(manifest) ?? new Set<number>();
    set.add(group);
    membership.set(manifest, set);
  };

  const slugs = groups.map((group, i) => {
    const name = str(group, 'name');
    if (!name) {
      sink.warnings.push(`consumer_groups[${i}]: a consumer group without a name is not converted`);
      return undefined;
    }
    const slug = calculateSlug(name);
    const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
    addTags(annotations, group.tags);
    objs(group, 'consumers').forEach((ref, j) => {
      const keys = memberKeys(ref);
      const consumer = consumers.find((c) => named(c, keys, 'username'));
      const manifest = consumer && manifestOf(consumer);
      if (manifest) join(manifest, i);
      else sink.warnings.push(`consumer_groups[${i}].consumers[${j}]: consumer ${keys[0] ?? '(unnamed)'} is not in the file (with a username): its membership is not converted`);
    });
    for (const plugin of objs(group, 'plugins')) {
      const pluginSlug = kongPlugin(plugin, { scope: 'consumer_group', name }, sink, `consumer group ${name}`);
      if (pluginSlug) addPluginAnnotation(annotations, pluginSlug);
    }
    sink.out.kongConsumerGroups.push({ apiVersion: KONG_V1BETA1, kind: 'KongConsumerGroup', metadata: metadata(slug, annotations) });
    return slug;
  });

  consumers.forEach((consumer, i) => {
    objs(consumer, 'groups').forEach((ref, j) => {
      const keys = refKeys(ref);
      const index = groups.findIndex((g) => named(g, keys, 'name'));
      const manifest = manifestOf(consumer);
      if (index >= 0 && slugs[index] !== undefined) {
        if (manifest) join(manifest, index);
      } else {
        sink.warnings.push(`consumers[${i}].groups[${j}]: consumer group ${keys[0] ?? '(unnamed)'} is not in the file: the membership is not converted`);
      }
    });
  });

  for (const [manifest, indexes] of membership) {
    const names = [...indexes].sort((a, b) => a - b).flatMap((g) => slugs[g] ?? []);
    if (names.length) manifest.consumerGroups = names;
  }
}
