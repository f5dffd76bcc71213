/**
 * The offline schemas of Kong's bundled plugins are Kong 3.4.2's own answers, descriptions
 * dropped, one for every bundled plugin: regenerating them from the recordings changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { KONG_BUNDLED_PLUGINS } from '../../../cli/src/desired/bundled-plugins';
import { KONG_BUNDLED_PLUGIN_SCHEMAS } from '../../../cli/src/desired/kong-plugin-schemas';
import { BUNDLED_URL_FIELDS, urlProblem } from '../../../cli/src/desired/kong-url';
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

/** kong/db/schema/typedefs.lua `typedefs.url`'s description, which `/schemas` shows where its validator runs. */
const URL_DESCRIPTION = 'A string representing a URL, such as https://example.com/path/to/resource?q=search.';

function urlFields(fields: any[], path: string[]): string[][] {
  return fields.flatMap((f) => {
    const [name, s] = Object.entries(f)[0] as [string, any];
    const here = [...path, name];
    if (s.description === URL_DESCRIPTION) return [here];
    return s.type === 'record' ? urlFields(s.fields ?? [], here) : [];
  });
}

describe("Kong's typedefs.url check on bundled plugins (kong-url.ts)", () => {
  it('covers exactly the fields Kong 3.4.2 describes as URLs', () => {
    const recorded: Record<string, string[][]> = {};
    for (const [name, schema] of Object.entries(pluginSchemas())) {
      const found = urlFields(schema.fields, []);
      if (found.length) recorded[name] = found;
    }
    expect(BUNDLED_URL_FIELDS).toEqual(recorded);
  });

  it.each([
    ['invalid::#//url', 'missing host in url'], // 05-error-flattening_spec's global http-log
    ['example.com', 'missing host in url'],
    ['//example.com/path', 'missing scheme in url'],
    ['http://', 'missing host in url'],
    ['https://example.com', undefined],
    ['http://user:pw@[::1]:8080/x?y#z', undefined],
    ['', undefined], // the length check's
  ])('%s: %s, as Kong answers', (url, problem) => {
    expect(urlProblem(url)).toBe(problem);
  });
});
