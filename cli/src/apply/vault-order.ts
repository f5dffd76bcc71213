/**
 * `{vault://prefix/…}` references. Kong stores a reference as written and resolves it when it
 * uses the value (kong/pdk/vault.lua), so a reference to a vault that does not exist yet is
 * accepted, then fails at run time: a plugin left without its Redis password, a certificate
 * without its key. Ordered as a soft reference (soft-references.ts).
 */
import type { Change } from '../model/plan';
import { softReferenceEdges } from './soft-references';

/** `{vault://env/redis-password}`, `{vault://aws-prod/db/password?version=2}`: the prefix. */
const REFERENCE = /\{vault:\/\/([^/}?]+)\//g;

/** The vault prefixes a value names, however deep in records and lists. */
export function vaultPrefixes(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    if (value.includes('{vault://')) for (const m of value.matchAll(REFERENCE)) out.add(m[1]);
  } else if (Array.isArray(value)) {
    for (const v of value) vaultPrefixes(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) vaultPrefixes(v, out);
  }
  return out;
}

function prefixOf(fields: Record<string, unknown> | undefined): string | undefined {
  return typeof fields?.prefix === 'string' ? fields.prefix : undefined;
}

/** Ordering edges `[waiter, first]` between vault changes and the changes that name those vaults. */
export function vaultReferenceEdges(changes: Change[]): Array<[number, number]> {
  const { naming, freeing } = softReferenceEdges(changes, {
    kind: 'vault',
    writtenNames: (c) => [prefixOf(c.desired?.fields)],
    deletedName: (c) => prefixOf(c.current?.fields),
    named: (fields) => vaultPrefixes(fields),
  });
  return [...naming, ...freeing];
}
