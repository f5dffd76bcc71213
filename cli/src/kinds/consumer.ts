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
  // A renamed consumer is updated, not replaced: it keeps its id, and with it its credentials,
  // its oauth2 tokens and whatever else hangs off it outside the files.
  alternateKeys: (e) => (typeof e.fields.custom_id === 'string' ? [`consumer:custom_id=${e.fields.custom_id}`] : []),
  label: (e) =>
    typeof e.fields.username === 'string'
      ? `consumer ${e.fields.username}`
      : typeof e.fields.custom_id === 'string'
        ? `consumer custom_id=${e.fields.custom_id}`
        : `consumer #${e.id}`,
  createPath: () => '/consumers',
  entityPath: (id) => `/consumers/${id}`,
};
