/**
 * Reading the live gateway. Every kind is listed in parallel (bounded), targets per upstream;
 * with select tags Kong filters with `tags=a,b` (AND, as decK's select tags mean).
 *
 * DB-less (`database: "off"`): reads are the same GETs and return the same envelopes (recorded
 * in fixtures 3.4.2-dbless/018-020); only writes differ (405 on entity endpoints, POST /config
 * instead), which is apply's business, not this module's.
 */
import pLimit from 'p-limit';
import type { Entity, Kind, State } from '../model/entity';
import { KINDS } from '../model/entity';
import { KongCtlError } from '../model/errors';
import { KIND_DEFS, isConsumerBoundRaw, isSkippedKind } from '../kinds';
import { mayBeMissing } from './optional-kinds';
import { AdminApiError, type AdminClient } from '../kong/types';
import { buildCurrentState, type RawKongState } from './build';

export { buildCurrentState, unresolvedKey, type RawKongState } from './build';
export { fetchSchemas } from './schemas';
export { getKongInfo, assertSupportedKong, isDbless, type KongInfo } from './info';

/** Kong refuses more than 5 tags in one filter (kong/db/dao/init.lua). */
const KONG_MAX_FILTER_TAGS = 5;


type RawEntity = Record<string, unknown>;

export interface FetchCurrentOptions {
  selectTags: string[];
  /** `--skip-consumers`: consumers and their credentials are not read, consumer plugins dropped. */
  skipConsumers?: boolean;
  /** `--skip-ca-certificates`: CA certificates are not read. */
  skipCaCertificates?: boolean;
  /** `_info.default_lookup_tags`: per kind, live entities with these tags are listed too, as `lookup`. */
  lookupTags?: Partial<Record<Kind, string[]>>;
  /** Parallel list requests; default 8. */
  concurrency?: number;
}

export interface CurrentRead {
  /** The live entities in scope. */
  state: State;
  raw: RawKongState;
  /** Found by the lookup tags: never part of the state, only what its references (and the files') may name. */
  lookup: Entity[];
  /** Live plugins scoped to a consumer group (Kong Enterprise), left out of the state (scopedToGroup). */
  groupPlugins: number;
}

/**
 * A plugin scoped to a consumer group, an entity kong-ctl does not manage. Read as any plugin,
 * its scope would be lost: it would match a file's plugin of the same name and owner, whose
 * update would change the group's plugin (and leave its scope), and a dump would write it as a
 * plugin for every consumer. So it is not read, compared, written, deleted or dumped.
 */
function scopedToGroup(plugin: RawEntity): boolean {
  return plugin.consumer_group !== null && plugin.consumer_group !== undefined;
}

export function checkSelectTags(tags: string[], what = 'select tag'): void {
  for (const tag of tags) {
    if (tag === '' || tag.includes(',') || tag.includes('/')) {
      throw new KongCtlError('E_SELECT_TAGS', `${what} '${tag}' cannot be used: Kong tags are non-empty and contain neither ',' nor '/'`);
    }
  }
}

/** Kong filters by at most 5 tags; any beyond are applied here, which AND semantics allow. */
function tagQuery(tags: string[]): Record<string, string | undefined> {
  return tags.length ? { tags: tags.slice(0, KONG_MAX_FILTER_TAGS).join(',') } : {};
}

function hasAllTags(obj: RawEntity, tags: string[]): boolean {
  if (!tags.length) return true;
  const own = Array.isArray(obj.tags) ? (obj.tags as unknown[]) : [];
  return tags.every((t) => own.includes(t));
}

async function listKind(client: AdminClient, kind: Kind, path: string, query: Record<string, string | undefined>): Promise<RawEntity[]> {
  try {
    return await client.listAll<RawEntity>(path, query);
  } catch (err) {
    // /key-auths & co. exist only while their plugin is loaded, /keys from Kong 3.1: a 404 means none.
    if (err instanceof AdminApiError && err.status === 404 && mayBeMissing(kind)) return [];
    throw err;
  }
}

