/**
 * Runs a plan against Kong. Each change starts as soon as the changes it waits for (graph.ts)
 * are done, at most `parallelism` writes at a time. A failure stops what depends on it, and the
 * deletes held until every create and update succeeded (graph.ts, 7.); every other write goes
 * on, and every change ends up in the report as done, failed or not attempted (naming the
 * failure that blocked it).
 *
 * Re-running converges: creates are PUTs to an id chosen before sending, updates PATCH absolute
 * values, deletes of missing entities succeed, and a later run plans only what is still missing.
 */
import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import type { AdminClient } from '../kong/types';
import { AdminApiError } from '../kong/types';
import { KongCtlError, formatDiagnostic } from '../model/errors';
import type { Change } from '../model/plan';
import { levelOf } from '../kinds';
import { buildDependencies } from './graph';
import { updatedIds } from './live-ids';
import { buildWrite, UnresolvedReference } from './requests';
import { standIn } from './stand-ins';
import { setAside, temporaryReleases } from './temporary-release';
import type { IdResolvers } from './requests';
import type { ApplyOptions, ApplyReport, ApplyResult } from './types';
import { DEFAULT_PARALLELISM } from './types';

export type { ApplyOptions, ApplyReport, ApplyResult, ApplyStatus } from './types';

/** Errors after which no further write can succeed: stop starting new ones. */
const FATAL_CODES = new Set(['E_KONG_UNREACHABLE', 'E_KONG_AUTH', 'E_KONG_TLS']);

export async function applyPlan(
  plan: { changes: Change[] },
  client: AdminClient,
  opts: ApplyOptions,
): Promise<ApplyReport> {
  assertSelectTags(plan.changes, opts.selectTags);
  const context = { routeServices: opts.routeServices, currentIds: opts.currentIds };
  let changes = plan.changes;
  let graph = buildDependencies(changes, context);

  if (opts.dryRun) {
    // The graph is built (and its checks run) all the same; only the writes are skipped.
    return { results: changes.map((change) => ({ change, status: 'not_attempted' })), writes: 0, dryRun: true };
  }

  // Hand-overs of unique values in a cycle: one more write sets each aside first.
  const setAsides = await Promise.all(
    temporaryReleases(changes, graph).map(async ({ at, field }) => {
      const c = changes[at];
      return setAside(c, field, await standIn(c.kind, field, c.current!.fields[field]));
    }),
  );
  if (setAsides.length > 0) {
    changes = [...changes, ...setAsides];
    graph = buildDependencies(changes, context);
  }
  // A set-aside is reported only when it failed: the plan did not list it.
  const reported = (all: ApplyResult[]) => all.filter((r) => !r.change.temporaryRelease || r.status === 'failed');

  const ids = idResolvers(changes, opts.currentIds);
  const results: ApplyResult[] = changes.map((change) => ({ change, status: 'not_attempted' }));
  const n = changes.length;
  const state = new Array<'pending' | 'queued' | 'settled'>(n).fill('pending');
  const remaining = graph.deps.map((d) => d.length);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  graph.deps.forEach((d, i) => d.forEach((j) => dependents[j].push(i)));
  // Deletes held until every create and update has succeeded (graph.ts, 6.).
  const held = new Set(graph.afterWrites);
  let writesLeft = changes.filter((c) => c.op !== 'delete').length;
  let writeFailure: Pick<ApplyResult, 'blockedBy' | 'error'> | undefined;
  const limit = pLimit(Math.max(1, Math.floor(opts.parallelism || DEFAULT_PARALLELISM)));
  let writes = 0;
  let settled = 0;
  let abortReason: string | undefined;

  return new Promise<ApplyReport>((resolve, reject) => {
    const finishIfDone = () => {
      if (settled === n) resolve({ results: reported(results), writes });
    };

    const settle = (i: number) => {
      state[i] = 'settled';
      settled++;
      opts.onProgress?.(settled, n, changes[i]);
    };

    const block = (i: number, why: Pick<ApplyResult, 'blockedBy' | 'error'>) => {
      const stack = [i];
      while (stack.length) {
        const x = stack.pop()!;
        if (state[x] !== 'pending') continue;
        results[x] = { change: changes[x], status: 'not_attempted', ...why };
        settle(x);
        if (changes[x].op !== 'delete') holdBackDeletes(why);
        stack.push(...dependents[x]);
      }
    };

    /** A create or update did not happen: the held deletes never will in this run. */
    const holdBackDeletes = (why: Pick<ApplyResult, 'blockedBy' | 'error'>) => {
      if (writeFailure) return;
      writeFailure = why;
      for (const d of held) block(d, why);
    };

    const ready = (d: number) => remaining[d] === 0 && state[d] === 'pending' && (!held.has(d) || writesLeft === 0);

    const enqueue = (i: number) => {
      state[i] = 'queued';
      limit(() => run(i))
        .then(() => {
          const r = results[i];
          if (r.status === 'done') {
            for (const d of dependents[i]) if (--remaining[d] === 0 && ready(d)) enqueue(d);
            if (changes[i].op !== 'delete' && --writesLeft === 0 && !writeFailure) {
              for (const d of [...held].sort((a, b) => rank(changes[a]) - rank(changes[b]))) if (ready(d)) enqueue(d);
            }
          } else {
            const why =
              r.status === 'failed' ? { blockedBy: `${changes[i].op} ${changes[i].label}` } : { blockedBy: r.blockedBy, error: r.error };
            if (changes[i].op !== 'delete') holdBackDeletes(why);
            for (const d of dependents[i]) block(d, why);
          }
          finishIfDone();
        })
        .catch(reject);
    };

    const run = async (i: number): Promise<void> => {
      const change = changes[i];
      if (abortReason) {
        results[i] = { change, status: 'not_attempted', error: abortReason };
        settle(i);
        return;
      }
      let req;
      try {
        req = buildWrite(change, ids.resolvers, randomUUID);
      } catch (err) {
        if (!(err instanceof UnresolvedReference)) throw err;
        results[i] = { change, status: 'failed', error: err.message };
        settle(i);
        return;
      }
      if (req.method === 'PATCH' && (!req.body || Object.keys(req.body).length === 0)) {
        results[i] = { change, status: 'done', id: req.id };
        settle(i);
        return;
      }
      if (change.op === 'create') ids.created.set(change.desired?.key ?? change.key, req.id);
      writes++;
      try {
        await client.request(req.method, req.path, {
          body: req.body,
          idempotent: req.idempotent,
          acceptStatus: req.acceptStatus,
        });
        results[i] = { change, status: 'done', id: req.id };
      } catch (err) {
        if (change.op === 'create') ids.created.delete(change.desired?.key ?? change.key);
        results[i] = failure(change, `${req.method} ${req.path}`, err);
        if (err instanceof KongCtlError && FATAL_CODES.has(err.code)) abortReason ??= `not attempted: ${err.message}`;
      }
      settle(i);
    };

    if (n === 0) {
      resolve({ results, writes });
      return;
    }
    const first = [...Array(n).keys()].filter(ready);
    // The deletes the writes wait for first, bottom-up, then creates and updates top-down; the
    // held deletes follow them, bottom-up.
    first.sort((a, b) => rank(changes[a]) - rank(changes[b]));
    for (const i of first) enqueue(i);
  });
}

