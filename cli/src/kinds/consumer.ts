import type { KindDef } from './kind';

export const consumer: KindDef = {
  kind: 'consumer',
  schema: 'consumers',
  listPath: '/consumers',
  foreignKeys: {},
  identity: (e) => {
    if (typeof e.fields.username === 'string') return `consumer:${e.fields.username}`;
    if (typeof e.fields.custom_id === 'string') return `consumer:custom_id=${e.fields.custom_id}`;
    return `consumer:#${e.id}`;
  },
  label: (e) =>
    typeof e.fields.username === 'string'
      ? `consumer ${e.fields.username}`
      : typeof e.fields.custom_id === 'string'
        ? `consumer custom_id=${e.fields.custom_id}`
        : `consumer #${e.id}`,
  createPath: () => '/consumers',
  entityPath: (id) => `/consumers/${id}`,
};
