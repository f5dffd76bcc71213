/**
 * References the files cannot resolve themselves, resolved against the live gateway once it has
 * been read. Two things let a file name an entity it does not declare:
 *
 * - `_info.default_lookup_tags` (decK's): live services, routes and consumers carrying those tags
 *   are looked up, never changed. A platform team's file enables a plugin on a service that an
 *   application team's file (other select tags) manages.
 * - `--no-deletes` (decK's `gateway apply`): a partial file may name any live entity in its scope,
 *   since the run keeps what the files do not name.
 *
 * Pure: the live entities come in, the desired state with its references rewritten to the keys
 * of those entities comes out (so a desired plugin and the live plugin on the same looked-up
 * service compare equal), with a diagnostic at the reference's file:line for each one that
 * names nothing.
 */
import type { Entity, Kind, State } from '../model/entity';
import type { Diagnostic } from '../model/errors';
import { KIND_DEFS } from '../kinds';
import { closest } from './closest';
import type { DesiredResult, WrittenRef } from './types';
import { NAME_FIELDS } from './load';

/** True when a reference the files cannot resolve is left for the live gateway to resolve. */
export function mayNameLiveEntity(ref: WrittenRef, result: Pick<DesiredResult, 'lookupTags'>, liveReferences: boolean): boolean {
  return liveReferences || (result.lookupTags as Partial<Record<Kind, string[]>>)[ref.targetKind] !== undefined;
}

/** The references of `result` that wait for the live gateway (none resolved by the files). */
export function pendingReferences(result: Pick<DesiredResult, 'lookupTags' | 'references' | 'state'>, liveReferences: boolean): WrittenRef[] {
  const pending = result.references.filter((r) => !r.resolved && mayNameLiveEntity(r, result, liveReferences));
  if (!pending.length) return pending;
  // Entities that left the run (--skip-consumers) have nothing left to resolve.
  const inRun = new Set(result.state.entities);
  return pending.filter((r) => inRun.has(r.entity));
}

export interface LiveEntities {
  /** Entities found by the lookup tags (any kind listed in `_info.default_lookup_tags`). */
  lookup: Entity[];
  /** The live entities in scope: the run's current state. */
  inScope: Entity[];
}

export interface LiveResolution {
  state: State;
  diagnostics: Diagnostic[];
}

/**
 * Live entities of one kind by the values a reference may write: the id, then each name field in
 * NAME_FIELDS order (a consumer's username before its custom_id), as the files' own are matched.
 */
class LiveIndex {
  private readonly byValue: Array<Map<string, Entity>>;
  readonly entities: Entity[];
  constructor(kind: Kind, entities: Entity[]) {
    this.entities = entities;
    const fields = NAME_FIELDS[kind] ?? [];
    this.byValue = [undefined, ...fields].map((field) => {
      const m = new Map<string, Entity>();
      for (const e of entities) {
        const v = field === undefined ? e.id : e.fields[field];
        if (typeof v === 'string' && !m.has(v)) m.set(v, e);
      }
      return m;
    });
  }

  match(written: string): Entity | undefined {
    for (const m of this.byValue) {
      const hit = m.get(written);
      if (hit) return hit;
    }
    return undefined;
  }
}

function indexer(entities: Entity[]): (kind: Kind) => LiveIndex {
  const cache = new Map<Kind, LiveIndex>();
  return (kind) => {
    let ix = cache.get(kind);
    if (!ix) cache.set(kind, (ix = new LiveIndex(kind, entities.filter((e) => e.kind === kind))));
    return ix;
  };
}

function namesOf(kind: Kind, entities: Entity[]): string[] {
  return entities.flatMap((e) => (NAME_FIELDS[kind] ?? []).map((f) => e.fields[f]).filter((v): v is string => typeof v === 'string'));
}

function where(e: Entity): string {
  return e.source ? `${e.source.file}:${e.source.line}:${e.source.column} ${e.source.path}` : e.label;
}

