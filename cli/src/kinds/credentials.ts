/**
 * Consumer credentials. Each is listed globally (`/key-auths`…) and written nested under
 * its consumer (`/consumers/{id}/key-auth`), as the recorded Kong 3.4 exchanges show.
 */
import { createHash } from 'node:crypto';
import type { KindDef } from './kind';
import { shortKey } from './kind';
import { kongSecretMatches } from './oauth2-secret';

/**
 * A key-auth key IS the credential: it must never appear in a plan, a log line or JSON output,
 * so the identity holds a digest of it instead (still unique, still stable across runs).
 */
export function secretDigest(value: unknown): string {
  return createHash('sha256').update(String(value)).digest('hex').slice(0, 16);
}

export const keyauthCredential: KindDef = {
  kind: 'keyauth_credential',
  schema: 'keyauth_credentials',
  listPath: '/key-auths',
  foreignKeys: { consumer: 'consumer' },
  identity: (e) =>
    typeof e.fields.key === 'string' ? `keyauth_credential:sha256=${secretDigest(e.fields.key)}` : `keyauth_credential:#${e.id}`,
  // The key is a secret: never print it, name the credential by its consumer.
  label: (e) => `key-auth credential of ${shortKey(e.refs.consumer)}${e.id ? ` #${e.id.slice(0, 8)}` : ''}`,
  createPath: (p) => `/consumers/${p.consumer}/key-auth`,
  sensitive: ['key'],
  entityPath: (id, p) => `/consumers/${p.consumer}/key-auth/${id}`,
};

export const jwtSecret: KindDef = {
  kind: 'jwt_secret',
  schema: 'jwt_secrets',
  listPath: '/jwts',
  foreignKeys: { consumer: 'consumer' },
  identity: (e) => `jwt_secret:${String(e.fields.key ?? '#' + e.id)}`,
  label: (e) => `jwt secret ${String(e.fields.key ?? e.id)} (consumer ${shortKey(e.refs.consumer)})`,
  createPath: (p) => `/consumers/${p.consumer}/jwt`,
  sensitive: ['secret'],
  entityPath: (id, p) => `/consumers/${p.consumer}/jwt/${id}`,
};

export const basicauthCredential: KindDef = {
  kind: 'basicauth_credential',
  schema: 'basicauth_credentials',
  listPath: '/basic-auths',
  foreignKeys: { consumer: 'consumer' },
  identity: (e) => `basicauth_credential:${String(e.fields.username ?? '#' + e.id)}`,
  label: (e) => `basic-auth credential ${String(e.fields.username)} (consumer ${shortKey(e.refs.consumer)})`,
  createPath: (p) => `/consumers/${p.consumer}/basic-auth`,
  entityPath: (id, p) => `/consumers/${p.consumer}/basic-auth/${id}`,
  // Kong stores sha1(password .. consumer id) (kong/plugins/basic-auth/crypto.lua; fixture 076):
  // never equal to the file's value, but a file's password can be checked against it.
  writeOnly: ['password'],
  storedMatches: (field, plain, live, idOf) => {
    const stored = live.fields[field];
    const consumerId = live.refs.consumer ? idOf(live.refs.consumer) : undefined;
    // Anything but a sha1 in hex is not Kong's stored form: nothing to tell from it.
    if (field !== 'password' || typeof stored !== 'string' || !/^[0-9a-f]{40}$/.test(stored) || !consumerId) return undefined;
    return createHash('sha1').update(plain + consumerId).digest('hex') === stored;
  },
};

export const hmacauthCredential: KindDef = {
  kind: 'hmacauth_credential',
  schema: 'hmacauth_credentials',
  listPath: '/hmac-auths',
  foreignKeys: { consumer: 'consumer' },
  identity: (e) => `hmacauth_credential:${String(e.fields.username ?? '#' + e.id)}`,
  label: (e) => `hmac-auth credential ${String(e.fields.username)} (consumer ${shortKey(e.refs.consumer)})`,
  createPath: (p) => `/consumers/${p.consumer}/hmac-auth`,
  sensitive: ['secret'],
  entityPath: (id, p) => `/consumers/${p.consumer}/hmac-auth/${id}`,
};

export const acl: KindDef = {
  kind: 'acl',
  schema: 'acls',
  listPath: '/acls',
  foreignKeys: { consumer: 'consumer' },
  identity: (e) => `acl:${shortKey(e.refs.consumer)}/${String(e.fields.group)}`,
  label: (e) => `acl ${String(e.fields.group)} (consumer ${shortKey(e.refs.consumer)})`,
  createPath: (p) => `/consumers/${p.consumer}/acls`,
  entityPath: (id, p) => `/consumers/${p.consumer}/acls/${id}`,
};

/**
 * OAuth2 client applications (kong/plugins/oauth2/daos.lua). `client_id` is their endpoint and
 * cache key, so it identifies them (as in decK); Kong generates one when it is left out, which a
 * declarative file cannot match again, so validation asks for it. With `hash_secret` Kong keeps
 * a PBKDF2 hash of `client_secret`: from then on the secret can be written and checked against
 * the hash, never read back.
 */
export const oauth2Credential: KindDef = {
  kind: 'oauth2_credential',
  schema: 'oauth2_credentials',
  listPath: '/oauth2',
  foreignKeys: { consumer: 'consumer' },
  identity: (e) => `oauth2_credential:${typeof e.fields.client_id === 'string' ? e.fields.client_id : '#' + e.id}`,
  label: (e) =>
    `oauth2 credential ${String(e.fields.client_id ?? e.fields.name ?? '#' + e.id)} (consumer ${shortKey(e.refs.consumer)})`,
  createPath: (p) => `/consumers/${p.consumer}/oauth2`,
  entityPath: (id, p) => `/consumers/${p.consumer}/oauth2/${id}`,
  sensitive: ['client_secret'],
  writeOnly: (fields) => (fields.hash_secret === true ? ['client_secret'] : []),
  storedMatches: (field, plain, live) => {
    const stored = live.fields[field];
    if (field !== 'client_secret' || typeof stored !== 'string') return undefined;
    // Turning hash_secret on: Kong still holds the secret as written, and hashes what it holds
    // when hash_secret arrives alone. So a secret changed in the same edit must be sent too.
    if (live.fields.hash_secret !== true) return stored === plain;
    const matches = kongSecretMatches(plain, stored);
    if (matches !== undefined) return matches;
    // Another PHC hash ($argon2…, $2b$…) cannot be checked here. Anything else was stored in
    // clear despite hash_secret (a PATCH of client_secret alone does that): Kong can verify no
    // secret against it, so writing the secret again is the repair.
    return stored.startsWith('$') ? undefined : false;
  },
  // Kong hashes client_secret only in a write that also names hash_secret.
  sendWith: { client_secret: ['hash_secret'] },
};
