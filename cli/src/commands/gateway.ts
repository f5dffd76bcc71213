/**
 * Reading the gateway for one run: Kong's identity, the in-scope live state, and every schema
 * the desired and live entities need, each fetched once.
 */
import type { AdminClient } from '../kong/types';
import type { Kind, State } from '../model/entity';
import type { Schemas } from '../model/schema';
import { assertSupportedKong, fetchCurrent, fetchSchemas, getKongInfo, type KongInfo } from '../current/fetch';

export interface Gateway {
  info: KongInfo;
  current: State;
  schemas: Schemas;
}

/** `known`: the node's `GET /` when the command already read it. */
export async function readGateway(client: AdminClient, selectTags: string[], desired?: State, known?: KongInfo): Promise<Gateway> {
  const info = known ?? (await getKongInfo(client));
  assertSupportedKong(info, client.baseUrl);
  const { state: current } = await fetchCurrent(client, { selectTags });
  const kinds = new Set<Kind>();
  const plugins = new Set<string>();
  for (const e of [...current.entities, ...(desired?.entities ?? [])]) {
    kinds.add(e.kind);
    if (e.kind === 'plugin' && typeof e.fields.name === 'string') plugins.add(e.fields.name);
  }
  const schemas = await fetchSchemas(client, [...kinds].sort(), [...plugins].sort());
  return { info, current, schemas };
}
