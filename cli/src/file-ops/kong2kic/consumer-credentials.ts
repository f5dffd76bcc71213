/**
 * Consumer credentials → Secrets the KongConsumer lists. KIC v3 tells the credential type by
 * the `konghq.com/credential` label, KIC v2 by a `kongCredType` entry of the Secret's data.
 */
import { calculateSlug } from './slug';
import { INGRESS_CLASS, type Manifest, type Obj, type Sink } from './types';
import { metadata, objs, text } from './values';

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
];

function credentialSecret(username: string, kind: CredentialKind, credential: Obj, sink: Sink): Manifest {
  const stringData: Obj = {};
  const labels: Obj = {};
  if (sink.target.version === 3) labels['konghq.com/credential'] = kind.type;
  else stringData.kongCredType = kind.type;
  for (const f of kind.fields) {
    const v = text(credential[f]);
    if (v !== undefined) stringData[f] = v;
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(calculateSlug(`${kind.type}-${username}`), { [INGRESS_CLASS]: sink.target.className }, labels),
    type: 'Opaque',
    stringData,
  };
}

/** The Secrets of a consumer's credentials; their names, for the KongConsumer. */
export function convertCredentials(consumer: Obj, username: string, sink: Sink): string[] {
  const names: string[] = [];
  for (const kind of KINDS) {
    for (const credential of objs(consumer, kind.key)) {
      const secret = credentialSecret(username, kind, credential, sink);
      names.push((secret.metadata as Obj).name as string);
      sink.out.secrets.push(secret);
    }
  }
  return names;
}
