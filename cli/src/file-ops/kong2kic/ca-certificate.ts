/** CA certificates → Opaque Secrets (`ca.crt`, and `ca.digest` when the file gives one). */
import { createHash } from 'node:crypto';
import { calculateSlug } from './slug';
import { INGRESS_CLASS, type Obj, type Sink } from './types';
import { addTags, metadata, objs, str } from './values';

export function convertCaCertificates(content: Obj, sink: Sink): void {
  objs(content, 'ca_certificates').forEach((cert, i) => {
    const crt = str(cert, 'cert');
    if (crt === undefined) {
      sink.warnings.push(`ca_certificates[${i}]: a CA certificate without cert is not converted`);
      return;
    }
    const digest = createHash('sha256').update(crt).digest('hex');
    const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
    addTags(annotations, cert.tags);
    const stringData: Obj = { 'ca.crt': crt };
    const certDigest = str(cert, 'cert_digest');
    if (certDigest !== undefined) stringData['ca.digest'] = certDigest;
    sink.out.secrets.push({ apiVersion: 'v1', kind: 'Secret', metadata: metadata(calculateSlug(`ca-cert-${digest}`), annotations), type: 'Opaque', stringData });
  });
}
