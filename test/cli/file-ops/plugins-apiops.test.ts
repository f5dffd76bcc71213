/**
 * go-apiops' own test cases for decK's `file add-plugins`, run through kong-ctl's CLI.
 *
 * Ported from Kong/go-apiops (Apache-2.0, Copyright Kong Inc.) plugins/plugins_test.go at
 * dcf4fda77dbbcb0165de9d875921aaafe856c9d9 and plugins/pluginfile_test.go at
 * 6ca7b751ab65442e6144e2315aae77e781f5ffbc, checked against plugins/plugins.go at
 * 3cc63ecdf74251bd1d4fe4d8e5067b7668a482da, plugins/pluginfile.go at
 * 6ca7b751ab65442e6144e2315aae77e781f5ffbc and cmd/addplugins.go.
 *
 * Each case asserts the data go-apiops asserts, parsed. Plugger.SetData's cases (a panic on nil
 * data) test Go internals and are not ported; AddPluginPatch.Parse's are run on the exported
 * parsePluginFile, with the entry as the only one of a plugin file.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePluginFile } from '../../../cli/src/file-ops/plugins';
import { parseDeckDocument } from '../../../cli/src/file-ops/document';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-plugins-apiops-');

async function added(data: string, args: string[]): Promise<unknown> {
  const r = await runCli(['file', 'add-plugins', ...args], { stdin: data });
  expect(r.code, r.stderr).toBe(0);
  return parse(r.stdout);
}

const TWO_SERVICES = `{"services": [{"name": "service1"}, {"name": "service2", "plugins": [{"name": "plugin1"}]}]}`;
const ONE_SERVICE = `{"services": [{"name": "service1"}]}`;
const ALL_KEYS = { name: 'plugin1', service: 'service1', route: 'route1', consumer: 'consumer1', consumer_group: 'consumer_group1' };

describe('go-apiops plugins: Plugger.SetSelectors', () => {
  it('allows nil, or 0 length: no selector means the top-level plugins', async () => {
    expect(await added(ONE_SERVICE, ['--config', '{"name": "p"}'])).toEqual({ services: [{ name: 'service1' }], plugins: [{ name: 'p' }] });
  });

  it('accepts a valid JSONpointer', async () => {
    const out = await added(`{"services": [{"name": "s", "routes": [{"name": "r"}]}]}`, ['--selector', '$..routes[*]', '--selector', '$..services[*]', '--config', '{"name": "p"}']);
    expect(out).toEqual({ services: [{ name: 's', routes: [{ name: 'r', plugins: [{ name: 'p' }] }], plugins: [{ name: 'p' }] }] });
  });

  it('fails on a bad JSONpointer, and writes nothing', async () => {
    const r = await runCli(['file', 'add-plugins', '--selector', 'bad one', '--config', '{"name": "p"}'], { stdin: ONE_SERVICE });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--selector 'bad one' is not a JSONPath query");
  });
});

describe('go-apiops plugins: Plugger.AddPlugin', () => {
  it('adds plugin to existing plugin arrays and creates new plugin arrays', async () => {
    expect(await added(TWO_SERVICES, ['--selector', '$..services[*]', '--config', '{"name": "plugin-added"}'])).toEqual({
      services: [
        { name: 'service1', plugins: [{ name: 'plugin-added' }] },
        { name: 'service2', plugins: [{ name: 'plugin1' }, { name: 'plugin-added' }] },
      ],
    });
  });

  it('supports complex selectors', async () => {
    const route = (name: string, methods: string[], path: string, plugins: unknown[] = []) => ({ name, methods, paths: [path], plugins });
    const service = (routes: unknown[]) => ({ services: [{ host: 'api.example.com', name: 'example', path: '/', plugins: [], port: 443, protocol: 'https', routes }] });
    const input = service([
      route('customer_post', ['POST'], '~/accounts/customers$'),
      route('demo_one_get', ['GET'], '~/path/to/certificates$'),
      route('demo_two_get', ['OPTIONS', 'GET'], '~/path/to/schedules$'),
      route('demo_three_delete', ['DELETE'], '~/path/to/schedules$'),
    ]);
    const p = [{ name: 'plugin-added' }];
    const selector = "$.services[*].routes[?(@.methods[?(@=='GET' ) || (@=='POST')])]";
    expect(await added(JSON.stringify(input), ['--selector', selector, '--config', '{"name": "plugin-added"}'])).toEqual(
      service([
        route('customer_post', ['POST'], '~/accounts/customers$', p),
        route('demo_one_get', ['GET'], '~/path/to/certificates$', p),
        route('demo_two_get', ['OPTIONS', 'GET'], '~/path/to/schedules$', p),
        route('demo_three_delete', ['DELETE'], '~/path/to/schedules$'),
      ]),
    );
  });

  it('only adds to plugin-arrays based on the selector', async () => {
    const data = `{"services": [{"name": "service1"}, {"name": "service2", "plugins": [{"name": "plugin1"}]}],
      "routes": [{"name": "route1"}, {"name": "route2", "plugins": [{"name": "plugin2"}]}]}`;
    expect(await added(data, ['--selector', '$..services[*]', '--config', '{"name": "plugin-added"}'])).toEqual({
      services: [
        { name: 'service1', plugins: [{ name: 'plugin-added' }] },
        { name: 'service2', plugins: [{ name: 'plugin1' }, { name: 'plugin-added' }] },
      ],
      routes: [{ name: 'route1' }, { name: 'route2', plugins: [{ name: 'plugin2' }] }],
    });
  });

  it('overwrites plugins if set to do so', async () => {
    expect(await added(TWO_SERVICES, ['--selector', '$..services[*]', '--overwrite', '--config', '{"name": "plugin1", "plugin": "was added"}'])).toEqual({
      services: [
        { name: 'service1', plugins: [{ name: 'plugin1', plugin: 'was added' }] },
        { name: 'service2', plugins: [{ name: 'plugin1', plugin: 'was added' }] },
      ],
    });
  });

  it('adds plugin with foreign keys to the main array', async () => {
    expect(await added(ONE_SERVICE, ['--selector', '$', '--overwrite', '--config', JSON.stringify(ALL_KEYS)])).toEqual({
      services: [{ name: 'service1' }],
      plugins: [ALL_KEYS],
    });
  });

  it('adds plugin with non-matching foreign keys in the main array', async () => {
    const other = { ...ALL_KEYS, service: 'service2' };
    const data = JSON.stringify({ services: [{ name: 'service1' }], plugins: [ALL_KEYS] });
    expect(await added(data, ['--selector', '$', '--overwrite', '--config', JSON.stringify(other)])).toEqual({
      services: [{ name: 'service1' }],
      plugins: [ALL_KEYS, other],
    });
  });

  it('overwrites plugin with matching foreign keys in the main array', async () => {
    const replacement = { ...ALL_KEYS, plugin: 'was overwritten' };
    const data = JSON.stringify({ services: [{ name: 'service1' }], plugins: [ALL_KEYS] });
    expect(await added(data, ['--selector', '$', '--overwrite', '--config', JSON.stringify(replacement)])).toEqual({
      services: [{ name: 'service1' }],
      plugins: [replacement],
    });
  });

  for (const key of ['service', 'route', 'consumer', 'consumer_group']) {
    it(`fails to add plugin to nested array with ${key} foreign key, and writes nothing`, async () => {
      const r = await runCli(['file', 'add-plugins', '--selector', '$..services[*]', '--overwrite', '--config', JSON.stringify({ name: 'plugin1', [key]: 'some_name' })], {
        stdin: ONE_SERVICE,
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('plugin 0 (plugin1) names a service, route, consumer or consumer_group, which only a plugin in the top-level plugins list can');
    });
  }
});

/** AddPluginPatch.Parse of one entry. */
function parseEntry(entry: string) {
  return parsePluginFile(parseDeckDocument({ name: 'test', text: `{"add-plugins": [${entry}]}` }))[0];
}

