/**
 * decK's own integration tests of `deck file render` (tests/integration/render_test.go, and the
 * render cases of tests/integration/diagnostic_policy_test.go on Kong OSS), run as differential
 * tests of `kong-ctl render`. The files hold decK's data unchanged
 * (test/fixtures/deck-validate-render/README.md: their decK paths and commits, and the decK
 * cases not ported, with why).
 *
 * decK's expected file and kong-ctl's output are compared as data, after normalising only what
 * kong-ctl writes differently on purpose (docs/from-deck.md, "render"): kong-ctl writes Kong's
 * flat lists (a route names its service) where decK nests, leaves Kong's defaults to Kong (decK
 * writes some of them), and gives an entity without a name an id of its own. Both sides are
 * normalised the same way: nested entities taken out of their parent, and every field equal to
 * its default in Kong 3.4's schema dropped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stripDefaults } from '../../../cli/src/dump/defaults';
import { entityFields } from '../../../cli/src/desired/kong-entity-schemas';
import type { Kind } from '../../../cli/src/model/entity';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const DIR = join(__dirname, '..', '..', 'fixtures', 'deck-validate-render', 'render');
const fixture = (name: string) => join(DIR, name);
const text = (name: string) => readFileSync(fixture(name), 'utf8');

/**
 * decK's 001/002 input configures a plugin `foofloat` no Kong has: decK's render does not check
 * plugins, kong-ctl's does (offline: Kong's bundled ones; `--online`: the node's). The simulated
 * node has it, as a custom plugin whose `foo` is a number.
 */
const FOOFLOAT = { Name: 'foofloat', Schema: [{ foo: { type: 'number' } }] };
const { addr, write } = simSession('kong-ctl-deck-render-', { plugins: [FOOFLOAT] });

/** decK's case 002 sets these; its case 001 sets none (decK then renders stand-ins). */
const POPULATED = { DECK_MOCKBIN_HOST: 'mockbin.org', DECK_MOCKBIN_ENABLED: 'true', DECK_WRITE_TIMEOUT: '777', DECK_FOO_FLOAT: '123' };

type Obj = Record<string, unknown>;
const KINDS: Record<string, Kind> = { services: 'service', routes: 'route', plugins: 'plugin' };
/** What decK nests in a service, and the field that names the service once taken out. */
const NESTED: Record<string, string> = { routes: 'service', plugins: 'service' };

/** A declarative document as flat lists of entities without their defaults (above). */
function normalised(doc: Obj): Obj {
  const out: Record<string, Obj[]> = {};
  const add = (list: string, e: Obj) => (out[list] ??= []).push(stripDefaults(e, entityFields(KINDS[list])));
  for (const [list, items] of Object.entries(doc)) {
    if (!Array.isArray(items)) continue;
    for (const item of items as Obj[]) {
      const own: Obj = { ...item };
      for (const child of Object.keys(NESTED)) {
        if (list !== 'services' || !Array.isArray(own[child])) continue;
        for (const c of own[child] as Obj[]) add(child, { ...c, [NESTED[child]]: own.name });
        delete own[child];
      }
      add(list, own);
    }
  }
  for (const list of Object.values(out)) list.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return { _format_version: doc._format_version, ...out };
}

/** kong-ctl's id for an entity the file gives none (a plugin): not in decK's output. */
function withoutGeneratedIds(doc: Obj, lists: string[]): Obj {
  const out = { ...doc };
  for (const l of lists) out[l] = (out[l] as Obj[]).map(({ id: _id, ...rest }) => rest);
  return out;
}

async function render(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  return runCli(['render', '-f', file, ...args], { env });
}

