/**
 * `ca_certificates`: a service (and a plugin config such as mtls-auth's) names the CA
 * certificates it trusts as a list of ids, not as a foreign key, so the reference edges of
 * graph.ts do not see it. Kong ≥ 3.5 refuses to delete a CA certificate a service still names
 * (kong/db/dao/ca_certificates.lua, `referenced by others`), and a service naming one that does
 * not exist yet has nothing to verify its upstream's certificate with. Hence: a change whose
 * desired `ca_certificates` names a CA certificate waits for that certificate's create or update,
 * and a CA certificate's delete waits for the changes that stop naming it.
 */
import type { Change } from '../model/plan';

/** The CA certificate ids a kong entity's fields name: its own `ca_certificates`, or its config's. */
export function caCertificateIds(fields: Record<string, unknown> | undefined): Set<string> {
  const out = new Set<string>();
  const add = (list: unknown) => {
    if (Array.isArray(list)) for (const id of list) if (typeof id === 'string') out.add(id);
  };
  add(fields?.ca_certificates);
  const config = fields?.config;
  if (config && typeof config === 'object') add((config as Record<string, unknown>).ca_certificates);
  return out;
}

/** Ordering edges `[waiter, first]` between CA certificate changes and the changes that name them. */
export function caCertificateEdges(changes: Change[]): Array<[number, number]> {
  const written = new Map<string, number>();
  const deleted = new Map<string, number>();
  changes.forEach((c, i) => {
    if (c.kind !== 'ca_certificate') return;
    if (c.op === 'delete') {
      if (c.current?.id) deleted.set(c.current.id, i);
      return;
    }
    for (const id of [c.desired?.id, c.current?.id]) if (id) written.set(id, i);
  });
  if (written.size === 0 && deleted.size === 0) return [];

  const edges: Array<[number, number]> = [];
  changes.forEach((c, i) => {
    if (c.kind === 'ca_certificate') return;
    const named = c.op !== 'delete' && c.desired ? caCertificateIds(c.desired.fields) : new Set<string>();
    for (const id of named) {
      const j = written.get(id);
      if (j !== undefined) edges.push([i, j]);
    }
    if (c.op === 'create' || !c.current) return;
    for (const id of caCertificateIds(c.current.fields)) {
      const j = deleted.get(id);
      // A change that keeps naming the certificate gains nothing from running first.
      if (j !== undefined && !named.has(id)) edges.push([j, i]);
    }
  });
  return edges;
}
