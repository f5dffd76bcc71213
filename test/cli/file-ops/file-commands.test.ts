/**
 * `kong-ctl file …`: decK's APIOps file commands on kong-ctl's terms. Each edits the document in
 * place (comments and layout outside the change stay), refuses a selector that picks something
 * the change cannot apply to, and writes nothing when refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-file-');

const FILE = `# the team's gateway
_format_version: "3.0"
services:
- name: orders # the orders API
  url: http://orders:8080
  tags: [team-a]
  routes:
  - name: orders-route
    paths: [/orders]
    plugins:
    - name: cors
- name: billing
  url: http://billing:8080
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
`;

describe('kong-ctl file add-tags', () => {
  it('tags every entity, nested ones included, keeps comments and layout, and never adds a tag twice', async () => {
    const r = await runCli(['file', 'add-tags', '-s', session.write('k.yaml', FILE), 'ci', 'team-a']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`# the team's gateway
_format_version: "3.0"
services:
- name: orders # the orders API
  url: http://orders:8080
  tags: [team-a, ci]
  routes:
  - name: orders-route
    paths: [/orders]
    plugins:
    - name: cors
      tags:
      - ci
      - team-a
    tags:
    - ci
    - team-a
- name: billing
  url: http://billing:8080
  tags:
  - ci
  - team-a
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
    tags:
    - ci
    - team-a
  tags:
  - ci
  - team-a
`);
    expect(r.stderr).toBe('Tagged 6 entities.\n');
  });

  it("takes decK's selectors, with or without the leading $, and reads stdin by default", async () => {
    for (const selector of ['services[*]', '$.services[*]', "$.services[?@.name=='billing']"]) {
      const r = await runCli(['file', 'add-tags', '--selector', selector, 'x'], { stdin: FILE });
      expect(r.code, r.stderr).toBe(0);
      const out = parse(r.stdout);
      expect(out.services[1].tags, selector).toEqual(['x']);
      expect(out.consumers[0].tags).toBeUndefined();
      expect(out.services[0].routes[0].tags).toBeUndefined();
    }
  });

  it('refuses a selector that picks what is not an entity, and writes nothing', async () => {
    const out = join(session.dir(), 'never.yaml');
    const r = await runCli(['file', 'add-tags', '-s', session.write('k2.yaml', FILE), '-o', out, '--selector', '$.services', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--selector '$.services' selects $.services in");
    expect(r.stderr).toContain('which is not an entity: tags go on entities only');
    expect(existsSync(out)).toBe(false);
    const bad = await runCli(['file', 'add-tags', '--selector', '$[?', 'x'], { stdin: FILE });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--selector '$[?' is not a JSONPath query");
  });

  it('warns about a selector that picks nothing: a typo looks the same', async () => {
    const r = await runCli(['file', 'add-tags', '--selector', '$.servics[*]', 'x'], { stdin: FILE, env: {} });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning: --selector '$.servics[*]' selects nothing in <stdin>");
    expect(parse(r.stdout)).toEqual(parse(FILE));
  });

  it('edits a copy of what an alias or a << merge key brings, never the anchored original', async () => {
    const shared = `_format_version: "3.0"
services:
- &base
  name: a
  url: http://a:80
  tags: &common [shared]
- <<: *base
  name: b
- name: c
  url: http://c:80
  tags: *common
`;
    const r = await runCli(['file', 'add-tags', '--selector', '$.services[1]', '--selector', '$.services[2]', 'extra'], { stdin: shared });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout, { merge: true });
    expect(out.services.map((s: { tags: string[] }) => s.tags)).toEqual([['shared'], ['shared', 'extra'], ['shared', 'extra']]);
    expect(r.stdout).toContain('- &base\n  name: a');
    expect(r.stdout).toContain('- <<: *base\n  name: b\n  tags: [shared, extra]');
  });
});

describe('kong-ctl file remove-tags and list-tags', () => {
  const TAGGED = `_format_version: "3.0"
services:
- name: a
  url: http://a:80
  tags: [team-a, ci, old]
  routes:
  - name: r
    paths: [/a]
    tags: [old]
`;

  it('removes the tags listed, and the tags field where none is left (unless --keep-empty-array)', async () => {
    const r = await runCli(['file', 'remove-tags', 'old'], { stdin: TAGGED });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`_format_version: "3.0"
services:
- name: a
  url: http://a:80
  tags: [team-a, ci]
  routes:
  - name: r
    paths: [/a]
`);
    const kept = await runCli(['file', 'remove-tags', '--keep-empty-array', 'old'], { stdin: TAGGED });
    expect(parse(kept.stdout).services[0].routes[0].tags).toEqual([]);
  });

  it('keeps only the tags listed with --keep-only, and refuses to remove nothing', async () => {
    const r = await runCli(['file', 'remove-tags', '--keep-only', 'ci'], { stdin: TAGGED });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services[0].tags).toEqual(['ci']);
    expect(out.services[0].routes[0].tags).toBeUndefined();
    const none = await runCli(['file', 'remove-tags'], { stdin: TAGGED });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no tags to remove');
  });

  it('lists the tags in use, sorted, one per line or as YAML or JSON', async () => {
    expect((await runCli(['file', 'list-tags'], { stdin: TAGGED })).stdout).toBe('ci\nold\nteam-a\n');
    expect((await runCli(['file', 'list-tags', '--selector', '$..routes[*]'], { stdin: TAGGED })).stdout).toBe('old\n');
    expect(JSON.parse((await runCli(['file', 'list-tags', '--format', 'json'], { stdin: TAGGED })).stdout)).toEqual({ tags: ['ci', 'old', 'team-a'] });
    expect(parse((await runCli(['file', 'list-tags', '--format', 'yaml'], { stdin: TAGGED })).stdout)).toEqual({ tags: ['ci', 'old', 'team-a'] });
  });
});

describe('kong-ctl file add-plugins', () => {
  it('adds to the top-level plugins by default, creating the list', async () => {
    const r = await runCli(['file', 'add-plugins', '--config', '{"name":"prometheus"}'], { stdin: FILE });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.endsWith('plugins:\n- name: prometheus\n')).toBe(true);
    expect(r.stderr).toBe('Added 1 plugin, replaced 0.\n');
  });

  it('keeps a plugin an owner already has, unless --overwrite', async () => {
    const args = ['file', 'add-plugins', '--selector', '$..routes[*]', '--config', '{"name":"cors","config":{"origins":["*"]}}', '--config', 'name: rate-limiting'];
    const kept = await runCli(args, { stdin: FILE });
    expect(kept.code, kept.stderr).toBe(0);
    expect(parse(kept.stdout).services[0].routes[0].plugins).toEqual([{ name: 'cors' }, { name: 'rate-limiting' }]);
    expect(kept.stderr).toBe('Added 1 plugin, replaced 0, kept 1 existing one (--overwrite replaces them).\n');
    const replaced = await runCli([...args, '--overwrite'], { stdin: FILE });
    expect(parse(replaced.stdout).services[0].routes[0].plugins).toEqual([{ name: 'cors', config: { origins: ['*'] } }, { name: 'rate-limiting' }]);
  });

  it('tells plugins of the same name apart by their scope in the top-level list only, where a scope may be named', async () => {
    const top = `_format_version: "3.0"\nplugins:\n- name: rate-limiting\n  service: orders\n`;
    const r = await runCli(['file', 'add-plugins', '--config', '{"name":"rate-limiting","service":"billing"}'], { stdin: top });
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout).plugins).toEqual([
      { name: 'rate-limiting', service: 'orders' },
      { name: 'rate-limiting', service: 'billing' },
    ]);
    const nested = await runCli(['file', 'add-plugins', '--selector', '$.services[*]', '--config', '{"name":"acl","route":"r"}'], { stdin: FILE });
    expect(nested.code).toBe(1);
    expect(nested.stderr).toContain('plugin 0 (acl) names a service, route, consumer or consumer_group, which only a plugin in the top-level plugins list can');
  });

  it('refuses an owner that cannot hold plugins, and a plugin without a name', async () => {
    const up = await runCli(['file', 'add-plugins', '--selector', '$.consumers[0].keyauth_credentials[0]', '--config', '{"name":"cors"}'], { stdin: FILE });
    expect(up.code).toBe(1);
    expect(up.stderr).toContain("selects $.consumers[0].keyauth_credentials[0] in <stdin>, which cannot hold plugins");
    const nameless = await runCli(['file', 'add-plugins', '--config', '{"config":{}}'], { stdin: FILE });
    expect(nameless.code).toBe(1);
    expect(nameless.stderr).toContain('a plugin needs a name');
  });

  it("applies decK's plugin files in order, and points at the line of a bad entry", async () => {
    const pf = session.write(
      'plugins.yaml',
      `_format_version: "1.0"
add-plugins:
- selectors: ["$.services[*]"]
  plugins:
  - name: correlation-id
- selectors: ["$.services[?@.name=='orders']"]
  overwrite: true
  plugins:
  - name: correlation-id
    config: {header_name: X-Request-Id}
`,
    );
    const r = await runCli(['file', 'add-plugins', pf], { stdin: FILE });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services[0].plugins).toEqual([{ name: 'correlation-id', config: { header_name: 'X-Request-Id' } }]);
    expect(out.services[1].plugins).toEqual([{ name: 'correlation-id' }]);

    const bad = session.write('bad-plugins.yaml', `add-plugins:\n- selectors: ["$"]\n  plugins:\n  - config: {}\n`);
    const refused = await runCli(['file', 'add-plugins', bad], { stdin: FILE });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad}:4:5: add-plugins[0].plugins[0]: a plugin needs a name`);
  });
});

describe('kong-ctl file patch', () => {
  it('sets and removes keys on what --selector picks; `key:` alone removes', async () => {
    const r = await runCli(['file', 'patch', '--selector', '$..services[*]', '--value', 'read_timeout:10000', '--value', 'url:'], { stdin: FILE });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services.map((s: Record<string, unknown>) => [s.read_timeout, s.url])).toEqual([
      [10000, undefined],
      [10000, undefined],
    ]);
    expect(r.stdout).toContain('- name: orders # the orders API\n  tags: [team-a]');
    expect(r.stderr).toBe('Patched 2 places.\n');
  });

  it('says how to write a string value, as JSON', async () => {
    const r = await runCli(['file', 'patch', '--selector', '$.services[0]', '--value', 'protocol:https'], { stdin: FILE });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--value 'protocol:https': https is not JSON (a string is quoted: protocol:"https")`);
  });

  it('applies patch files: values to set, keys to remove, items to append to lists', async () => {
    const pf = session.write(
      'patch.yaml',
      `_format_version: "1.0"
patches:
- selectors: ["$.services[0].routes[0].paths"]
  values: [/v2/orders]
- selectors: ["$.services[*]"]
  values: {retries: 2}
  remove: [url]
`,
    );
    const r = await runCli(['file', 'patch', pf], { stdin: FILE });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out.services[0].routes[0].paths).toEqual(['/orders', '/v2/orders']);
    expect(out.services[1]).toEqual({ name: 'billing', retries: 2 });
  });

  it("refuses what decK would skip: an entry that changes nothing, a patch format decK only describes", async () => {
    const empty = session.write('empty-patch.yaml', `patches:\n- selectors: ["$"]\n`);
    const r1 = await runCli(['file', 'patch', empty], { stdin: FILE });
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`${empty}:2:3: patches[0] has neither values nor remove: it would change nothing`);
    const merge = session.write('merge-patch.yaml', `patches:\n- format: application/merge-patch+json\n  patch: {a: 1}\n`);
    const r2 = await runCli(['file', 'patch', merge], { stdin: FILE });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`${merge}:2:11: patches[0] has format "application/merge-patch+json"`);
  });
});

describe('kong-ctl file merge', () => {
  it("concatenates the top-level lists in order into the first file, keeping its comments", async () => {
    const a = session.write('a.yaml', `# base\n_format_version: "3.0"\nservices:\n- name: a # first\n  url: http://a:80\n`);
    const b = session.write('b.yaml', `_format_version: "3.0"\nservices:\n- name: b\n  url: http://b:80\nconsumers:\n- username: bob\n`);
    const out = join(session.dir(), 'merged.yaml');
    const r = await runCli(['file', 'merge', a, b, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(
      `# base\n_format_version: "3.0"\nservices:\n- name: a # first\n  url: http://a:80\n- name: b\n  url: http://b:80\nconsumers:\n- username: bob\n`,
    );
    expect(r.stderr).toBe(`Merged 2 files. Wrote ${out}.\n`);
  });

  it('resolves the aliases of a later file, whose anchors it does not bring', async () => {
    const a = session.write('a2.yaml', `_format_version: "3.0"\nservices:\n- &s {name: a, url: "http://a:80"}\n`);
    const b = session.write('b2.yaml', `_format_version: "3.0"\nservices:\n- &s\n  name: b\n  url: http://b:80\n- <<: *s\n  name: c\n`);
    const r = await runCli(['file', 'merge', a, b]);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout, { merge: true }).services.map((s: { name: string; url: string }) => `${s.name} ${s.url}`)).toEqual([
      'a http://a:80',
      'b http://b:80',
      'c http://b:80',
    ]);
  });

  it('refuses files of different major versions or _transform, and a key set differently in two files', async () => {
    const v3 = session.write('v3.yaml', `_format_version: "3.0"\n_info:\n  select_tags: [a]\n`);
    const v1 = session.write('v1.yaml', `_format_version: "1.1"\n`);
    const r1 = await runCli(['file', 'merge', v3, v1]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`${v1} has _format_version "1.1" and ${v3} "3.0": files of different major versions cannot be merged`);
    const other = session.write('other-info.yaml', `_format_version: "3.0"\n_info:\n  select_tags: [b]\n`);
    const r2 = await runCli(['file', 'merge', v3, other]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`'_info' is set differently in ${v3}:3:3 and ${other}:3:3`);
    const same = session.write('same-info.yaml', `_format_version: "3.0"\n_info: {select_tags: [a]}\n`);
    expect((await runCli(['file', 'merge', v3, same])).code).toBe(0);
  });

  it.each([
    ['_plugin_configs', '{a: {minute: 1}}', '{b: {minute: 2}}'],
    ['_workspace', 'team-a', 'team-b'],
    ['_konnect', '{control_plane_name: a}', '{control_plane_name: b}'],
    ['services', '[{name: a, url: "http://a:80"}]', '{name: b}'],
  ])("refuses %s set differently: decK would silently keep only the later file's", async (key, mine, theirs) => {
    const a = session.write('ka.yaml', `_format_version: "3.0"\n${key}: ${mine}\n`);
    const b = session.write('kb.yaml', `_format_version: "3.0"\n${key}: ${theirs}\n`);
    const out = join(session.dir(), 'never-merged.yaml');
    const r = await runCli(['file', 'merge', a, b, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`'${key}' is set differently in ${a}:2:`);
    expect(existsSync(out)).toBe(false);
  });

  it("takes a later file's value of a key decK's format does not define, and fills a key the first left empty, as decK does", async () => {
    const a = session.write('c1.yaml', `_format_version: "3.0"\n_comment: first\nservices:\n`);
    const b = session.write('c2.yaml', `_format_version: "3.0"\n_comment: second\nservices:\n- name: b\n  url: http://b:80\n`);
    const r = await runCli(['file', 'merge', a, b]);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout)).toEqual({ _format_version: '3.0', _comment: 'second', services: [{ name: 'b', url: 'http://b:80' }] });
  });

  it('sees the same template in two files as the same value', async () => {
    const info = `_format_version: "3.0"\n_info:\n  select_tags: ["\${{ env "DECK_TEAM" }}"]\n`;
    const r = await runCli(['file', 'merge', session.write('t1.yaml', info), session.write('t2.yaml', info)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(info);
  });

  it('renders a _format_version template written without quotes too (decK needs them, YAML does not)', async () => {
    const a = session.write('u-a.yaml', `_format_version: \${{ env "DECK_FORMAT_VERSION" }}\n`);
    const r = await runCli(['file', 'merge', a, session.write('u-b.yaml', `_format_version: "3.1"\n`)], { env: { DECK_FORMAT_VERSION: '3.0' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('_format_version: "3.1"\n');
  });

  it("writes the version as decK does (major.minor), and a later file's _transform when the first has none", async () => {
    const a = session.write('v-a.yaml', `_format_version: "3"\n`);
    const b = session.write('v-b.yaml', `_format_version: "3"\n_transform: true\n`);
    const r = await runCli(['file', 'merge', a, b]);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout)).toEqual({ _format_version: '3.0', _transform: true });
  });
});

describe('kong-ctl file: decK templates', () => {
  const TEMPLATED = `_format_version: "3.0"
services:
- name: a
  host: \${{ env "DECK_HOST" }}
  port: \${{ env "DECK_PORT" | toInt }}
  tags: [\${{ env "DECK_TEAM" }}]
consumers:
- username: bot
  basicauth_credentials:
  - username: bot
    password: "\${{ env "DECK_PASSWORD" }}"
`;

  it('keeps every template as written, a quoted one inside a quoted string included', async () => {
    const r = await runCli(['file', 'add-tags', '--selector', '$.services[*]', 'ci'], { stdin: TEMPLATED });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(TEMPLATED.replace('tags: [${{ env "DECK_TEAM" }}]', 'tags: [${{ env "DECK_TEAM" }}, ci]'));
    expect((await runCli(['file', 'list-tags'], { stdin: TEMPLATED })).stdout).toBe('${{ env "DECK_TEAM" }}\n');
  });

  it("writes them into JSON in decK's backquoted spelling, a typed one unquoted, and the result loads", async () => {
    const r = await runCli(['file', 'add-tags', '--format', 'json', 'ci'], { stdin: TEMPLATED });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('"host": "${{ env `DECK_HOST` }}",\n');
    expect(r.stdout).toContain('"port": ${{ env `DECK_PORT` | toInt }},\n');
    expect(r.stdout).toContain('"password": "${{ env `DECK_PASSWORD` }}",\n');
    const env = { DECK_HOST: 'a.internal', DECK_PORT: '8080', DECK_TEAM: 'team-a', DECK_PASSWORD: 's3cret' };
    const check = await runCli(['validate', '-f', '-'], { stdin: r.stdout, env });
    expect(check.code, check.stderr + check.stdout).toBe(0);
  });
});

describe('kong-ctl file: formats', () => {
  it('answers JSON with JSON, and --format or -o FILE.json chooses', async () => {
    const json = JSON.stringify({ _format_version: '3.0', services: [{ name: 'a', url: 'http://a:80' }] });
    const r = await runCli(['file', 'add-tags', 'x'], { stdin: json });
    expect(JSON.parse(r.stdout)).toEqual({ _format_version: '3.0', services: [{ name: 'a', url: 'http://a:80', tags: ['x'] }] });
    const yaml = await runCli(['file', 'add-tags', '--format', 'yaml', 'x'], { stdin: json });
    expect(yaml.stdout).toBe('_format_version: "3.0"\nservices:\n  - name: a\n    url: http://a:80\n    tags:\n      - x\n');
    const toJson = await runCli(['file', 'add-tags', '--format', 'JSON', 'x'], { stdin: FILE });
    expect(JSON.parse(toJson.stdout).services[1].tags).toEqual(['x']);
    const bad = await runCli(['file', 'add-tags', '--format', 'toml', 'x'], { stdin: FILE });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--format must be yaml or json, not 'toml'");
  });

  it('reports a file that is not YAML at its line, and writes nothing', async () => {
    const r = await runCli(['file', 'add-tags', 'x'], { stdin: '_format_version: "3.0"\nservices:\n- name: a\n  url: [\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/<stdin>:\d+:\d+: invalid YAML\/JSON: /);
  });
});
