/**
 * Consumer credentials → Secrets the KongConsumer lists. KIC v3 tells the credential type by
 * the `konghq.com/credential` label, KIC v2 by a `kongCredType` entry of the Secret's data.
 * mTLS credentials (of Kong Enterprise's mtls-auth plugin, which kong-ctl does not manage on a
 * node) are converted too, as decK does: KIC configures them, so the manifest is of use.
 */
import { calculateSlug } from './slug';
import { INGRESS_CLASS, type Manifest, type Obj, type Sink } from './types';
import { isObj, metadata, objs, str, text } from './values';

interface CredentialKind {
  /** The list in decK's consumer. */
  key: string;
  /** KIC's credential type, also the start of the Secret's name. */
  type: string;
  fields: string[];
}

// In decK's order, which is the order of the consumer's `credentials`.
const KINDS: CredentialKind[] = [
  { key: 'keyauth_credentials', type: 'key-auth', fields: ['key'] },
  { key: 'hmacauth_credentials', type: 'hmac-auth', fields: ['username', 'secret'] },
  { key: 'jwt_secrets', type: 'jwt', fields: ['key', 'algorithm', 'rsa_public_key', 'secret'] },
  { key: 'basicauth_credentials', type: 'basic-auth', fields: ['username', 'password'] },
  { key: 'oauth2_credentials', type: 'oauth2', fields: ['name', 'client_id', 'client_secret', 'client_type', 'hash_secret'] },
  { key: 'acls', type: 'acl', fields: ['group'] },
  // decK adds `ca_certificate`, the PEM of the credential's CA certificate when the file gives it.
  { key: 'mtls_auth_credentials', type: 'mtls-auth', fields: ['subject_name', 'id'] },
];

/**
 * decK names every Secret of a type `TYPE-USERNAME`, so a consumer's second ACL group (or second
 * key) gets the first one's name and Kubernetes keeps only one of them: the consumer silently
 * loses a credential. The first keeps decK's name; the next ones are numbered from 2.
 */
function secretName(username: string, kind: CredentialKind, index: number): string {
  const base = calculateSlug(`${kind.type}-${username}`);
  return index === 0 ? base : `${base}-${index + 1}`;
}

function credentialSecret(name: string, kind: CredentialKind, credential: Obj, sink: Sink): Manifest {
  const stringData: Obj = {};
  const labels: Obj = {};
  if (sink.target.version === 3) labels['konghq.com/credential'] = kind.type;
  else stringData.kongCredType = kind.type;
  for (const f of kind.fields) {
    const v = text(credential[f]);
    if (v !== undefined) stringData[f] = v;
  }
  if (kind.type === 'mtls-auth' && isObj(credential.ca_certificate)) {
    const pem = str(credential.ca_certificate, 'cert');
    if (pem !== undefined) stringData.ca_certificate = pem;
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(name, { [INGRESS_CLASS]: sink.target.className }, labels),
    type: 'Opaque',
    stringData,
  };
}

/** The Secrets of a consumer's credentials; their names, for the KongConsumer. */
export function convertCredentials(consumer: Obj, username: string, sink: Sink, where: string): string[] {
  const names: string[] = [];
  for (const kind of KINDS) {
    objs(consumer, kind.key).forEach((credential, j) => {
      if (kind.type === 'mtls-auth' && credential.ca_certificate !== undefined && credential.ca_certificate !== null) {
        if (!isObj(credential.ca_certificate) || str(credential.ca_certificate, 'cert') === undefined) {
          // decK writes the CA certificate's PEM only, and leaves out a reference by id alone.
          sink.warnings.push(`${where}.${kind.key}[${j}]: its ca_certificate has no cert (PEM) to write: the Secret leaves it out, so the credential is not tied to that CA`);
        }
      }
      const secret = credentialSecret(secretName(username, kind, j), kind, credential, sink);
      names.push((secret.metadata as Obj).name as string);
      sink.out.secrets.push(secret);
    });
  }
  return names;
}
