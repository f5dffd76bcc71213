/**
 * References Kong does not hold as foreign keys, so that the reference edges of graph.ts do not
 * see them: a value naming a vault by prefix (`{vault://prefix/…}`), a service's list of CA
 * certificate ids. Kong accepts a write naming something that does not exist yet, then fails in
 * live traffic, and may refuse (or leave dangling) a delete of something still named. Hence,
 * for each: a change whose desired fields name an entity waits for that entity's create or
 * update, and the entity's delete waits for the changes that stop naming it.
 */
import type { Kind } from '../model/entity';
import type { Change } from '../model/plan';

export interface SoftReference {
  /** The kind of the entities named. */
  kind: Kind;
  /** The names a create or update of that kind can be referred to by. */
  writtenNames(change: Change): Array<string | undefined>;
  /** The name a delete of that kind frees. */
  deletedName(change: Change): string | undefined;
  /** The names an entity's fields refer to. */
  named(fields: Record<string, unknown> | undefined): Set<string>;
}

/**
 * Ordering edges `[waiter, first]` between changes of `ref.kind` and the changes that name them:
 * `naming`, a change waiting for what it names to be written; `freeing`, a delete waiting for the
 * changes that stop naming what it deletes.
 */
export function softReferenceEdges(changes: Change[], ref: SoftReference): { naming: Array<[number, number]>; freeing: Array<[number, number]> } {
  const written = new Map<string, number>();
  const deleted = new Map<string, number>();
  changes.forEach((c, i) => {
    if (c.kind !== ref.kind) return;
    if (c.op === 'delete') {
      const name = ref.deletedName(c);
      if (name) deleted.set(name, i);
    } else {
      for (const name of ref.writtenNames(c)) if (name) written.set(name, i);
    }
  });
  const naming: Array<[number, number]> = [];
  const freeing: Array<[number, number]> = [];
  if (written.size === 0 && deleted.size === 0) return { naming, freeing };

  changes.forEach((c, i) => {
    const named = c.op !== 'delete' && c.desired ? ref.named(c.desired.fields) : new Set<string>();
    for (const name of named) {
      const j = written.get(name);
      if (j !== undefined && j !== i) naming.push([i, j]);
    }
    if (c.op === 'create' || !c.current) return;
    for (const name of ref.named(c.current.fields)) {
      const j = deleted.get(name);
      // A change that keeps naming the entity gains nothing from running first.
      if (j !== undefined && j !== i && !named.has(name)) freeing.push([j, i]);
    }
  });
  return { naming, freeing };
}
