/**
 * The recorded Kong 3.4.2 exchanges (test/fixtures/kong-admin), loaded by number so nock
 * answers with exactly what a real Kong sent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Exchange {
  request: { method: string; path: string; body: unknown };
  response: { status: number; headers: Record<string, string>; body: any };
}

export const FIXTURES_ROOT = join(__dirname, '..', '..', 'fixtures', 'kong-admin');

export function exchange(num: string, flavour: '3.4.2-postgres' | '3.4.2-dbless' = '3.4.2-postgres'): Exchange {
  const dir = join(FIXTURES_ROOT, flavour);
  const file = readdirSync(dir).find((f) => f.startsWith(`${num}_`));
  if (!file) throw new Error(`no fixture ${num} in ${flavour}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as Exchange;
}

/** `data` of a recorded list answer. */
export function listData(num: string, flavour?: '3.4.2-postgres' | '3.4.2-dbless'): Array<Record<string, unknown>> {
  return exchange(num, flavour).response.body.data;
}

/** Every `GET /schemas/plugins/{name}` recorded, by plugin name. */
export function pluginSchemas(): Record<string, any> {
  const dir = join(FIXTURES_ROOT, '3.4.2-postgres');
  const out: Record<string, any> = {};
  for (const f of readdirSync(dir)) {
    const m = /^\d+_GET_schemas-plugins-(.+)\.json$/.exec(f);
    if (m) out[m[1]] = JSON.parse(readFileSync(join(dir, f), 'utf8')).response.body;
  }
  return out;
}

export const FROM_SOURCE_ROOT = join(__dirname, '..', '..', 'fixtures', 'kong-schemas-from-source', '3.4');

/**
 * A `GET /schemas/…` answer the recording lacks, transcribed from Kong 3.4's Lua
 * (test/fixtures/kong-schemas-from-source): `vaults`, `vaults-env`, `oauth2_credentials`, `keys`, `key_sets`.
 */
export function transcribed(name: string): Exchange {
  return JSON.parse(readFileSync(join(FROM_SOURCE_ROOT, `GET_schemas-${name}.json`), 'utf8')) as Exchange;
}

/** `GET /schemas/vaults/{name}` of the vaults OSS Kong bundles (env), by vault name. */
export function vaultSchemas(): Record<string, any> {
  return { env: transcribed('vaults-env').response.body };
}

/** The recorded `GET /schemas/{entity}` answers (003-016), keyed by kind, plus the transcribed ones. */
export function entitySchemas(): Record<string, any> {
  const byKind: Record<string, string> = {
    service: '003',
    route: '004',
    consumer: '005',
    plugin: '006',
    upstream: '007',
    target: '008',
    certificate: '009',
    sni: '010',
    ca_certificate: '011',
    keyauth_credential: '012',
    jwt_secret: '013',
    basicauth_credential: '014',
    hmacauth_credential: '015',
    acl: '016',
  };
  return {
    ...Object.fromEntries(Object.entries(byKind).map(([k, n]) => [k, exchange(n).response.body])),
    vault: transcribed('vaults').response.body,
    oauth2_credential: transcribed('oauth2_credentials').response.body,
    key: transcribed('keys').response.body,
    key_set: transcribed('key_sets').response.body,
  };
}
