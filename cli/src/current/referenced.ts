/**
 * The services, routes and consumers outside a dump's select tags that entities of the dump refer
 * to, read one by one by id (they are few): their names and tags let the dump name them and set
 * lookup tags that find them, so a tag-scoped dump re-applies as it is.
 */
import pLimit from 'p-limit';
import type { Entity, Kind } from '../model/entity';
import { KIND_DEFS } from '../kinds';
import { LOOKUP_KEYS, type LookupKind } from '../desired/info';
import type { AdminClient } from '../kong/types';
import { buildCurrentState, type RawKongState } from './build';

export async function fetchReferencedOutside(client: AdminClient, entities: Entity[], concurrency = 8): Promise<Entity[]> {
  const inDump = new Set(entities.map((e) => e.key));
  const wanted = new Map<string, { kind: LookupKind; id: string }>();
  const lookupKinds = new Set<Kind>(Object.values(LOOKUP_KEYS));
  for (const e of entities) {
    for (const [field, key] of Object.entries(e.refs)) {
      const kind = KIND_DEFS[e.kind].foreignKeys[field];
      const id = key?.startsWith(`${kind}:#`) ? key.slice(kind.length + 2) : undefined;
      if (key && id && !inDump.has(key) && lookupKinds.has(kind)) wanted.set(key, { kind: kind as LookupKind, id });
    }
  }
  const limit = pLimit(concurrency);
  const raw: RawKongState = {};
  await Promise.all(
    [...wanted.values()].map(({ kind, id }) =>
      limit(async () => {
        // 404: deleted between the list and this read; the dump keeps the id and its warning.
        const res = await client.request<Record<string, unknown>>('GET', `${KIND_DEFS[kind].listPath}/${encodeURIComponent(id)}`, { acceptStatus: [404] });
        if (res.status === 200 && res.data) (raw[kind] ??= []).push(res.data);
      }),
    ),
  );
  return buildCurrentState(raw).entities;
}
