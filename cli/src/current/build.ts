/**
 * Raw Admin API objects → the shared `State` model. Pure, so golden tests can feed it
 * `current.json` files without a Kong.
 */
import type { Entity, Kind, State } from '../model/entity';
import { KINDS } from '../model/entity';
import { DEPENDENCY_LEVELS, KIND_DEFS } from '../kinds';

/** What the Admin API returned, per kind, untouched. */
export type RawKongState = Partial<Record<Kind, Array<Record<string, unknown>>>>;

/** Server-managed: never part of a comparison. */
const SERVER_FIELDS = new Set(['id', 'created_at', 'updated_at']);

/** Kong writes a foreign key as `{"id": "…"}`; a bare id string is accepted too. */
function foreignId(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  if (value && typeof value === 'object') {
    const id = (value as { id?: unknown }).id;
    if (typeof id === 'string' && id) return id;
  }
  return undefined;
}

/** The key a reference to an entity that is not in this state gets (outside the select tags, usually). */
export function unresolvedKey(kind: Kind, id: string): string {
  return `${kind}:#${id}`;
}

/**
 * `known`: live entities outside this state that its foreign keys may point at (those found by
 * `_info.default_lookup_tags`), so that such a reference gets the entity's key, as the desired
 * side's does, instead of an unresolved one.
 */
export function buildCurrentState(raw: RawKongState, known: Entity[] = []): State {
  const keyById = new Map<string, string>();
  for (const e of known) if (e.id !== undefined) keyById.set(`${e.kind}\0${e.id}`, e.key);
  const entities: Entity[] = [];
  // Foreign keys only point at earlier dependency levels, so walking levels in order means
  // every referred entity already has its key.
  for (const level of DEPENDENCY_LEVELS) {
    for (const kind of level) {
      const def = KIND_DEFS[kind];
      for (const obj of raw[kind] ?? []) {
        const id = typeof obj.id === 'string' ? obj.id : undefined;
        let fields: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) {
          if (SERVER_FIELDS.has(k) || k in def.foreignKeys) continue;
          fields[k] = v;
        }
        const refs: Record<string, string | null> = {};
        for (const [field, target] of Object.entries(def.foreignKeys)) {
          const fid = foreignId(obj[field]);
          refs[field] = fid === undefined ? null : (keyById.get(`${target}\0${fid}`) ?? unresolvedKey(target, fid));
        }
        if (def.normalize) fields = def.normalize(fields);
        const base = { fields, refs, id };
        const key = def.identity(base);
        entities.push({ kind, key, label: def.label(base), ...(id !== undefined ? { id } : {}), fields, refs });
        if (id !== undefined) keyById.set(`${kind}\0${id}`, key);
      }
    }
  }
  const order = new Map<Kind, number>(KINDS.map((k, i) => [k, i]));
  entities.sort((a, b) => order.get(a.kind)! - order.get(b.kind)! || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { entities };
}
