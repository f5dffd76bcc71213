/** The data embedded in cli/src/desired must stay what the Kong 3.4.2 recordings say. */
import { describe, expect, it } from 'vitest';
import { KONG_BUNDLED_PLUGINS } from '../../../cli/src/desired/bundled-plugins';
import { KONG_ENTITY_SCHEMAS } from '../../../cli/src/desired/kong-entity-schemas';
import { KIND_DEFS } from '../../../cli/src/kinds';
import { KINDS } from '../../../cli/src/model/entity';
import { exchange } from './helpers';

function withoutDescriptions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDescriptions);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== 'description')
        .map(([k, x]) => [k, withoutDescriptions(x)]),
    );
  }
  return v;
}

describe('embedded Kong 3.4.2 data', () => {
  it('entity schemas equal GET /schemas/{entity} as recorded, descriptions aside', () => {
    const fixtures: Record<string, string> = {
      service: '003', route: '004', consumer: '005', plugin: '006', upstream: '007', target: '008',
      certificate: '009', sni: '010', ca_certificate: '011', keyauth_credential: '012', jwt_secret: '013',
      basicauth_credential: '014', hmacauth_credential: '015', acl: '016',
    };
    expect(Object.keys(KONG_ENTITY_SCHEMAS).sort()).toEqual([...KINDS].sort());
    for (const kind of KINDS) {
      const x = exchange(fixtures[kind]);
      expect(x.request.path).toBe(`/schemas/${KIND_DEFS[kind].schema}`);
      expect(KONG_ENTITY_SCHEMAS[kind]).toEqual(withoutDescriptions(x.response.body));
    }
  });

  it('bundled plugins equal plugins.available_on_server of GET /, minus the recording\'s own js-hello', () => {
    const available = Object.keys(exchange('001').response.body.plugins.available_on_server);
    expect([...KONG_BUNDLED_PLUGINS].sort()).toEqual(available.filter((n) => n !== 'js-hello').sort());
    expect(exchange('001').response.body.configuration.plugins).toEqual(['bundled', 'js-hello']);
  });
});
