/**
 * `{vault://prefix/…}` references. Kong stores a reference as written and resolves it when it
 * uses the value (kong/pdk/vault.lua), so a reference to a vault that does not exist yet is
 * accepted, then fails at run time: a plugin left without its Redis password, a certificate
 * without its key. Hence: a change whose desired fields name a vault waits for that vault's
 * create or update, and a vault's delete waits for the changes that stop naming it.
 */
import type { Change } from '../model/plan';

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
  const written = new Map<string, number>();
  const deleted = new Map<string, number>();
  changes.forEach((c, i) => {
    if (c.kind !== 'vault') return;
    if (c.op === 'delete') {
      const p = prefixOf(c.current?.fields);
      if (p) deleted.set(p, i);
    } else {
      const p = prefixOf(c.desired?.fields);
      if (p) written.set(p, i);
    }
  });
  if (written.size === 0 && deleted.size === 0) return [];

  const edges: Array<[number, number]> = [];
  changes.forEach((c, i) => {
    const named = c.op !== 'delete' && c.desired ? vaultPrefixes(c.desired.fields) : new Set<string>();
    for (const p of named) {
      const j = written.get(p);
      if (j !== undefined && j !== i) edges.push([i, j]);
    }
    if (c.op === 'create' || !c.current) return;
    for (const p of vaultPrefixes(c.current.fields)) {
      const j = deleted.get(p);
      // A change that keeps naming the vault gains nothing from running first.
      if (j !== undefined && j !== i && !named.has(p)) edges.push([j, i]);
    }
  });
  return edges;
}
