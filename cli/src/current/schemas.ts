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

export async function fetchSchemas(
  client: AdminClient,
  kinds: Kind[],
  pluginNames: string[],
  /**
   * vaults: vault names (`env`…) whose config schema is needed. omitMissingPlugins: a plugin or
   * vault the node lacks is left out (for validation to report at its file:line) rather than thrown.
   */
  opts: { concurrency?: number; omitMissingPlugins?: boolean; vaults?: string[] } = {},
): Promise<Schemas> {
  const limit = pLimit(opts.concurrency ?? 8);
  const out: Schemas = { entities: {}, plugins: {}, vaults: {} };

  const entityJobs = [...new Set(kinds)].map(async (kind) => {
    const path = `/schemas/${KIND_DEFS[kind].schema}`;
    const schema = await cached(client, path, () => limit(() => getSchema(client, path)));
    if (schema) out.entities[kind] = schema;
    else if (!mayBeMissing(kind)) {
      throw new AdminApiError('GET', path, 404, { message: `No entity named '${KIND_DEFS[kind].schema}'` });
    }
  });

  const pluginJobs = [...new Set(pluginNames)].map(async (name) => {
    const path = `/schemas/plugins/${encodeURIComponent(name)}`;
    const schema = await cached(client, path, () => limit(() => getSchema(client, path)));
    if (!schema) {
      if (opts.omitMissingPlugins) return;
      throw new KongCtlError(
        'E_VALIDATION',
        `plugin '${name}' is not installed on this Kong (GET ${path} → 404): add it to Kong's \`plugins\` setting or remove it from the file`,
      );
    }
    out.plugins[name] = schema;
  });

  const vaultJobs = [...new Set(opts.vaults ?? [])].map(async (name) => {
    const path = `/schemas/vaults/${encodeURIComponent(name)}`;
    const schema = await cached(client, path, () => limit(() => getSchema(client, path)));
    if (!schema) {
      if (opts.omitMissingPlugins) return;
      throw new KongCtlError('E_VALIDATION', `vault '${name}' is not installed on this Kong (GET ${path} → 404): add it to Kong's \`vaults\` setting or remove it from the file`);
    }
    out.vaults![name] = schema;
  });

  await Promise.all([...entityJobs, ...pluginJobs, ...vaultJobs]);
  // Insertion order follows completion order; sort so that the result is deterministic.
  out.entities = Object.fromEntries(Object.entries(out.entities).sort(([a], [b]) => (a < b ? -1 : 1)));
  out.plugins = Object.fromEntries(Object.entries(out.plugins).sort(([a], [b]) => (a < b ? -1 : 1)));
  out.vaults = Object.fromEntries(Object.entries(out.vaults!).sort(([a], [b]) => (a < b ? -1 : 1)));
  return out;
}
