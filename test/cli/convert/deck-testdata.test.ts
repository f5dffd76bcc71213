/**
 * decK's own tests of `deck file convert --from kong-gateway-2.x --to kong-gateway-3.x`
 * (convert/convert_test.go, Apache-2.0), run through `kong-ctl convert` on decK's files
 * (test/fixtures/deck-convert, whose README names each file's commit, the cases not ported and
 * what kong-ctl does differently on purpose). The result is compared as data with decK's
 * expected file, as decK's test compares the two files read back: kong-ctl keeps the input's
 * comments, quoting and key order, decK writes a new document. decK's test normalises nothing
 * for these cases (its `wipeServiceID` touches Konnect service packages only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertLegacyFile, type ConvertResult } from '../../../cli/src/convert/convert';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-deck-convert-');
const DIR = join(__dirname, '../../fixtures/deck-convert');
const at = (name: string) => join(DIR, name);
const read = (name: string) => readFileSync(at(name), 'utf8');

/** `kong-ctl convert -f decK's input -o a new file`: the run and the file written. */
async function convert(input: string) {
  const out = join(session.dir(), `${input.replace(/\W/g, '-')}-3.yaml`);
  const r = await runCli(['convert', '-f', at(input), '-o', out]);
  return { ...r, out, text: existsSync(out) ? readFileSync(out, 'utf8') : undefined };
}

function converted(name: string, text: string): Extract<ConvertResult, { status: 'converted' }> {
  const r = convertLegacyFile({ name, text });
  if (r.status !== 'converted') throw new Error(`not converted: ${JSON.stringify(r)}`);
  return r;
}

const RLA = 'rate-limiting-advanced';
/** What decK's randomString(32) draws from (its charset, but for the 'j' it repeats). */
const GENERATED_NAMESPACE = /^[0-9A-Za-z]{32}$/;

