import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { assertSupportedKong, fetchSchemas, getKongInfo, isDbless } from '../../../cli/src/current/fetch';
import { KongCtlError } from '../../../cli/src/model/errors';
import { exchange } from '../kong/fixtures';
import { KONG, nockedAdminClients } from './nocked-admin';

const client = nockedAdminClients();

/** Serve a recorded exchange exactly once. */
function serve(num: string): void {
  const ex = exchange(num);
  nock(KONG).get(ex.request.path).reply(ex.response.status, ex.response.body, ex.response.headers);
}

describe('fetchSchemas', () => {
  it('fetches each entity and plugin schema once per run, however often asked', async () => {
    for (const n of ['003', '004', '006', '043', '024']) serve(n);
    const c = client();
    const first = await fetchSchemas(c, ['service', 'route', 'plugin', 'service'], ['rate-limiting', 'cors', 'rate-limiting']);
    const second = await fetchSchemas(c, ['route', 'plugin'], ['cors']);
    expect(c.stats.requests).toBe(5);
    expect(Object.keys(first.entities)).toEqual(['plugin', 'route', 'service']);
    expect(Object.keys(first.plugins)).toEqual(['cors', 'rate-limiting']);
    expect(first.entities.service).toEqual(exchange('003').response.body);
    expect(first.plugins['rate-limiting']).toEqual(exchange('043').response.body);
    expect(second.entities.route).toBe(first.entities.route);
  });

  it('runs concurrent requests for the same schema as one', async () => {
    serve('043');
    const c = client();
    await Promise.all([fetchSchemas(c, [], ['rate-limiting']), fetchSchemas(c, [], ['rate-limiting'])]);
    expect(c.stats.requests).toBe(1);
  });

  it('does not share the cache between clients (runs)', async () => {
    serve('043');
    serve('043');
    await fetchSchemas(client(), [], ['rate-limiting']);
    await fetchSchemas(client(), [], ['rate-limiting']);
  });

  it('reports a plugin Kong does not have as E_VALIDATION', async () => {
    nock(KONG).get('/schemas/plugins/my-plugin').reply(404, { message: "No plugin named 'my-plugin'" });
    const err = await fetchSchemas(client(), [], ['my-plugin']).catch((e) => e);
    expect(err).toBeInstanceOf(KongCtlError);
    expect(err.code).toBe('E_VALIDATION');
    expect(err.message).toMatch(/^plugin 'my-plugin' is not installed on this Kong \(GET \/schemas\/plugins\/my-plugin → 404\)/);
  });

  it('leaves out a credential schema Kong lacks (plugin not loaded) but not a core one', async () => {
    nock(KONG).get('/schemas/jwt_secrets').reply(404, { message: "No entity named 'jwt_secrets'" });
    const s = await fetchSchemas(client(), ['jwt_secret'], []);
    expect(s.entities).toEqual({});

    nock(KONG).get('/schemas/services').reply(404, { message: "No entity named 'services'" });
    await expect(fetchSchemas(client(), ['service'], [])).rejects.toMatchObject({ name: 'AdminApiError', status: 404 });
  });
});

describe('getKongInfo', () => {
  it('reads version, edition, database, role and plugins from GET / (Postgres)', async () => {
    serve('001');
    const info = await getKongInfo(client());
    expect(info).toMatchObject({ version: '3.4.2', edition: 'community', database: 'postgres', role: 'traditional' });
    expect(info.pluginsAvailable).toContain('js-hello');
    expect(info.pluginsAvailable).toContain('rate-limiting');
    expect(info.pluginsAvailable).toEqual([...info.pluginsAvailable].sort());
    // configuration.loaded_vaults: the vaults whose config schemas `kong-ctl schema --online` asks for.
    expect(info.vaultsLoaded).toEqual(['env']);
    expect(isDbless(info)).toBe(false);
  });

  it('sees database off on the DB-less node', async () => {
    const ex = exchange('001', '3.4.2-dbless');
    nock(KONG).get('/').reply(200, ex.response.body);
    const info = await getKongInfo(client());
    expect(info.database).toBe('off');
    expect(isDbless(info)).toBe(true);
  });

  it('refuses an answer that is not Kong’s', async () => {
    nock(KONG).get('/').reply(200, '<html>hello</html>', { 'content-type': 'text/html' });
    await expect(getKongInfo(client())).rejects.toMatchObject({ code: 'E_KONG_HTTP' });
  });

  it('accepts Kong 3.x and later, refuses 2.x', () => {
    expect(() => assertSupportedKong({ version: '3.4.2' })).not.toThrow();
    expect(() => assertSupportedKong({ version: '3.4.3.1-enterprise-edition' })).not.toThrow();
    expect(() => assertSupportedKong({ version: '10.0.0' })).not.toThrow();
    expect(() => assertSupportedKong({ version: '2.8.1' }, 'http://old:8001')).toThrow(
      'Kong 2.8.1 at http://old:8001 is not supported: kong-ctl needs Kong Gateway 3.0 or later',
    );
  });
});
