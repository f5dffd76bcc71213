/**
 * The order of a plan's changes is part of its contract (golden files, JSON consumers):
 * creates and updates top-down along DEPENDENCY_LEVELS, then deletes bottom-up, each level
 * sorted by key. Apply schedules from the same levels.
 */
import type { Change } from '../model/plan';
import { levelOf } from '../kinds';

const OP_RANK: Record<Change['op'], number> = { create: 0, update: 0, delete: 1 };

export function sortChanges(changes: Change[]): Change[] {
  return [...changes].sort((a, b) => {
    if (OP_RANK[a.op] !== OP_RANK[b.op]) return OP_RANK[a.op] - OP_RANK[b.op];
    const la = levelOf(a.kind);
    const lb = levelOf(b.kind);
    if (la !== lb) return a.op === 'delete' ? lb - la : la - lb;
    if (a.key !== b.key) return a.key < b.key ? -1 : 1;
    return a.op < b.op ? -1 : a.op > b.op ? 1 : 0;
  });
}
