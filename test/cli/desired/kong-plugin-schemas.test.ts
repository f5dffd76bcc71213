/**
 * The offline schemas of Kong's bundled plugins are Kong 3.4.2's own answers, descriptions
 * dropped, one for every bundled plugin: regenerating them from the recordings changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { KONG_BUNDLED_PLUGINS } from '../../../cli/src/desired/bundled-plugins';
import { KONG_BUNDLED_PLUGIN_SCHEMAS } from '../../../cli/src/desired/kong-plugin-schemas';
import { pluginSchemas } from '../kong/fixtures';

function withoutDescriptions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDescriptions);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'description').map(([k, x]) => [k, withoutDescriptions(x)]));
  return v;
}

describe('Kong 3.4.2 bundled plugin schemas (offline)', () => {
  it('hold exactly the recorded GET /schemas/plugins/{name} of every bundled plugin', () => {
    const recorded = pluginSchemas();
    expect(Object.keys(KONG_BUNDLED_PLUGIN_SCHEMAS).sort()).toEqual([...KONG_BUNDLED_PLUGINS].sort());
    for (const name of KONG_BUNDLED_PLUGINS) expect(KONG_BUNDLED_PLUGIN_SCHEMAS[name], name).toEqual(withoutDescriptions(recorded[name]));
  });
});
