/**
 * Apply for a DB-less Kong (`database: "off"`): entity writes answer 405 there, so the whole
 * desired configuration goes out in ONE `POST /config`, which Kong loads all-or-nothing.
 *
 * - The config travels as a string (`{"config": "<json text>"}`): only then does `check_hash=1`
 *   answer 304 for an unchanged config (fixtures 3.4.2-dbless 010/011; a JSON object body never
 *   gets a 304, 003/004).
 * - `flatten_errors=1` makes a 400 list each invalid entity (fixtures 006, 014); each is mapped
 *   back to the entity of the file and its file:line.
 * - POST /config replaces the whole configuration: sending the same body twice leaves the node
 *   as once, so the request is marked idempotent and the client may retry it (429 + Retry-After
 *   while a previous config is still loading).
 * - An empty config would wipe the node (fixture 008 shows Kong accepts it): refused unless allowed.
 *   So is one that leaves out more of what the node holds (GET /config, fixture 016) than
 *   `--max-deletes` allows, as apply's guard does on a database node: one team's file given
 *   instead of the whole set would otherwise remove every other team's entities. What goes is
 *   counted per kind, as what the node holds beyond what the files hold: a lower bound (a
 *   rename is not counted), so the guard never stops a file set that keeps everything.
 */
import { parse as parseYaml } from 'yaml';
import type { AdminClient } from '../kong/types';
import { AdminApiError, flattenFields } from '../kong/types';
import type { Kind, State } from '../model/entity';
import { KongCtlError } from '../model/errors';
import { KIND_DEFS, isSkippedRaw } from '../kinds';
import { mapFlattenedErrors, renderDeclarative } from './declarative';
import { DEFAULT_MAX_DELETES } from './guard';
import type { EntityError, FlattenedError } from './declarative';

export interface DblessOptions {
  selectTags: string[];
  /** `--skip-consumers`: only possible while the node holds no consumer at all (see assertNothingOutOfScope). */
  skipConsumers?: boolean;
  skipCaCertificates?: boolean;
  dryRun: boolean;
  /** `--allow-mass-delete`: send a config with no entity at all, or one leaving out any number of the node's. */
  allowEmpty?: boolean;
  /** `--max-deletes`: how many of the node's entities the config may leave out. */
  maxDeletes?: number;
}

export interface DblessResult {
  /** applied: 201; unchanged: 304; invalid: 400 with the errors below; dry_run: nothing sent. */
  status: 'applied' | 'unchanged' | 'invalid' | 'dry_run';
  entityCount: number;
  countsByKind: Partial<Record<Kind, number>>;
  /** Size of the config text sent (or that would be sent). */
  bytes: number;
  /** Per-entity errors from Kong's flattened_errors, with the file position when known. */
  entityErrors: EntityError[];
  /** Errors Kong reported that belong to no single entity. */
  errors: string[];
  /** Writes sent: 1, or 0 for a dry run. */
  writes: number;
}

export async function applyDbless(desired: State, client: AdminClient, opts: DblessOptions): Promise<DblessResult> {
  assertTagged(desired, opts.selectTags);
  const rendered = renderDeclarative(desired);
  const base = {
    entityCount: rendered.entityCount,
    countsByKind: rendered.countsByKind,
    bytes: Buffer.byteLength(rendered.text),
    entityErrors: [] as EntityError[],
    errors: [] as string[],
  };
  if (rendered.entityCount === 0 && !opts.allowEmpty) {
    throw new KongCtlError(
      'E_DELETE_GUARD',
      'refusing to send an empty configuration to a DB-less node: POST /config replaces everything, so it would ' +
        'remove every service, route, consumer and plugin. If that is intended, re-run with --allow-mass-delete.',
    );
  }
  const scoped = opts.selectTags.length > 0 || opts.skipConsumers || opts.skipCaCertificates;
  if (scoped || !opts.allowEmpty) {
    const live = await liveConfig(client);
    if (scoped) assertNothingOutOfScope(live, opts);
    if (!opts.allowEmpty) assertFewDeletes(live, rendered.countsByKind, opts.maxDeletes ?? DEFAULT_MAX_DELETES);
  }
  if (opts.dryRun) return { status: 'dry_run', ...base, writes: 0 };

  const res = await client.request<Record<string, unknown> | null>('POST', '/config', {
    query: { check_hash: 1, flatten_errors: 1 },
    body: { config: rendered.text },
    idempotent: true,
    acceptStatus: [304, 400],
  });
  if (res.status === 304) return { status: 'unchanged', ...base, writes: 1 };
  if (res.status !== 400) return { status: 'applied', ...base, writes: 1 };

  const body = (res.data ?? {}) as { flattened_errors?: FlattenedError[]; fields?: unknown; message?: unknown; code?: unknown };
  // Only a declarative-config error (code 14) is about the file; any other 400 (e.g. "only
  // available when Kong is configured to not use a database", fixture 127) is Kong's answer as is.
  if (body.code !== 14 && !Array.isArray(body.flattened_errors)) {
    throw new AdminApiError('POST', '/config', 400, res.data);
  }
  const entityErrors = mapFlattenedErrors(rendered, body.flattened_errors ?? []);
  const errors = flattenFields(body.fields);
  if (entityErrors.length === 0 && errors.length === 0 && typeof body.message === 'string') errors.push(body.message);
  return { status: 'invalid', ...base, entityErrors, errors, writes: 1 };
}

