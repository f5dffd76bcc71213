/** Kong consumers → KongConsumers, with their credentials as Secrets and their plugins as KongPlugins. */
import { convertCredentials } from './consumer-credentials';
import { kongPlugin } from './plugin';
import { calculateSlug } from './slug';
import { INGRESS_CLASS, KONG_V1, type Manifest, type Obj, type Sink } from './types';
import { addPluginAnnotation, addTags, metadata, objs, str } from './values';

export function convertConsumers(content: Obj, sink: Sink): void {
  objs(content, 'consumers').forEach((consumer, i) => {
    const username = str(consumer, 'username');
    if (!username) {
      // KongConsumer is named after the username, which KIC requires.
      sink.warnings.push(`consumers[${i}]: a consumer without a username is not converted`);
      return;
    }
    const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
    addTags(annotations, consumer.tags);
    const manifest: Manifest = { apiVersion: KONG_V1, kind: 'KongConsumer', metadata: {}, username };
    const customId = str(consumer, 'custom_id');
    if (customId !== undefined) manifest.custom_id = customId;
    const credentials = convertCredentials(consumer, username, sink, `consumers[${i}]`);
    if (credentials.length) manifest.credentials = credentials;
    for (const plugin of objs(consumer, 'plugins')) {
      const slug = kongPlugin(plugin, { scope: 'consumer', name: username }, sink, `consumer ${username}`);
      if (slug) addPluginAnnotation(annotations, slug);
    }
    manifest.metadata = metadata(calculateSlug(username), annotations);
    sink.out.kongConsumers.push(manifest);
  });
}