describe("decK's convert tests: kong-gateway-2.x to kong-gateway-3.x", () => {
  it('testdata/4: a "1.1" file, its regex paths given the ~ prefix', async () => {
    const r = await convert('4/input.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.text!)).toEqual(parse(read('4/output-expected.yaml')));
    // decK's expected file keeps the input's key order, so kong-ctl's in-place edits give it
    // byte for byte.
    expect(r.text).toBe(read('4/output-expected.yaml'));
    expect(r.stderr).toContain(`${at('4/input.yaml')}:9:7: services[0].routes[0].paths[0]: "/status/\\\\d+" → "~/status/\\\\d+"`);
  });

  it('testdata/3: a file without _format_version is a Kong 2.x one, as decK reads it ("1.1")', async () => {
    const r = await convert('3/input.yaml');
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.text!)).toEqual(parse(read('3/output.yaml')));
    // The version goes first, as decK writes it; the rest stays as written.
    expect(r.text).toBe(`_format_version: "3.0"\n${read('3/input.yaml').replace(/- \/(status|code)\//g, '- ~/$1/')}`);
    expect(r.stderr.split('\n')[0]).toBe(
      `${at('3/input.yaml')}:1:1: _format_version: added "3.0": the file has none, which decK reads as "1.1", a Kong 2.x file`,
    );
    expect((await runCli(['validate', '-f', r.out])).code).toBe(0);
  });

  it('testdata/4, deliberately different: a top-level route is migrated too (decK migrates routes nested in services only)', async () => {
    // decK's convertKongGateway2xTo3x loops over services[].routes only, so the same route
    // written at the top of the file would keep its 2.x paths, which Kong 3.x reads as prefixes.
    // Kong's own loader of a "1.1" file migrates both (kong/db/declarative/migrations/route_path.lua).
    const text = read('4/input.yaml').replace('  routes:\n  - name: r1\n    paths:\n    - /status/\\d+\n    - /code/\\d+\n', '');
    const r = converted('top.yaml', `${text}routes:\n- name: r1\n  service: svc1\n  paths:\n  - /status/\\d+\n  - /code/\\d+\n`);
    const out = parse(r.text);
    expect(out.services).toEqual([{ name: 'svc1', host: 'mockbin.org', path: '/status/200' }]);
    expect(out.routes).toEqual([{ name: 'r1', service: 'svc1', paths: ['~/status/\\d+', '~/code/\\d+'] }]);
  });

  it('Test_convertAutoFields: rate-limiting-advanced gets the namespace Kong would generate, at every level', () => {
    const input = read('auto-fields/input.yaml');
    const r = converted('auto-fields/input.yaml', input);
    const out = parse(r.text);
    const configs = [
      out.plugins[0].config,
      out.services[0].plugins[0].config,
      out.routes[0].plugins[0].config,
      out.consumers[0].plugins[0].config,
      out.consumer_groups[0].plugins[0].config,
    ];
    for (const config of configs) expect(Object.keys(config)).toEqual(['namespace']);
    for (const config of configs) expect(config.namespace).toMatch(GENERATED_NAMESPACE);
    // One namespace each: plugins sharing one share their counters.
    expect(new Set(configs.map((c) => c.namespace)).size).toBe(configs.length);
    // Nothing else changes (but _format_version, which the Go test does not look at).
    const strip = (doc: Record<string, unknown>) => JSON.parse(JSON.stringify(doc, (k, v) => (k === 'namespace' || k === '_format_version' ? undefined : v)));
    expect(strip(out)).toEqual(strip(parse(input)));
    // Each one listed where its config is.
    expect(r.changes.filter((c) => c.path.endsWith('.namespace')).map((c) => `${c.line}:${c.column} ${c.path}`)).toEqual([
      '8:13 services[0].plugins[0].config.namespace',
      '15:13 routes[0].plugins[0].config.namespace',
      '20:13 consumers[0].plugins[0].config.namespace',
      '25:13 consumer_groups[0].plugins[0].config.namespace',
      '28:11 plugins[0].config.namespace',
    ]);
    expect(r.changes[1].message).toMatch(
      /^added "[0-9A-Za-z]{32}", as decK's convert does: where a file leaves it out, Kong generates one, a new one at every load of a DB-less node, whose nodes then stop sharing counters; to keep this plugin's counters, put the namespace your Kong 2\.x shows for it instead$/,
    );
    expect(r.layoutKept).toBe(true);
  });

  it('Test_convertAutoFields: a namespace already set, or a plugin without config, is left alone', () => {
    const r = converted(
      'rla.yaml',
      `_format_version: "1.1"\nplugins:\n- name: ${RLA}\n  config:\n    namespace: mine\n    limit: [5]\n- name: ${RLA}\n- name: rate-limiting\n  config: {}\n`,
    );
    expect(parse(r.text).plugins).toEqual([{ name: RLA, config: { namespace: 'mine', limit: [5] } }, { name: RLA }, { name: 'rate-limiting', config: {} }]);
  });

  it('Test_convertAutoFields, deliberately different: routes nested in a service get one too (decK skips them)', () => {
    // decK's generateAutoFields walks services[].plugins and the top-level routes only, so a
    // route nested in a service keeps no namespace there; kong-ctl fills every plugin wherever
    // decK's format nests it, as it does for every other plugin change.
    const r = converted('nested.yaml', `_format_version: "2.1"\nservices:\n- name: s\n  host: h\n  routes:\n  - name: r\n    paths: [/r]\n    plugins:\n    - name: ${RLA}\n      config:\n        limit: [5]\n`);
    const config = parse(r.text).services[0].routes[0].plugins[0].config;
    expect(config.namespace).toMatch(GENERATED_NAMESPACE);
    expect(config.limit).toEqual([5]);
  });

  it('errors out when the input file does not exist: exit 1, the file named, nothing written', async () => {
    const r = await convert('1/input-does-not-exist.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(at('1/input-does-not-exist.yaml'));
    expect(r.stderr).toContain('no such file or directory');
    expect(r.text).toBeUndefined();
  });

  it('bad input is refused at its file:line, exit 1, nothing written', async () => {
    const cases: Array<[string, string, string]> = [
      ['broken.yaml', '_format_version: "1.1"\nservices:\n- name: s\n  routes: [\n', ':5:1: error: invalid YAML/JSON:'],
      ['list.yaml', '- name: s\n', ':1:1: error: expected a mapping at the top of the file'],
      ['future.yaml', '_format_version: "4.0"\nservices: []\n', ':1:18: error: _format_version: has _format_version "4.0": convert reads decK files of Kong 2.x'],
      ['both.yaml', '_format_version: "1.1"\nplugins:\n- name: acl\n  config:\n    allow: [a]\n    whitelist: [b]\n', ':6:5: error: plugins[0].config.whitelist: both whitelist and allow are set'],
    ];
    for (const [name, text, message] of cases) {
      const file = session.write(name, text);
      const out = join(session.dir(), `never-${name}`);
      const r = await runCli(['convert', '-f', file, '-o', out]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain(`${file}${message}`);
      expect(r.stderr, name).toContain(`${file} was not converted; nothing was written.`);
      expect(existsSync(out), name).toBe(false);
    }
  });
});
