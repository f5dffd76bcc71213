/**
 * Pairing desired entities with live ones. A desired entity that names an `id` is the live
 * entity with that id (a rename with a kept id is an update); one without is matched by key,
 * and failing that by another unique key of its kind (a consumer by its custom_id).
 * Kinds are matched level by level along DEPENDENCY_LEVELS so that a rename is seen by the
 * entities below it: live foreign keys are Kong ids underneath, so when route `a` is renamed
 * `b` (same id), a live plugin whose ref says `route:a` already belongs to `route:b` — its
 * refs and key are translated before it is matched and compared.
 *
 * The opposite case is a replacement: a live entity is deleted while its key lives on in
 * the file (the file gives it a new id, or renames another entity into it). Live entities
 * that point at the old one would look unchanged (same ref key) yet hang off an entity that
 * goes away: Kong cascades plugins and credentials with it and refuses to delete a service
 * that routes still use. They are replaced as well (never matched), and so is whatever
 * hangs below them.
 */
import type { Entity } from '../model/entity';
import { DEPENDENCY_LEVELS, KIND_DEFS, levelOf } from '../kinds';
import type { PreparedDesired } from './normalize';

export interface MatchedPair {
  desired: PreparedDesired;
  /** The live entity as read. */
  current: Entity;
  /** The live entity with refs (and key) translated through renames above it. */
  translated: Entity;
}

export interface Matching {
  pairs: MatchedPair[];
  creates: PreparedDesired[];
  /** Live entities with no desired counterpart, as read. */
  deletes: Entity[];
}

export function matchEntities(desired: PreparedDesired[], current: Entity[]): Matching {
  const result: Matching = { pairs: [], creates: [], deletes: [] };
  const renamed = new Map<string, string>();
  /** Original keys of live entities that are deleted and come back as new entities. */
  const replaced = new Set<string>();
  const levels = DEPENDENCY_LEVELS.length;
  const desiredAt = groupByLevel(desired, (d) => d.entity.kind, levels);
  const currentAt = groupByLevel(current, (c) => c.kind, levels);

  for (let level = 0; level <= levels; level++) {
    const live = currentAt[level].map((c) => ({ current: c, translated: translate(c, renamed) }));
    const orphaned = new Set(live.filter((l) => Object.values(l.current.refs).some((k) => k !== null && replaced.has(k))));
    const byId = new Map<string, (typeof live)[number]>();
    const byKey = new Map<string, (typeof live)[number]>();
    for (const l of live) {
      if (orphaned.has(l)) continue;
      if (l.current.id) byId.set(`${l.current.kind}#${l.current.id}`, l);
      byKey.set(l.translated.key, l);
    }
    // A nameless entity the file writes without an id is found live by its content; an id or
    // name key above wins, and of two live entities with the same content the first is taken.
    for (const l of live) {
      const content = orphaned.has(l) ? undefined : KIND_DEFS[l.current.kind].contentIdentity?.(l.translated);
      if (content !== undefined && !byKey.has(content)) byKey.set(content, l);
    }
    // Other unique keys of the live entities (a consumer's custom_id), for file entities whose
    // own key is new. Kong lets only one entity hold such a key; should two (null: ambiguous),
    // neither is found by it.
    const byAlternate = new Map<string, (typeof live)[number] | null>();
    for (const l of live) {
      if (orphaned.has(l)) continue;
      for (const k of KIND_DEFS[l.current.kind].alternateKeys?.(l.translated) ?? []) byAlternate.set(k, byAlternate.has(k) ? null : l);
    }
    const taken = new Set<(typeof live)[number]>();
    const pair = (d: PreparedDesired, l: (typeof live)[number]): void => {
      taken.add(l);
      result.pairs.push({ desired: d, current: l.current, translated: l.translated });
      if (l.current.key !== d.entity.key) renamed.set(l.current.key, d.entity.key);
    };
    const withId = desiredAt[level].filter((d) => d.entity.id);
    const withoutId = desiredAt[level].filter((d) => !d.entity.id);
    // Ids first, so a key freed by a rename is not taken by an entity that only shares the name.
    for (const d of withId) {
      const l = byId.get(`${d.entity.kind}#${d.entity.id}`);
      if (l && !taken.has(l)) pair(d, l);
      else result.creates.push(d);
    }
    const keyless: PreparedDesired[] = [];
    for (const d of withoutId) {
      const l = byKey.get(d.entity.key);
      if (l && !taken.has(l) && l.current.kind === d.entity.kind) pair(d, l);
      else keyless.push(d);
    }
    // Only once every key has found its own, so that an alternate key never takes a live entity
    // from the file entity that names it by its key. A live entity two file entities claim this
    // way goes to neither: the files' order is no reason to pick one (Kong refuses the second).
    const claimed = new Map<PreparedDesired, (typeof live)[number]>();
    const claimants = new Map<(typeof live)[number], number>();
    for (const d of keyless) {
      const l = (KIND_DEFS[d.entity.kind].alternateKeys?.(d.entity) ?? [])
        .map((k) => byAlternate.get(k))
        .find((c) => c && !taken.has(c) && c.current.kind === d.entity.kind);
      if (!l) continue;
      claimed.set(d, l);
      claimants.set(l, (claimants.get(l) ?? 0) + 1);
    }
    for (const d of keyless) {
      const l = claimed.get(d);
      if (l && claimants.get(l) === 1) pair(d, l);
      else result.creates.push(d);
    }
    // A deleted entity whose key lives on in the file (a new id, or another entity renamed
    // into it) leaves refs that name the key but mean the deleted entity.
    const desiredKeys = new Set(desiredAt[level].map((d) => d.entity.key));
    for (const l of live) {
      if (taken.has(l)) continue;
      result.deletes.push(l.current);
      if (orphaned.has(l) || desiredKeys.has(l.current.key)) replaced.add(l.current.key);
    }
  }
  return result;
}

function translate(e: Entity, renamed: Map<string, string>): Entity {
  if (renamed.size === 0) return e;
  let refs: Record<string, string | null> | undefined;
  for (const [name, key] of Object.entries(e.refs)) {
    const to = key ? renamed.get(key) : undefined;
    if (to !== undefined) {
      refs ??= { ...e.refs };
      refs[name] = to;
    }
  }
  if (!refs) return e;
  const def = KIND_DEFS[e.kind];
  const view = { fields: e.fields, refs, id: e.id };
  return { ...e, refs, key: def.identity(view), label: def.label(view) };
}

function groupByLevel<T>(items: T[], kindOf: (t: T) => Entity['kind'], levels: number): T[][] {
  const out: T[][] = Array.from({ length: levels + 1 }, () => []);
  for (const item of items) {
    const l = levelOf(kindOf(item));
    out[l >= 0 ? l : levels].push(item);
  }
  return out;
}
