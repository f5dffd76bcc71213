/**
 * With select tags, the live state kong-ctl reads holds only tagged entities, so a name that
 * exists untagged (another team's service) is invisible to the diff and its create would
 * collide (409) or, worse, be mistaken for ours. Before any write, every create whose name or
 * id Kong can look up is checked; a hit is an error, never an overwrite (decK #533), unless it
 * carries the select tags or the plan deletes it (a replacement: same name, new id).
 */
import pLimit from 'p-limit';
import type { AdminClient } from '../kong/types';
import type { Change, Plan } from '../model/plan';
import type { Diagnostic } from '../model/errors';
import { KIND_DEFS } from '../kinds';

/** Kinds whose collection endpoint resolves an entity by this field (kong/api/endpoints.lua endpoint_key). */
const LOOKUP_FIELD: Partial<Record<string, string>> = {
  service: 'name',
  route: 'name',
  upstream: 'name',
  consumer: 'username',
  sni: 'name',
  certificate: 'id',
  ca_certificate: 'id',
};

function lookups(change: Change): string[] {
  const def = KIND_DEFS[change.kind];
  const e = change.desired;
  if (!e || !def.listPath) return [];
  const out: string[] = [];
  if (e.id) out.push(`${def.listPath}/${encodeURIComponent(e.id)}`);
  const field = LOOKUP_FIELD[change.kind];
  const value = field && field !== 'id' ? e.fields[field] : undefined;
  if (typeof value === 'string' && value) out.push(`${def.listPath}/${encodeURIComponent(value)}`);
  return out;
}

export async function findOutOfScopeConflicts(
  plan: Plan,
  client: AdminClient,
  selectTags: string[],
  concurrency = 10,
): Promise<Diagnostic[]> {
  if (!selectTags.length) return [];
  // What the plan itself replaces (same name, new id: delete, then create) is ours, not a hit.
  const replaced = new Set(plan.changes.flatMap((c) => (c.op === 'delete' && c.current?.id ? [c.current.id] : [])));
  const limit = pLimit(concurrency);
  const checks = plan.changes
    .filter((c) => c.op === 'create')
    .flatMap((c) => lookups(c).map((path) => ({ c, path })));
  const found = await Promise.all(
    checks.map(({ c, path }) =>
      limit(async () => {
        const res = await client.request<Record<string, unknown>>('GET', path, { acceptStatus: [404] });
        if (res.status === 404) return null;
        const tags = Array.isArray(res.data?.tags) ? (res.data.tags as string[]) : [];
        if (typeof res.data?.id === 'string' && replaced.has(res.data.id)) return null;
        if (selectTags.every((t) => tags.includes(t))) return null;
        const diag: Diagnostic = {
          message:
            `${c.label} already exists in Kong outside the select tags (${selectTags.join(', ')}); ` +
            `its tags are ${tags.length ? tags.join(', ') : 'none'}. kong-ctl never takes over an entity it does not manage: ` +
            'rename it in the file, or tag the live entity if it should be managed here.',
          source: c.desired?.source,
        };
        return diag;
      }),
    ),
  );
  return found.filter((d): d is Diagnostic => d !== null);
}
