/**
 * The registry of kinds, and the dependency order as data: a level only depends on the
 * levels before it. Creates and updates run top-down, deletes bottom-up.
 */
import type { Entity, Kind } from '../model/entity';
import type { KindDef } from './kind';
import { service } from './service';
import { route } from './route';
import { consumer } from './consumer';
import { upstream } from './upstream';
import { target } from './target';
import { certificate, caCertificate } from './certificate';
import { sni } from './sni';
import { keyauthCredential, jwtSecret, basicauthCredential, hmacauthCredential, acl, oauth2Credential } from './credentials';
import { vault } from './vault';
import { key, keySet } from './key';
import { plugin } from './plugin';

export const KIND_DEFS: Record<Kind, KindDef> = {
  vault,
  key_set: keySet,
  key,
  certificate,
  ca_certificate: caCertificate,
  sni,
  service,
  upstream,
  target,
  route,
  consumer,
  keyauth_credential: keyauthCredential,
  jwt_secret: jwtSecret,
  basicauth_credential: basicauthCredential,
  hmacauth_credential: hmacauthCredential,
  acl,
  oauth2_credential: oauth2Credential,
  plugin,
};

/**
 * Vaults come first although nothing points at them by foreign key: other entities name them
 * in `{vault://prefix/…}` references, which Kong resolves when it uses the value, so a vault
 * must exist before and outlive every entity that may refer to it (apply/vault-order.ts gives
 * the writes that order; the levels give it to plans and dumps).
 */
export const DEPENDENCY_LEVELS: Kind[][] = [
  ['vault', 'key_set', 'certificate', 'ca_certificate'],
  ['sni', 'service', 'upstream', 'consumer', 'key'],
  ['route', 'target', 'keyauth_credential', 'jwt_secret', 'basicauth_credential', 'hmacauth_credential', 'acl', 'oauth2_credential'],
  ['plugin'],
];

export function levelOf(kind: Kind): number {
  return DEPENDENCY_LEVELS.findIndex((l) => l.includes(kind));
}

export function kindDef(kind: Kind): KindDef {
  return KIND_DEFS[kind];
}

/**
 * `--skip-consumers` (decK's flag of the same name): consumers are often managed elsewhere (a
 * developer portal, an identity sync) while a config repository owns services, routes and
 * plugins. With the flag, consumers, what lives under them (credentials, ACLs) and plugins
 * scoped to a consumer are outside kong-ctl's scope: not read, compared, written, deleted or
 * dumped. These say which.
 */
export function isConsumerKind(kind: Kind): boolean {
  return kind === 'consumer' || (kind !== 'plugin' && 'consumer' in KIND_DEFS[kind].foreignKeys);
}

export function isConsumerBound(e: Pick<Entity, 'kind' | 'refs'>): boolean {
  return isConsumerKind(e.kind) || (e.kind === 'plugin' && Boolean(e.refs.consumer));
}

/** The same, for an object as Kong returns it (`consumer` as `{id}`, or an id in a declarative export). */
export function isConsumerBoundRaw(kind: Kind, raw: Record<string, unknown>): boolean {
  return isConsumerKind(kind) || (kind === 'plugin' && raw.consumer !== null && raw.consumer !== undefined);
}

/** decK's --skip-* flags: kinds of entities a run leaves alone (not read, compared, written, deleted or dumped). */
export interface SkipScope {
  skipConsumers?: boolean;
  skipCaCertificates?: boolean;
}

/** Whether a run with `skip` leaves this kind alone whatever the entity (consumers' plugins depend on their scope). */
export function isSkippedKind(kind: Kind, skip: SkipScope): boolean {
  return (Boolean(skip.skipConsumers) && isConsumerKind(kind)) || (Boolean(skip.skipCaCertificates) && kind === 'ca_certificate');
}

export function isSkipped(e: Pick<Entity, 'kind' | 'refs'>, skip: SkipScope): boolean {
  return isSkippedKind(e.kind, skip) || (Boolean(skip.skipConsumers) && isConsumerBound(e));
}

/** The same, for an object as Kong returns it. */
export function isSkippedRaw(kind: Kind, raw: Record<string, unknown>, skip: SkipScope): boolean {
  return isSkippedKind(kind, skip) || (Boolean(skip.skipConsumers) && isConsumerBoundRaw(kind, raw));
}

export type { KindDef } from './kind';
export { writeOnlyOf } from './kind';
