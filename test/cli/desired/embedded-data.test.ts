/** The data embedded in cli/src/desired must stay what the Kong 3.4.2 recordings say. */
import { describe, expect, it } from 'vitest';
import { KONG_BUNDLED_PLUGINS } from '../../../cli/src/desired/bundled-plugins';
import { KONG_BUNDLED_VAULTS, KONG_ENTITY_SCHEMAS } from '../../../cli/src/desired/kong-entity-schemas';
import { transcribed } from '../kong/fixtures';
import { KIND_DEFS } from '../../../cli/src/kinds';
import { KINDS } from '../../../cli/src/model/entity';
import { exchange } from './helpers';

function withoutDescriptions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDescriptions);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        // The attribute, not a field named `description` (vaults have one).
        .filter(([k, x]) => !(k === 'description' && typeof x === 'string'))
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
    // Not recorded: transcribed from Kong 3.4's Lua (test/fixtures/kong-schemas-from-source).
    const fromSource: Record<string, string> = {
      vault: 'vaults', oauth2_credential: 'oauth2_credentials', key: 'keys', key_set: 'key_sets',
    };
    expect(Object.keys(KONG_ENTITY_SCHEMAS).sort()).toEqual([...KINDS].sort());
    for (const kind of KINDS) {
      const x = fromSource[kind] ? transcribed(fromSource[kind]) : exchange(fixtures[kind]);
      expect(x.request.path).toBe(`/schemas/${KIND_DEFS[kind].schema}`);
      expect(KONG_ENTITY_SCHEMAS[kind]).toEqual(withoutDescriptions(x.response.body));
    }
  });

  it('the bundled vaults are env alone, with its transcribed GET /schemas/vaults/env', () => {
    expect(KONG_BUNDLED_VAULTS).toEqual({ env: withoutDescriptions(transcribed('vaults-env').response.body) });
    // The vault entity refuses a prefix that names a bundled vault (vaults.lua `not_one_of = VAULTS`).
    const prefix = KONG_ENTITY_SCHEMAS.vault.fields.find((f) => 'prefix' in f)!.prefix;
    expect(prefix.not_one_of).toEqual(Object.keys(KONG_BUNDLED_VAULTS));
  });

  it('bundled plugins equal plugins.available_on_server of GET /, minus the recording\'s own js-hello', () => {
    const available = Object.keys(exchange('001').response.body.plugins.available_on_server);
    expect([...KONG_BUNDLED_PLUGINS].sort()).toEqual(available.filter((n) => n !== 'js-hello').sort());
    expect(exchange('001').response.body.configuration.plugins).toEqual(['bundled', 'js-hello']);
  });
});
