/**
 * A Kong 3.4.2 node as nock plays it for the second validation pass: GET /, the entity, plugin
 * and vault schemas as recorded (edited where a test plays a newer node), optionally empty lists.
 */
import nock from 'nock';
import { KIND_DEFS } from '../../../cli/src/kinds';
import type { Kind } from '../../../cli/src/model/entity';
import { entitySchemas, exchange, pluginSchemas, vaultSchemas } from '../kong/fixtures';

export const ADMIN = 'http://kong-admin.test:8001';

export interface Node {
  version?: string;
  entities?: Record<string, unknown>;
  plugins?: Record<string, unknown>;
  /** `GET /schemas/vaults/{name}` answers beyond the bundled env vault's. */
  vaults?: Record<string, unknown>;
  /** `configuration.router_flavor` in GET / (the recording says traditional_compatible). */
  routerFlavor?: string;
  /** Serve empty entity lists, for commands that read live state after validating. */
  lists?: boolean;
}

/** A Kong node as nock answers it: GET /, the schemas, and (optionally) empty lists. */
export function recordedNode(n: Node = {}): nock.Scope {
  const root = structuredClone(exchange('001').response.body);
  if (n.version) root.version = n.version;
  if (n.routerFlavor) root.configuration.router_flavor = n.routerFlavor;
  const entities = { ...entitySchemas(), ...n.entities };
  const plugins = { ...pluginSchemas(), ...n.plugins };
  const bySchema = new Map(Object.entries(entities).map(([kind, s]) => [KIND_DEFS[kind as Kind].schema, s]));
  const vaults = { ...vaultSchemas(), ...n.vaults };
  const scope = nock(ADMIN)
    .get('/')
    .reply(200, root)
    // Asked for only by files with vaults: optional, so isDone() speaks of the rest.
    .get(/^\/schemas\/vaults\/[^/?]+$/)
    .optionally()
    .reply((uri) => {
      const name = decodeURIComponent(uri.split('/').pop()!);
      return vaults[name] ? [200, vaults[name]] : [404, { message: `No vault named '${name}'` }];
    })
    .persist()
    .get(/^\/schemas\/plugins\/[^/?]+$/)
    .reply((uri) => {
      const name = decodeURIComponent(uri.split('/').pop()!);
      return plugins[name] ? [200, plugins[name]] : [404, { message: 'Not found' }];
    })
    .persist()
    .get(/^\/schemas\/[a-z_]+$/)
    .reply((uri) => {
      const s = bySchema.get(uri.split('/').pop()!);
      return s ? [200, s] : [404, { message: 'Not found' }];
    })
    .persist();
  if (n.lists) scope.get(/^\/[a-z0-9_-]+\?/).reply(200, { data: [], next: null }).persist();
  return scope;
}
