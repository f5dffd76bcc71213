import type { KindDef } from './kind';
import { nameOr } from './kind';

export const upstream: KindDef = {
  kind: 'upstream',
  schema: 'upstreams',
  listPath: '/upstreams',
  foreignKeys: { client_certificate: 'certificate' },
  identity: (e) => `upstream:${typeof e.fields.name === 'string' ? e.fields.name : '#' + e.id}`,
  label: (e) => nameOr('upstream', e.fields.name, e.id),
  createPath: () => '/upstreams',
  entityPath: (id) => `/upstreams/${id}`,
};