describe('decK render_test.go (Test_RenderPlain)', () => {
  it('render with mocked env (001): kong-ctl needs every variable set, and says which is not, at its line', async () => {
    // decK renders stand-ins for unset variables (no --populate-env-vars); kong-ctl renders only
    // real values (README, "Templating"), so the same file is refused, each variable at its line.
    const f = fixture('001-mocked-env/input.yaml');
    const r = await render(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    for (const [at, name] of [['4:10', 'DECK_FOO_FLOAT'], ['8:12', 'DECK_MOCKBIN_ENABLED'], ['9:9', 'DECK_MOCKBIN_HOST'], ['13:18', 'DECK_WRITE_TIMEOUT']])
      expect(r.stderr).toContain(`${f}:${at}: error: environment variable '${name}' present in state file but not set`);
  });

  it('render with populated env (002): --online against a node with the plugin gives decK\'s document', async () => {
    // decK's 002 input.yaml is not stored: its 001 input names exactly the four variables 002
    // sets, and 002's expected file is it rendered with their values.
    const f = fixture('001-mocked-env/input.yaml');
    const r = await render(f, ['--online', '--no-mask', ...addr()], POPULATED);
    expect(r.code, r.stderr).toBe(0);
    const expected = parse(text('002-populated-env/expected.yaml')) as Obj;
    expect(normalised(withoutGeneratedIds(parse(r.stdout) as Obj, ['plugins']))).toEqual(normalised(expected));
    // Nothing normalised away here: kong-ctl's document is decK's but for the plugin's id.
    expect(withoutGeneratedIds(parse(r.stdout) as Obj, ['plugins'])).toEqual(expected);
  });

  it('render with populated env (002), offline: the plugin no bundled Kong has is refused at its name, pointing to --online', async () => {
    const f = fixture('001-mocked-env/input.yaml');
    const r = await render(f, ['--no-mask'], POPULATED);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${f}:5:9: error: plugins[0]: name: unknown plugin 'foofloat'`);
    // The way out is render's own --online: `validate --online` would pass, and render still fail.
    expect(r.stderr).toContain('`kong-ctl render --online` checks the files against its own schemas');
  });

  it('render with traditional route (003): a key written twice is refused, named at its second place', async () => {
    // decK's input repeats `routes:` in the service (an empty one, then the list) and decK keeps
    // the last. kong-ctl refuses a repeated key (docs/from-deck.md, "render"): a second
    // `services:` would otherwise silently drop the first one's services.
    const f = fixture('003-traditional-routes/bad/input.yaml');
    const r = await render(f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${f}:7:3: error: invalid YAML/JSON: Map keys must be unique: 'routes' is already at line 6`);
  });

  it('render with traditional route (003), as decK reads it: decK\'s document', async () => {
    // As decK reads the file: the last `routes:` kept, and _format_version "3.0", which decK's
    // render writes and kong-ctl needs in the file (README: decK's format for Kong 3.x).
    const input = text('003-traditional-routes/bad/input.yaml').replace('  routes:\n  routes:\n', '  routes:\n');
    const f = write('003.yaml', `_format_version: "3.0"\n${input}`);
    const r = await render(f);
    expect(r.code, r.stderr).toBe(0);
    expect(normalised(parse(r.stdout) as Obj)).toEqual(normalised(parse(text('003-traditional-routes/expected.yaml')) as Obj));
  });

  it('render with expression route (004): decK\'s document; a file without _format_version is refused', async () => {
    const asIs = fixture('004-expression-routes/input.yaml');
    const refused = await render(asIs);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${asIs}:1:1: error: missing _format_version`);

    const f = write('004.yaml', `_format_version: "3.0"\n${text('004-expression-routes/input.yaml')}`);
    const r = await render(f);
    expect(r.code, r.stderr).toBe(0);
    expect(normalised(parse(r.stdout) as Obj)).toEqual(normalised(parse(text('004-expression-routes/expected.yaml')) as Obj));
  });

  it('render with expression route (004), --online: a node on another router refuses `expression` at its line, saying why', async () => {
    // decK renders without asking any Kong. The recorded Kong 3.4.2 runs router_flavor
    // traditional_compatible, whose routes have no `expression` (kong/db/schema/entities/routes.lua):
    // "unknown field" alone would not tell the file's author that the node's router is the matter.
    const f = write('004-online.yaml', `_format_version: "3.0"\n${text('004-expression-routes/input.yaml')}`);
    const r = await render(f, ['--online', ...addr()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${f}:8:5: error: services[0].routes[0]: expression: unknown field: Kong's routes have it under router_flavor = expressions only, and this node's is traditional_compatible`,
    );
  });
});

describe('decK diagnostic_policy_test.go, render cases on Kong OSS', () => {
  it('DefaultWarningsRemainWarnings (005 route-regex): rendered, with a warning at the path that looks like a regex', async () => {
    const f = fixture('005-diagnostics/route-regex.yaml');
    const r = await render(f);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('svc-route-regex');
    expect(r.stderr).toContain(`${f}:8:13: warning: services[0].routes[0]: paths[0]: path '/users/\\d+' looks like a regex but has no '~' prefix`);
  });
});
