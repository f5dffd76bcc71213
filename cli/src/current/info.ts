/**
 * `GET /`: what Kong this is (also the cheapest "can we talk to it at all" probe, i.e. ping).
 */
import { KongCtlError } from '../model/errors';
import type { AdminClient } from '../kong/types';

export interface KongInfo {
  /** `3.4.2`, or `3.4.3.1-enterprise-edition` on Kong Gateway EE. */
  version: string;
  /** `community` unless Kong says otherwise (OSS 3.4 sends no `edition`). */
  edition: string;
  /** `postgres`, or `off` for DB-less. */
  database: string;
  /** `traditional`, `control_plane` or `data_plane`. */
  role?: string;
  /** Names of plugins this node has loaded, sorted. */
  pluginsAvailable: string[];
  /** Names of vaults this node has loaded (`env`…), sorted. */
  vaultsLoaded: string[];
  /** `traditional_compatible` (the default), `traditional` or `expressions`. */
  routerFlavor?: string;
}

export async function getKongInfo(client: AdminClient): Promise<KongInfo> {
  const res = await client.request<Record<string, unknown>>('GET', '/');
  const body = res.data;
  if (!body || typeof body !== 'object' || typeof body.version !== 'string') {
    throw new KongCtlError('E_KONG_HTTP', `GET ${client.baseUrl}/ did not answer like a Kong Admin API (no "version")`);
  }
  const conf = (body.configuration ?? {}) as Record<string, unknown>;
  const plugins = (body.plugins ?? {}) as { available_on_server?: Record<string, unknown> };
  const info: KongInfo = {
    version: body.version,
    edition: typeof body.edition === 'string' ? body.edition : /enterprise/i.test(body.version) ? 'enterprise' : 'community',
    database: typeof conf.database === 'string' ? conf.database : 'unknown',
    pluginsAvailable: Object.keys(plugins.available_on_server ?? {}).sort(),
    vaultsLoaded: Object.keys((conf.loaded_vaults ?? {}) as Record<string, unknown>).sort(),
  };
  if (typeof conf.role === 'string') info.role = conf.role;
  if (typeof conf.router_flavor === 'string') info.routerFlavor = conf.router_flavor;
  return info;
}

export function isDbless(info: Pick<KongInfo, 'database'>): boolean {
  return info.database === 'off';
}

/** kong-ctl speaks the 3.x Admin API (format 3.0, `~` regex paths); refuse older nodes up front. */
export function assertSupportedKong(info: Pick<KongInfo, 'version'>, baseUrl = 'the Admin API'): void {
  const major = Number(/^(\d+)\./.exec(info.version)?.[1]);
  if (!Number.isFinite(major) || major < 3) {
    throw new KongCtlError('E_USAGE', `Kong ${info.version} at ${baseUrl} is not supported: kong-ctl needs Kong Gateway 3.0 or later`);
  }
}