export async function fetchCurrent(client: AdminClient, opts: FetchCurrentOptions): Promise<CurrentRead> {
  const selectTags = [...new Set(opts.selectTags)];
  checkSelectTags(selectTags);
  const pool = pLimit(opts.concurrency ?? 8);
  // After the first failure the run is lost: queued reads are dropped rather than sent.
  let failed: unknown;
  const limit = <T>(fn: () => Promise<T>): Promise<T> =>
    pool(async () => {
      if (failed !== undefined) throw failed;
      try {
        return await fn();
      } catch (err) {
        failed ??= err;
        throw err;
      }
    });
  const query = tagQuery(selectTags);
  const keep = (list: RawEntity[]) => list.filter((o) => hasAllTags(o, selectTags));

  const lists = new Map<Kind, Promise<RawEntity[]>>();
  for (const kind of KINDS) {
    const path = KIND_DEFS[kind].listPath;
    if (!path || isSkippedKind(kind, opts)) continue;
    lists.set(kind, limit(() => listKind(client, kind, path, query)).then(keep));
  }
  let groupPlugins = 0;
  const plugins = lists.get('plugin');
  if (plugins) {
    lists.set(
      'plugin',
      plugins.then((list) => {
        groupPlugins = list.filter(scopedToGroup).length;
        return list.filter((p) => !scopedToGroup(p) && !(opts.skipConsumers && isConsumerBoundRaw('plugin', p)));
      }),
    );
  }

  // Targets are only listed under their upstream. The nested endpoint's tag filtering is not
  // something to rely on, so targets are read whole and filtered here.
  const upstreams = lists.get('upstream') ?? Promise.resolve([]);
  lists.set(
    'target',
    upstreams.then(async (ups) => {
      const perUpstream = await Promise.all(
        ups.map((u) => limit(() => client.listAll<RawEntity>(`/upstreams/${encodeURIComponent(String(u.id))}/targets`))),
      );
      return keep(perUpstream.flat());
    }),
  );

  const lookups = lookupLists(opts, (kind, path, tags) =>
    limit(() => listKind(client, kind, path, tagQuery(tags))).then((list) => list.filter((o) => hasAllTags(o, tags))),
  );

  const raw: RawKongState = {};
  const lookupRaw: RawKongState = {};
  await Promise.all([
    ...[...lists.entries()].map(async ([kind, p]) => {
      raw[kind] = await p;
    }),
    ...[...lookups.entries()].map(async ([kind, p]) => {
      lookupRaw[kind] = await p;
    }),
  ]);
  const ordered: RawKongState = {};
  for (const kind of KINDS) if (raw[kind]) ordered[kind] = raw[kind];
  const lookup = buildCurrentState(lookupRaw).entities;
  return { state: buildCurrentState(ordered, lookup), raw: ordered, lookup, groupPlugins };
}

/** Only the entities found by the lookup tags (validate --online, which reads no live state). */
export async function fetchLookup(
  client: AdminClient,
  opts: Pick<FetchCurrentOptions, 'lookupTags' | 'skipConsumers' | 'skipCaCertificates' | 'concurrency'>,
): Promise<Entity[]> {
  const pool = pLimit(opts.concurrency ?? 8);
  const lists = lookupLists(opts, (kind, path, tags) =>
    pool(() => listKind(client, kind, path, tagQuery(tags))).then((list) => list.filter((o) => hasAllTags(o, tags))),
  );
  const raw: RawKongState = {};
  await Promise.all([...lists.entries()].map(async ([kind, p]) => (raw[kind] = await p)));
  return buildCurrentState(raw).entities;
}

/** The lookup lists to read: one per kind with lookup tags (consumers not under --skip-consumers). */
function lookupLists(
  opts: Pick<FetchCurrentOptions, 'lookupTags' | 'skipConsumers' | 'skipCaCertificates'>,
  list: (kind: Kind, path: string, tags: string[]) => Promise<RawEntity[]>,
): Map<Kind, Promise<RawEntity[]>> {
  const out = new Map<Kind, Promise<RawEntity[]>>();
  for (const [kind, tags] of Object.entries(opts.lookupTags ?? {}) as Array<[Kind, string[]]>) {
    const path = KIND_DEFS[kind].listPath;
    if (!tags?.length || !path || isSkippedKind(kind, opts)) continue;
    const unique = [...new Set(tags)];
    checkSelectTags(unique, 'lookup tag');
    out.set(kind, list(kind, path, unique));
  }
  return out;
}
