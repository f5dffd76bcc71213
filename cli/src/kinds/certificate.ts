import { createHash } from 'node:crypto';
import type { KindDef } from './kind';

/** Certificates have no name: decK matches them by id, else by the certificate itself. */
export function certDigest(cert: unknown): string {
  return createHash('sha256').update(String(cert ?? '').trim()).digest('hex').slice(0, 16);
}

export const certificate: KindDef = {
  kind: 'certificate',
  schema: 'certificates',
  listPath: '/certificates',
  foreignKeys: {},
  identity: (e) => (e.id ? `certificate:#${e.id}` : `certificate:sha256=${certDigest(e.fields.cert)}`),
  contentIdentity: (e) => `certificate:sha256=${certDigest(e.fields.cert)}`,
  label: (e) => (e.id ? `certificate #${e.id}` : `certificate sha256=${certDigest(e.fields.cert)}`),
  createPath: () => '/certificates',
  entityPath: (id) => `/certificates/${id}`,
};

export const caCertificate: KindDef = {
  kind: 'ca_certificate',
  schema: 'ca_certificates',
  listPath: '/ca_certificates',
  foreignKeys: {},
  identity: (e) => (e.id ? `ca_certificate:#${e.id}` : `ca_certificate:sha256=${certDigest(e.fields.cert)}`),
  contentIdentity: (e) => `ca_certificate:sha256=${certDigest(e.fields.cert)}`,
  label: (e) => (e.id ? `ca_certificate #${e.id}` : `ca_certificate sha256=${certDigest(e.fields.cert)}`),
  createPath: () => '/ca_certificates',
  entityPath: (id) => `/ca_certificates/${id}`,
};
