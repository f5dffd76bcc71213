/**
 * `ca_certificates`: a service (and a plugin config such as mtls-auth's) names the CA
 * certificates it trusts as a list of ids, not as a foreign key. Kong ≥ 3.5 refuses to delete a
 * CA certificate a service still names (kong/db/dao/ca_certificates.lua, `referenced by
 * others`), and a service naming one that does not exist yet has nothing to verify its
 * upstream's certificate with: ordered as a soft reference (soft-references.ts). Only the second
 * is soft: Kong accepts the write and live traffic fails for a moment. The first is a refusal,
 * so the graph takes those edges as it takes foreign keys, before it orders unique values:
 * a CA certificate's content moving to another id claims its digest from the very delete that
 * waits for the services to stop naming the old id.
 */
import type { Change } from '../model/plan';
import { softReferenceEdges } from './soft-references';

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

/**
 * Ordering edges `[waiter, first]` between CA certificate changes and the changes that name them:
 * `freeing` (a delete after the changes that stop naming it), which Kong enforces, and `naming`.
 */
export function caCertificateEdges(changes: Change[]): { naming: Array<[number, number]>; freeing: Array<[number, number]> } {
  return softReferenceEdges(changes, {
    kind: 'ca_certificate',
    writtenNames: (c) => [c.desired?.id, c.current?.id],
    deletedName: (c) => c.current?.id,
    named: caCertificateIds,
  });
}
