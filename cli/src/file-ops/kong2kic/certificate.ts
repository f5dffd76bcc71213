/** Certificates → `kubernetes.io/tls` Secrets named after the certificate's SHA-256. SNIs are not carried over. */
import { createHash } from 'node:crypto';
import { calculateSlug } from './slug';
import { INGRESS_CLASS, type Obj, type Sink } from './types';
import { addTags, metadata, objs, str } from './values';

export function convertCertificates(content: Obj, sink: Sink): void {
  objs(content, 'certificates').forEach((cert, i) => {
    const crt = str(cert, 'cert');
    const key = str(cert, 'key');
    if (crt === undefined || key === undefined) {
      sink.warnings.push(`certificates[${i}]: a certificate without cert and key is not converted`);
      return;
    }
    const digest = createHash('sha256').update(crt).digest('hex');
    const annotations: Obj = { [INGRESS_CLASS]: sink.target.className };
    addTags(annotations, cert.tags);
    sink.out.secrets.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: metadata(calculateSlug(`cert-${digest}`), annotations),
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': crt, 'tls.key': key },
    });
  });
}
