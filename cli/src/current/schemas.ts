/**
 * Schemas from the live node (`GET /schemas/{entity}`, `GET /schemas/plugins/{name}`,
 * `GET /schemas/vaults/{name}`): defaults change between Kong versions (3.14 changed route
 * protocols), so they are read at run time, never hard-coded. Each path is fetched at most once per client, i.e. once per run, however
 * many stages (diff, dump) ask.
 */
import pLimit from 'p-limit';
import type { Kind } from '../model/entity';
import { KongCtlError } from '../model/errors';
import type { EntitySchema, Schemas } from '../model/schema';
import { KIND_DEFS } from '../kinds';
import { mayBeMissing } from './optional-kinds';
import { markRandomDefaults } from './random-defaults';
import { setOwn } from '../model/own';
import { AdminApiError, type AdminClient } from '../kong/types';


const cacheByClient = new WeakMap<AdminClient, Map<string, Promise<EntitySchema | undefined>>>();

function cached(client: AdminClient, path: string, load: () => Promise<EntitySchema | undefined>): Promise<EntitySchema | undefined> {
  let cache = cacheByClient.get(client);
  if (!cache) {
    cache = new Map();
    cacheByClient.set(client, cache);
  }
  let p = cache.get(path);
  if (!p) {
    p = load();
    cache.set(path, p);
    // A failure is not an answer worth remembering: a later stage may ask again.
    p.catch(() => cache!.delete(path));
  }
  return p;
}

async function getSchema(client: AdminClient, path: string): Promise<EntitySchema | undefined> {
  const res = await client.request<EntitySchema & { message?: string }>('GET', path, { acceptStatus: [404] });
  if (res.status === 404) return undefined;
  if (!res.data || !Array.isArray(res.data.fields)) {
    throw new KongCtlError('E_KONG_HTTP', `GET ${path} did not return a Kong schema ({"fields": […]})`);
  }
  return res.data;
}

/** Subschemas picked by an entity's `name`: a plugin's, a vault's (each in Kong's `plugins`/`vaults` setting). */
const SUBSCHEMAS = { plugins: 'plugin', vaults: 'vault' } as const;

export async function fetchSchemas(
  client: AdminClient,
  kinds: Kind[],
  pluginNames: string[],
  /**
   * vaults: vault names (`env`…) whose config schema is needed. omitMissing: a plugin or vault
   * the node lacks is left out (for validation to report at its file:line) rather than thrown.
   */
  opts: { concurrency?: number; omitMissing?: boolean; vaults?: string[] } = {},
): Promise<Schemas> {
  const limit = pLimit(opts.concurrency ?? 8);
  const out = { entities: {}, plugins: {}, vaults: {} } as Required<Schemas>;

  const entityJobs = [...new Set(kinds)].map(async (kind) => {
    const path = `/schemas/${KIND_DEFS[kind].schema}`;
    const schema = await cached(client, path, () => limit(() => getSchema(client, path)));
    if (schema) out.entities[kind] = schema;
    else if (!mayBeMissing(kind)) {
      throw new AdminApiError('GET', path, 404, { message: `No entity named '${KIND_DEFS[kind].schema}'` });
    }
  });

  const subschemaJobs = (setting: keyof typeof SUBSCHEMAS, names: string[]) =>
    [...new Set(names)].map(async (name) => {
      const path = `/schemas/${setting}/${encodeURIComponent(name)}`;
      const schema = await cached(client, path, () => limit(() => getSchema(client, path)));
      // setOwn: a plugin named `__proto__` would otherwise replace the map's prototype.
      if (schema) setOwn(out[setting], name, setting === 'plugins' ? markRandomDefaults(name, schema) : schema);
      else if (!opts.omitMissing) {
        throw new KongCtlError(
          'E_VALIDATION',
          `${SUBSCHEMAS[setting]} '${name}' is not installed on this Kong (GET ${path} → 404): add it to Kong's \`${setting}\` setting or remove it from the file`,
        );
      }
    });

  await Promise.all([...entityJobs, ...subschemaJobs('plugins', pluginNames), ...subschemaJobs('vaults', opts.vaults ?? [])]);
  // Insertion order follows completion order; sort so that the result is deterministic.
  const sorted = <T>(o: Record<string, T>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { entities: sorted(out.entities), plugins: sorted(out.plugins), vaults: sorted(out.vaults) };
}
