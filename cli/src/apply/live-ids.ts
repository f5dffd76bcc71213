/**
 * The Kong id behind every key a plan's references may give a live entity. Its own key, and
 * for a kind without a name (certificates) the key a file gives it when it writes it without
 * its id, its content: diff/match.ts finds the live entity by that key too, so a certificate
 * the file writes without an id is the live one, unchanged, and a new SNI nested under it
 * refers to it by that key (decK's builder gives such a certificate the live one's id).
 */
import type { Entity } from '../model/entity';
import type { Change } from '../model/plan';
import { KIND_DEFS } from '../kinds';

export function liveIds(entities: Entity[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const e of entities) if (e.id) ids.set(e.key, e.id);
  // As match.ts: an own key wins, and of two live entities with the same content the first.
  for (const e of entities) {
    const content = e.id ? KIND_DEFS[e.kind].contentIdentity?.(e) : undefined;
    if (content !== undefined && !ids.has(content)) ids.set(content, e.id!);
  }
  return ids;
}

/**
 * The live ids of the entities a plan updates, under the key the plan knows each by and the key
 * the files give it: a ref to a renamed entity is the same Kong entity. A set-aside is left out:
 * it names its entity by the value it gives up, which another entity now claims.
 */
export function updatedIds(changes: readonly Change[]): Map<string, string> {
  const updated = new Map<string, string>();
  for (const c of changes) {
    if (c.op !== 'update' || c.temporaryRelease) continue;
    const id = c.id ?? c.current?.id;
    if (!id) continue;
    updated.set(c.key, id);
    if (c.desired) updated.set(c.desired.key, id);
  }
  return updated;
}