function rank(c: Change): number {
  const level = levelOf(c.kind);
  return c.op === 'delete' ? -level - 100 : level;
}

function failure(change: Change, request: string, err: unknown): ApplyResult {
  if (err instanceof AdminApiError) {
    const body = err.body as { message?: unknown } | undefined;
    const message = body && typeof body.message === 'string' ? body.message : err.message;
    return {
      change,
      status: 'failed',
      error: message,
      fieldErrors: err.fieldErrors,
      httpStatus: err.status,
      request,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { change, status: 'failed', error: message, request };
}

/**
 * Entity key → Kong id for the refs of desired entities: ids of creates made in this run win
 * (a recreated entity has a new id), then the ids of entities being updated under the key the
 * file knows them by, then the live ids.
 */
function idResolvers(
  changes: Change[],
  currentIds: Map<string, string>,
): { resolvers: IdResolvers; created: Map<string, string> } {
  const created = new Map<string, string>();
  const updated = updatedIds(changes);
  return {
    created,
    resolvers: {
      desired: (key) => created.get(key) ?? updated.get(key) ?? currentIds.get(key),
      current: (key) => currentIds.get(key),
    },
  };
}

/**
 * Every entity written must carry the select tags, or the next run (which only sees tagged
 * entities) would not find it and would create it again. Desired entities get them when the
 * file is loaded; this only checks, before the first write, that they did.
 */
function assertSelectTags(changes: Change[], selectTags: string[]): void {
  if (selectTags.length === 0) return;
  for (const c of changes) {
    if (c.op === 'delete' || !c.desired) continue;
    if (c.op === 'update' && !(c.fieldChanges ?? []).some((f) => f.path.split('.')[0] === 'tags')) continue;
    const tags = Array.isArray(c.desired.fields.tags) ? (c.desired.fields.tags as unknown[]) : [];
    const missing = selectTags.filter((t) => !tags.includes(t));
    if (missing.length === 0) continue;
    const where = formatDiagnostic({ message: `${c.label} lacks select tag(s) ${missing.join(', ')}`, source: c.desired.source });
    throw new KongCtlError(
      'E_SELECT_TAGS',
      `refusing to apply: ${where}; every entity written under --select-tag must carry the tag(s)`,
    );
  }
}
