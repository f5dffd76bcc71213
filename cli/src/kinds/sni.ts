import type { KindDef } from './kind';

export const sni: KindDef = {
  kind: 'sni',
  schema: 'snis',
  listPath: '/snis',
  foreignKeys: { certificate: 'certificate' },
  identity: (e) => `sni:${String(e.fields.name)}`,
  label: (e) => `sni ${String(e.fields.name)}`,
  createPath: () => '/snis',
  entityPath: (id) => `/snis/${id}`,
};