describe('go-apiops plugin files: AddPluginPatch', () => {
  it('parses a valid patch', () => {
    const p = parseEntry(`{"selectors": ["$.services[*]"], "overwrite": true, "plugins": [{"name": "my-plugin"}]}`);
    expect(p.selectors).toEqual(['$.services[*]']);
    expect(p.overwrite).toBe(true);
    expect(p.plugins).toEqual([{ name: 'my-plugin' }]);
  });

  it('sets proper defaults (with a plugins list: see the deliberate difference below)', () => {
    const p = parseEntry(`{"plugins": []}`);
    expect(p.selectors).toEqual([]);
    expect(p.overwrite).toBe(false);
    expect(p.plugins).toEqual([]);
  });

  it('validates selectors, before anything is written', async () => {
    const pf = session.write('bad-selector.yaml', `add-plugins:\n- selectors: ["this is not a jsonpath"]\n  plugins: [{name: p}]\n`);
    const r = await runCli(['file', 'add-plugins', pf], { stdin: ONE_SERVICE });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${pf}: add-plugins[0] selector 'this is not a jsonpath' is not a JSONPath query`);
  });

  it('applies a patch', async () => {
    const pf = session.write('apply.json', JSON.stringify({ 'add-plugins': [{ selectors: ['$.services[*]'], overwrite: true, plugins: [{ name: 'my-other-plugin' }] }] }));
    const r = await runCli(['file', 'add-plugins', pf], { stdin: `{"services": [{"name": "my-service", "plugins": [{"name": "my-plugin"}]}]}` });
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout)).toEqual({ services: [{ name: 'my-service', plugins: [{ name: 'my-plugin' }, { name: 'my-other-plugin' }] }] });
  });
});

describe("go-apiops plugins.go behaviour its tests leave out", () => {
  it('adds the first of two plugins of one name given at once, and keeps it unless --overwrite', async () => {
    // AddPlugins adds one plugin after the other, so the second finds the first already there.
    const args = ['--selector', '$.services[*]', '--config', '{"name": "p", "n": 1}', '--config', '{"name": "p", "n": 2}'];
    expect(await added(ONE_SERVICE, args)).toEqual({ services: [{ name: 'service1', plugins: [{ name: 'p', n: 1 }] }] });
    expect(await added(ONE_SERVICE, [...args, '--overwrite'])).toEqual({ services: [{ name: 'service1', plugins: [{ name: 'p', n: 2 }] }] });
  });

  it('adds to consumer groups, which hold plugins in decK files', async () => {
    expect(await added(`{"consumer_groups": [{"name": "gold"}]}`, ['--selector', '$.consumer_groups[*]', '--config', '{"name": "rate-limiting"}'])).toEqual({
      consumer_groups: [{ name: 'gold', plugins: [{ name: 'rate-limiting' }] }],
    });
  });
});

describe('go-apiops plugins: deliberately different', () => {
  it('refuses a plugin file entry without plugins (decK reads it as adding none), and writes nothing', async () => {
    // As a patch without values: an entry that changes nothing is most likely a mistake.
    const pf = session.write('no-plugins.yaml', `add-plugins:\n- selectors: ["$.services[*]"]\n`);
    const r = await runCli(['file', 'add-plugins', pf], { stdin: ONE_SERVICE });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${pf}:2:3: add-plugins[0] needs a 'plugins' list`);
  });

  it('refuses a selector that picks what cannot hold plugins (decK skips a list, and nests plugins in any other object)', async () => {
    const r = await runCli(['file', 'add-plugins', '--selector', '$.services', '--config', '{"name": "p"}'], { stdin: ONE_SERVICE });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--selector '$.services' selects $.services in <stdin>, which cannot hold plugins");
  });

  it('refuses a plugin without a name (decK adds it, and a nameless plugin is a file Kong refuses)', async () => {
    const r = await runCli(['file', 'add-plugins', '--config', '{"config": {}}'], { stdin: ONE_SERVICE });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('a plugin needs a name');
  });
});
