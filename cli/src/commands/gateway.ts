/**
 * Reading the gateway for one run: Kong's identity, the in-scope live state, and every schema
 * the desired and live entities need, each fetched once.
 */
import type { AdminClient } from '../kong/types';
import type { Entity, Kind, State } from '../model/entity';
import type { Schemas } from '../model/schema';
import type { DesiredResult } from '../desired/types';
import type { LiveEntities } from '../desired/live-references';
import type { SkipScope } from '../kinds';
import { assertSupportedKong, fetchCurrent, fetchSchemas, getKongInfo, type KongInfo } from '../current/fetch';

export interface Gateway {
  info: KongInfo;
  current: State;
  /** Live entities found by `_info.default_lookup_tags`: named by references, never managed. */
  lookup: Entity[];
  /** Live plugins scoped to a consumer group (Kong Enterprise): left alone (current/fetch.ts). */
  groupPlugins: number;
  schemas: Schemas;
}

/** What a run manages: entities with every select tag, consumers unless skipped; and what it looks up. */
export interface Scope extends SkipScope {
  selectTags: string[];
  lookupTags?: Partial<Record<Kind, string[]>>;
}

/** `known`: the node's `GET /` when the command already read it. */
export async function readGateway(client: AdminClient, scope: Scope, desired?: State, known?: KongInfo): Promise<Gateway> {
  const info = known ?? (await getKongInfo(client));
  assertSupportedKong(info, client.baseUrl);
  const { state: current, lookup, groupPlugins } = await fetchCurrent(client, scope);
  const { kinds, plugins, vaults } = schemasNeeded([...current.entities, ...(desired?.entities ?? [])]);
  const schemas = await fetchSchemas(client, kinds, plugins, { vaults });
  return { info, current, lookup, groupPlugins, schemas };
}

/** The scope and lookups of a diff or apply run. */
export function scopeOf(result: Pick<DesiredResult, 'selectTags' | 'lookupTags'>, opts: SkipScope): Scope {
  return { selectTags: result.selectTags, skipConsumers: opts.skipConsumers, skipCaCertificates: opts.skipCaCertificates, lookupTags: result.lookupTags };
}

/** What references the files leave open may name (desired/live-references.ts). */
export function liveOf(gw: Pick<Gateway, 'lookup' | 'current'>): LiveEntities {
  return { lookup: gw.lookup, inScope: gw.current.entities };
}

/** The entity kinds, plugin names and vault names whose schemas `entities` need, sorted. */
export function schemasNeeded(entities: Entity[]): { kinds: Kind[]; plugins: string[]; vaults: string[] } {
  const kinds = new Set<Kind>();
  const plugins = new Set<string>();
  const vaults = new Set<string>();
  for (const e of entities) {
    kinds.add(e.kind);
    const name = e.fields.name;
    if (typeof name !== 'string' || name === '') continue;
    if (e.kind === 'plugin') plugins.add(name);
    else if (e.kind === 'vault') vaults.add(name);
  }
  return { kinds: [...kinds].sort(), plugins: [...plugins].sort(), vaults: [...vaults].sort() };
}
