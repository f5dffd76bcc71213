import type { KindDef } from './kind';
import { nameOr } from './kind';

export const service: KindDef = {
  kind: 'service',
  schema: 'services',
  listPath: '/services',
  foreignKeys: { client_certificate: 'certificate' },
  identity: (e) => (typeof e.fields.name === 'string' ? `service:${e.fields.name}` : `service:#${e.id}`),
  label: (e) => nameOr('service', e.fields.name, e.id),
  createPath: () => '/services',
  entityPath: (id) => `/services/${id}`,
};