const plural = (kind: Kind) => `${kind.replace(/_/g, ' ')}s`;

export function resolveLiveReferences(
  result: Pick<DesiredResult, 'state' | 'references' | 'lookupTags' | 'selectTags'>,
  live: LiveEntities,
  opts: { liveReferences: boolean },
): LiveResolution {
  const diagnostics: Diagnostic[] = [];
  const lookupTags = result.lookupTags as Partial<Record<Kind, string[]>>;
  const inScopeIds = new Set(live.inScope.map((e) => e.id));
  /** Unresolved key as loading gave it → the key of the live entity it names. */
  const rewrites = new Map<string, string>();

  const lookedUp = indexer(live.lookup);
  const inScope = indexer(opts.liveReferences ? live.inScope : []);
  for (const ref of pendingReferences(result, opts.liveReferences)) {
    const kind = ref.targetKind;
    const oldKey = ref.entity.refs[ref.field];
    if (!oldKey || rewrites.has(oldKey)) continue;
    const tags = lookupTags[kind];
    const looked = tags ? lookedUp(kind) : undefined;
    const scoped = inScope(kind);
    const hit = looked?.match(ref.written) ?? scoped.match(ref.written);
    const at = { code: 'E_VALIDATION' as const, source: ref.source };
    if (!hit) {
      const places = [
        tags ? `among the ${plural(kind)} tagged [${tags.join(', ')}]` : '',
        opts.liveReferences ? `among the live ${plural(kind)} in scope (--no-deletes)` : '',
      ].filter(Boolean);
      const hint = closest(ref.written, [
        ...namesOf(kind, result.state.entities.filter((e) => e.kind === kind)),
        ...namesOf(kind, [...(looked?.entities ?? []), ...scoped.entities]),
      ]);
      diagnostics.push({
        ...at,
        message:
          `${ref.field}: unknown ${kind.replace(/_/g, ' ')} '${ref.written}'${hint ? ` (did you mean '${hint}'?)` : ''}: ` +
          `not in the file(s), nor in Kong ${places.join(' or ')}`,
      });
      continue;
    }
    if (!opts.liveReferences && inScopeIds.has(hit.id)) {
      diagnostics.push({
        ...at,
        message:
          `${ref.field}: ${hit.label}, found by the lookup tags [${tags!.join(', ')}], also carries the select tags ` +
          `[${result.selectTags.join(', ')}]: these files manage it, so they must declare it (apply would delete it otherwise)`,
      });
      continue;
    }
    rewrites.set(oldKey, hit.key);
  }

  const entities = result.state.entities.map((e) => {
    let refs: Record<string, string | null> | undefined;
    for (const [field, key] of Object.entries(e.refs)) {
      const to = key === null ? undefined : rewrites.get(key);
      if (to !== undefined && to !== key) (refs ??= { ...e.refs })[field] = to;
    }
    if (!refs) return e;
    const def = KIND_DEFS[e.kind];
    const base = { fields: e.fields, refs, id: e.id };
    return { ...e, refs, key: def.identity(base), label: def.label(base) };
  });
  diagnostics.push(...duplicatesAfterRewrite(result.state.entities, entities));
  return { state: { entities }, diagnostics };
}

/** Two references written differently (a name, an id) may turn out to name one live entity. */
function duplicatesAfterRewrite(before: Entity[], after: Entity[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, Entity>();
  after.forEach((e, i) => {
    const seen = first.get(e.key);
    if (!seen) {
      first.set(e.key, e);
      return;
    }
    // Duplicates the files had already were reported by the offline check.
    if (e === before[i] && seen === before[after.indexOf(seen)]) return;
    const what = e.kind === 'plugin' ? `${e.label} is configured twice` : `duplicate ${e.label}`;
    out.push({ code: 'E_VALIDATION', message: `${what} (first at ${where(seen)}): both name the same live entity`, ...(e.source ? { source: e.source } : {}) });
  });
  return out;
}
