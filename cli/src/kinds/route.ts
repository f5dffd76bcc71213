import type { KindDef } from './kind';
import { nameOr } from './kind';

export const route: KindDef = {
  kind: 'route',
  schema: 'routes',
  listPath: '/routes',
  foreignKeys: { service: 'service' },
  identity: (e) => (typeof e.fields.name === 'string' ? `route:${e.fields.name}` : `route:#${e.id}`),
  label: (e) => nameOr('route', e.fields.name, e.id),
  createPath: () => '/routes',
  entityPath: (id) => `/routes/${id}`,
};