function assertTagged(desired: State, selectTags: string[]): void {
  if (selectTags.length === 0) return;
  for (const e of desired.entities) {
    const tags = Array.isArray(e.fields.tags) ? (e.fields.tags as unknown[]) : [];
    const missing = selectTags.filter((t) => !tags.includes(t));
    if (missing.length > 0) {
      throw new KongCtlError('E_SELECT_TAGS', `refusing to apply: ${e.label} lacks select tag(s) ${missing.join(', ')}`);
    }
  }
}

/** The node's current configuration (GET /config, DB-less only), as its declarative document. */
async function liveConfig(client: AdminClient): Promise<Record<string, unknown>> {
  const res = await client.request<{ config?: unknown }>('GET', '/config');
  const text = typeof res.data?.config === 'string' ? res.data.config : '';
  return ((text ? parseYaml(text) : {}) ?? {}) as Record<string, unknown>;
}

/** Refuses a config that leaves out more of the node's entities than `maxDeletes` (see the top). */
function assertFewDeletes(doc: Record<string, unknown>, desired: Partial<Record<Kind, number>>, maxDeletes: number): void {
  const gone: string[] = [];
  let total = 0;
  for (const def of Object.values(KIND_DEFS)) {
    const list = doc[def.schema];
    const n = (Array.isArray(list) ? list.length : 0) - (desired[def.kind] ?? 0);
    if (n <= 0) continue;
    total += n;
    gone.push(`${n} ${def.kind}${n === 1 ? '' : 's'}`);
  }
  if (total <= maxDeletes) return;
  throw new KongCtlError(
    'E_DELETE_GUARD',
    `refusing to delete at least ${total} entities (${gone.join(', ')}): the node holds that many more than the files, and POST /config ` +
      `replaces its whole configuration; more than --max-deletes ${maxDeletes}. A partial file set looks like this. ` +
      `If it is intended, re-run with --max-deletes ${total} or --allow-mass-delete.`,
  );
}

/**
 * With --select-tag or --skip-consumers a user expects entities outside the scope to survive,
 * but POST /config replaces the node's whole configuration. So the node's current config
 * must hold nothing outside the scope, or the apply is refused.
 */
function assertNothingOutOfScope(doc: Record<string, unknown>, scope: Pick<DblessOptions, 'selectTags' | 'skipConsumers' | 'skipCaCertificates'>): void {
  const { selectTags } = scope;
  const outside = new Map<string, number>();
  for (const def of Object.values(KIND_DEFS)) {
    const list = doc?.[def.schema];
    if (!Array.isArray(list)) continue;
    for (const item of list as Array<Record<string, unknown>>) {
      const tags = Array.isArray(item?.tags) ? item.tags : [];
      const inScope = selectTags.every((t) => tags.includes(t)) && !isSkippedRaw(def.kind, item ?? {}, scope);
      if (!inScope) outside.set(def.kind, (outside.get(def.kind) ?? 0) + 1);
    }
  }
  if (outside.size === 0) return;
  const counts = [...outside].map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`).join(', ');
  const flags = [
    ...(selectTags.length ? [`without the select tag(s) ${selectTags.join(', ')}`] : []),
    ...(scope.skipConsumers ? ['that --skip-consumers leaves alone'] : []),
    ...(scope.skipCaCertificates ? ['that --skip-ca-certificates leaves alone'] : []),
  ].join(' or ');
  throw new KongCtlError(
    'E_OUT_OF_SCOPE',
    `the DB-less node holds entities ${flags} (${counts}); ` +
      'POST /config replaces the whole configuration and would delete them. Manage a DB-less node from one ' +
      'complete file set, without --select-tag or --skip-* flags, or bring those entities into the files first.',
  );
}
