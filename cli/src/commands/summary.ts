import type { Entity } from '../model/entity';
import { KINDS } from '../model/entity';

/** `3 services, 5 routes, 2 plugins`, in dependency order. */
export function countByKind(entities: Entity[]): string {
  const counts = new Map<string, number>();
  for (const e of entities) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  const parts: string[] = [];
  for (const k of KINDS) {
    const n = counts.get(k);
    if (n) parts.push(`${n} ${k.replace(/_/g, ' ')}${n === 1 ? '' : 's'}`);
  }
  return parts.length ? parts.join(', ') : 'nothing';
}
