/**
 * Kong services → Kubernetes Services. Kong's settings become `konghq.com/*` annotations; a
 * host that is not an upstream of the file is an external host (an ExternalName Service),
 * otherwise the Service selects the pods labelled `app: <service name>`.
 */
import { expandServiceUrl } from '../../desired/build';
import { kongPlugin } from './plugin';
import { calculateSlug } from './slug';
import { convertUpstream, hostIsUpstream } from './upstream';
import type { Manifest, Obj, Sink } from './types';
import { addPluginAnnotation, addTags, isObj, metadata, num, objs, str } from './values';

/** A service's fields with its `url` spelled out, as decK reads the file. */
export function serviceFields(service: Obj): Obj {
  const url = str(service, 'url');
  if (url === undefined) return service;
  const expanded = expandServiceUrl(url);
  return 'fields' in expanded ? { ...expanded.fields, ...service } : service;
}

export function convertServices(content: Obj, sink: Sink): void {
  objs(content, 'services').forEach((raw, i) => {
    const service = serviceFields(raw);
    const name = str(service, 'name');
    if (!name) {
      sink.warnings.push(`services[${i}]: a service without a name is not converted`);
      return;
    }
    const annotations: Obj = {};
    const spec: Obj = {};
    const protocolField = str(service, 'protocol');
    const port = num(service, 'port');
    if (port !== undefined) {
      const protocol = protocolField?.toUpperCase() === 'UDP' ? 'UDP' : 'TCP';
      spec.ports = [{ protocol, port, targetPort: port }];
    }
    const host = str(service, 'host');
    if (host === undefined || hostIsUpstream(content, host)) spec.selector = { app: name };
    else {
      spec.type = 'ExternalName';
      spec.externalName = host;
    }
    if (protocolField !== undefined) annotations['konghq.com/protocol'] = protocolField;
    const path = str(service, 'path');
    if (path !== undefined) annotations['konghq.com/path'] = path;
    const cert = service.client_certificate;
    const certId = typeof cert === 'string' ? cert : isObj(cert) && typeof cert.id === 'string' ? cert.id : undefined;
    if (certId !== undefined) annotations['konghq.com/client-cert'] = certId;
    for (const [field, key] of [
      ['read_timeout', 'read-timeout'],
      ['write_timeout', 'write-timeout'],
      ['connect_timeout', 'connect-timeout'],
      ['retries', 'retries'],
    ]) {
      const v = num(service, field);
      if (v !== undefined) annotations[`konghq.com/${key}`] = String(v);
    }
    addTags(annotations, service.tags);
    convertUpstream(content, name, host, annotations, sink);
    for (const plugin of objs(service, 'plugins')) {
      const slug = kongPlugin(plugin, { scope: 'service', name }, sink, `service ${name}`);
      if (slug) addPluginAnnotation(annotations, slug);
    }
    const manifest: Manifest = { apiVersion: 'v1', kind: 'Service', metadata: metadata(calculateSlug(name), annotations), spec };
    sink.out.services.push(manifest);
  });
}
