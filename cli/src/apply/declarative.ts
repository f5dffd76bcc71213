/**
 * The desired state as one Kong declarative document (`_format_version: "3.0"`, flat lists,
 * foreign keys as strings: the referenced entity's id, or its endpoint key such as a service
 * name — kong/db/schema/others/declarative_config.lua resolves both), and Kong's
 * `flattened_errors` mapped back to the entities of the file. Pure.
 *
 * The text is canonical (lists sorted by entity key, object keys sorted, no whitespace) so the
 * same desired state always renders the same bytes, which is what lets `check_hash=1` answer
 * 304 when nothing changed.
 *
 * Entities with a unique `name` go out without an id (Kong derives a stable one). Every other
 * entity gets an id: its own from the file, else a name-based uuid of its key, so that Kong's
 * flattened errors (which carry `entity_id`) point back at exactly one entity.
 */
import { createHash } from 'node:crypto';
import type { Entity, Kind, SourceRef, State } from '../model/entity';
import { DEPENDENCY_LEVELS, kindDef } from '../kinds';
import { shortKey } from '../kinds/kind';
import { setOwn } from '../model/own';

/** Kinds whose `name` is unique and is the declarative endpoint key. */
const NAMED: ReadonlySet<Kind> = new Set<Kind>(['service', 'route', 'upstream', 'sni']);

/** A v5-shaped uuid derived from the entity's key: stable across runs, distinct across keys. */
export function stableId(kind: Kind, key: string): string {
  const h = createHash('sha1').update(`kong-ctl\u0000${kind}\u0000${key}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface RenderedEntity {
  kind: Kind;
  entity: Entity;
  /** What was sent for it (before canonical key ordering). */
  object: Record<string, unknown>;
}

export interface RenderedDeclarative {
  text: string;
  entityCount: number;
  countsByKind: Partial<Record<Kind, number>>;
  entities: RenderedEntity[];
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // setOwn: a map's key named `__proto__` is a key to Kong, not this object's prototype.
    for (const k of Object.keys(v as Record<string, unknown>).sort()) setOwn(out, k, canonical((v as Record<string, unknown>)[k]));
    return out;
  }
  return v;
}

function idFor(e: Entity): string | undefined {
  if (e.id) return e.id;
  if (NAMED.has(e.kind) && typeof e.fields.name === 'string' && e.fields.name !== '') return undefined;
  return stableId(e.kind, e.key);
}

export function renderDeclarative(state: State): RenderedDeclarative {
  const byKind = new Map<Kind, Entity[]>();
  for (const e of state.entities) {
    const list = byKind.get(e.kind);
    if (list) list.push(e);
    else byKind.set(e.kind, [e]);
  }
  const refString = new Map<string, string>();
  for (const e of state.entities) {
    const id = idFor(e);
    refString.set(e.key, id ?? String(e.fields.name));
  }

  const doc: Record<string, unknown> = { _format_version: '3.0' };
  const rendered: RenderedEntity[] = [];
  const countsByKind: Partial<Record<Kind, number>> = {};
  for (const kind of DEPENDENCY_LEVELS.flat()) {
    const list = (byKind.get(kind) ?? []).slice().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (list.length === 0) continue;
    const def = kindDef(kind);
    const objects: unknown[] = [];
    for (const e of list) {
      const object: Record<string, unknown> = {};
      const id = idFor(e);
      if (id) object.id = id;
      for (const [k, v] of Object.entries(e.fields)) if (k !== 'id') object[k] = v;
      for (const f of Object.keys(def.foreignKeys)) {
        const ref = e.refs[f];
        // A ref to an entity outside the file is left for Kong to reject ("invalid reference").
        if (ref) object[f] = refString.get(ref) ?? shortKey(ref);
      }
      rendered.push({ kind, entity: e, object });
      objects.push(canonical(object));
    }
    doc[def.schema] = objects;
    countsByKind[kind] = list.length;
  }
  return { text: JSON.stringify(doc), entityCount: rendered.length, countsByKind, entities: rendered };
}

/** One entry of Kong's `flattened_errors` (kong/db/errors.lua declarative_config_flattened). */
export interface FlattenedError {
  entity_type?: string;
  entity_name?: string;
  entity_id?: string;
  entity_tags?: string[];
  entity?: Record<string, unknown>;
  errors?: Array<{ field?: string; message?: string; type?: string }>;
}

export interface EntityError {
  /** The entity of the file the error belongs to; absent when it could not be told. */
  entity?: Entity;
  kind: string;
  label: string;
  source?: SourceRef;
  /** `field: message`, or the bare message for entity-level errors. */
  errors: string[];
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export function mapFlattenedErrors(rendered: RenderedDeclarative, flattened: FlattenedError[]): EntityError[] {
  const byId = new Map<string, RenderedEntity>();
  const byName = new Map<string, RenderedEntity[]>();
  for (const r of rendered.entities) {
    if (typeof r.object.id === 'string') byId.set(r.object.id, r);
    if (typeof r.object.name === 'string') {
      const k = `${r.kind}\u0000${r.object.name}`;
      const list = byName.get(k);
      if (list) list.push(r);
      else byName.set(k, [r]);
    }
  }
  return flattened.map((fe) => {
    const errors = (fe.errors ?? []).map((e) => (e.field ? `${e.field}: ${e.message ?? ''}` : (e.message ?? '')));
    let match: RenderedEntity | undefined;
    if (fe.entity_id) match = byId.get(fe.entity_id);
    if (!match && fe.entity_name) {
      const named = byName.get(`${fe.entity_type}\u0000${fe.entity_name}`) ?? [];
      if (named.length === 1) match = named[0];
      else match = named.find((r) => sameJson(r.object, fe.entity));
    }
    if (!match && fe.entity) match = rendered.entities.find((r) => r.kind === fe.entity_type && sameJson(r.object, fe.entity));
    if (match) {
      return { entity: match.entity, kind: match.kind, label: match.entity.label, source: match.entity.source, errors };
    }
    const name = fe.entity_name ?? fe.entity_id ?? '';
    return { kind: fe.entity_type ?? 'entity', label: `${fe.entity_type ?? 'entity'}${name ? ` ${name}` : ''}`, errors };
  });
}
