/**
 * convertLegacyFile: a Kong 2.x decK file becomes a Kong 3.x one by small edits of the text as
 * written. The tests compare whole texts: a comment, a quote or a blank line lost would show.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertLegacyFile, type ConvertResult } from '../../../cli/src/convert/convert';

function converted(text: string, name = 'old.yaml'): Extract<ConvertResult, { status: 'converted' }> {
  const r = convertLegacyFile({ name, text });
  if (r.status !== 'converted') throw new Error(`not converted: ${JSON.stringify(r)}`);
  return r;
}

const LEGACY = `# the orders gateway
_format_version: "1.1"

services:
- name: orders   # the orders API
  url: http://orders:8080
  plugins:
  - name: ip-restriction
    run_on: first
    config:
      whitelist: [10.0.0.0/8]   # office
  routes:
  - name: by-id
    paths:
    - /orders/\\d+
    - /a/../b
    - '/x/(?<id>[^/]+)'
  - name: flowy
    paths: ["/v1/%7Bid%7D/(a|b)", "/plain"]
plugins:
- run_on: first
  name: http-log
  config:
    http_endpoint: http://log
    headers:
      X-Key:
      - abc
      X-Multi: [a, b]
      X-None: []   # nothing
- name: pre-function
  config: {functions: ["return 1"], run_on: kept}
`;

const CONVERTED = `# the orders gateway
_format_version: "3.0"

services:
- name: orders   # the orders API
  url: http://orders:8080
  plugins:
  - name: ip-restriction
    config:
      allow: [10.0.0.0/8]   # office
  routes:
  - name: by-id
    paths:
    - ~/orders/\\d+
    - /b
    - '~/x/(?<id>[^/]+)'
  - name: flowy
    paths: ["~/v1/\\\\{id\\\\}/(a|b)", "/plain"]
plugins:
- name: http-log
  config:
    http_endpoint: http://log
    headers:
      X-Key: abc
      X-Multi: a, b
- name: pre-function
  config: {access: ["return 1"], run_on: kept}
`;

describe('convert a Kong 2.x decK file', () => {
  it('edits only what Kong 3.x reads differently, keeping comments, quotes and layout', () => {
    const r = converted(LEGACY);
    expect(r.text).toBe(CONVERTED);
    expect(r.layoutKept).toBe(true);
    expect(r.warnings).toEqual([]);
    // Each change where the input has it, in file order by kind of change.
    expect(r.changes.map((c) => `${c.line}:${c.column} ${c.path}: ${c.message}`)).toEqual([
      '2:18 _format_version: "1.1" → "3.0"',
      '15:7 services[0].routes[0].paths[0]: "/orders/\\\\d+" → "~/orders/\\\\d+": Kong 2.x read this path as a regex; Kong 3.x needs the ~ prefix to do so',
      '16:7 services[0].routes[0].paths[1]: "/a/../b" → "/b": Kong 3.x refuses a path that is not normalized',
      '17:7 services[0].routes[0].paths[2]: "/x/(?<id>[^/]+)" → "~/x/(?<id>[^/]+)": Kong 2.x read this path as a regex; Kong 3.x needs the ~ prefix to do so',
      '19:13 services[0].routes[1].paths[0]: "/v1/%7Bid%7D/(a|b)" → "~/v1/\\\\{id\\\\}/(a|b)": Kong 2.x read this path as a regex; Kong 3.x needs the ~ prefix to do so',
      '9:5 services[0].plugins[0].run_on: removed: Kong 2.1 removed it: it only ever mattered to the retired service mesh',
      '11:7 services[0].plugins[0].config.whitelist: whitelist → allow: Kong 3.0 removed the deprecated whitelist',
      '21:3 plugins[0].run_on: removed: Kong 2.1 removed it: it only ever mattered to the retired service mesh',
      '27:7 plugins[0].config.headers.X-Key: ["abc"] → "abc": Kong 3.0 takes one string per header',
      '28:16 plugins[0].config.headers.X-Multi: ["a","b"] → "a, b": Kong 3.0 takes one string per header (values of one header joined with ", ", as HTTP reads them)',
      '29:7 plugins[0].config.headers.X-None: removed: an empty list sends no header, and Kong 3.0 takes one string per header',
      '31:12 plugins[1].config.functions: functions → access: Kong 3.0 removed the deprecated functions, which ran in the access phase',
    ]);
  });

  it('finds plugins wherever decK nests them, and routes where Kong migrates them', () => {
    const r = converted(`_format_version: "2.1"
routes:
- name: top
  service: s
  paths: [/t/\\d+]
  plugins:
  - {name: acl, config: {blacklist: [bad]}}
consumers:
- username: alice
  plugins:
  - name: bot-detection
    config:
      whitelist:
      - good
`);
    expect(parse(r.text)).toEqual({
      _format_version: '3.0',
      routes: [{ name: 'top', service: 's', paths: ['~/t/\\d+'], plugins: [{ name: 'acl', config: { deny: ['bad'] } }] }],
      consumers: [{ username: 'alice', plugins: [{ name: 'bot-detection', config: { allow: ['good'] } }] }],
    });
    expect(r.layoutKept).toBe(true);
  });

  it('removes a pair wherever it stands in a block mapping', () => {
    const r = converted(`_format_version: "1.1"
plugins:
- run_on: first    # opens the item
  # the plugin
  name: a
- name: b
  run_on: first
- name: c
  run_on:
    first
  enabled: true
- name: aws-lambda
  config:
    proxy_scheme: https
`);
    expect(r.text).toBe(`_format_version: "3.0"
plugins:
- # the plugin
  name: a
- name: b
- name: c
  enabled: true
- name: aws-lambda
  config: {}
`);
  });

  it('edits JSON as JSON: commas and quotes stay right wherever the pair was', () => {
    const text = `{
  "_format_version": "1.1",
  "plugins": [
    {"run_on": "first", "name": "a"},
    {"name": "b", "run_on": "first", "enabled": true},
    {"name": "c", "run_on": "first"},
    {"name": "aws-lambda", "config": {"proxy_scheme": "https"}},
    {"name": "ip-restriction", "config": {"whitelist": ["10.0.0.0/8"]}}
  ],
  "routes": [{"name": "r", "paths": ["/a/(b)"]}]
}
`;
    const r = converted(text, 'old.json');
    expect(r.text).toBe(`{
  "_format_version": "3.0",
  "plugins": [
    {"name": "a"},
    {"name": "b", "enabled": true},
    {"name": "c"},
    {"name": "aws-lambda", "config": {}},
    {"name": "ip-restriction", "config": {"allow": ["10.0.0.0/8"]}}
  ],
  "routes": [{"name": "r", "paths": ["~/a/(b)"]}]
}
`);
    expect(JSON.parse(r.text)._format_version).toBe('3.0');
  });

  it('adds a pair as its neighbours are written: block, flow, JSON on lines, after an empty value', () => {
    const ns = (text: string) => text.replace(/[0-9A-Za-z]{32}/g, 'NS');
    const yaml = converted(`# rate limits
plugins:
- name: rate-limiting-advanced
  config:
    limit:
    - 5   # five
  # the next one
- name: rate-limiting-advanced
  config: {limit: [5]}
- name: rate-limiting-advanced
  config:
    namespace:
- name: rate-limiting-advanced
  config:
    window_size: [60]`);
    expect(ns(yaml.text)).toBe(`# rate limits
_format_version: "3.0"
plugins:
- name: rate-limiting-advanced
  config:
    limit:
    - 5   # five
    namespace: NS
  # the next one
- name: rate-limiting-advanced
  config: {limit: [5], namespace: NS}
- name: rate-limiting-advanced
  config:
    namespace: NS
- name: rate-limiting-advanced
  config:
    window_size: [60]
    namespace: NS
`);
    expect(yaml.layoutKept).toBe(true);
    const json = converted(
      `{
  "plugins": [
    {"name": "rate-limiting-advanced", "config": {}},
    {
      "name": "rate-limiting-advanced",
      "config": {
        "limit": [5]
      }
    }
  ]
}
`,
      'old.json',
    );
    expect(ns(json.text)).toBe(`{
  "_format_version": "3.0",
  "plugins": [
    {"name": "rate-limiting-advanced", "config": {"namespace": "NS"}},
    {
      "name": "rate-limiting-advanced",
      "config": {
        "limit": [5],
        "namespace": "NS"
      }
    }
  ]
}
`);
    expect(json.layoutKept).toBe(true);
  });

  it('merges a deprecated list into its successor only when one of them is empty', () => {
    const r = converted(`_format_version: "1.1"
plugins:
- name: ip-restriction
  config:
    whitelist: []
    allow: [10.0.0.1]
- name: acl
  config:
    deny: []
    blacklist: [bots]
`);
    expect(parse(r.text).plugins).toEqual([
      { name: 'ip-restriction', config: { allow: ['10.0.0.1'] } },
      { name: 'acl', config: { deny: ['bots'] } },
    ]);
    const both = convertLegacyFile({
      name: 'old.yaml',
      text: `_format_version: "1.1"\nplugins:\n- name: acl\n  config:\n    allow: [a]\n    whitelist: [b]\n`,
    });
    expect(both).toEqual({
      status: 'refused',
      errors: [
        {
          line: 6,
          column: 5,
          path: 'plugins[0].config.whitelist',
          message: 'both whitelist and allow are set: Kong 3.0 removed the deprecated whitelist, and which of the two lists this plugin should keep is yours to say',
        },
      ],
      warnings: [],
    });
  });

  it("leaves what it cannot judge, and says so: ${{ env }} paths, paths already in Kong 3.x's form", () => {
    const r = converted(`_format_version: "1.1"
routes:
- name: r
  paths:
  - \${{ env "DECK_PATH" }}
  - ~/v2/(\\d+)
  - /other/(x)
`);
    expect(parse(r.text).routes[0].paths).toEqual(['${{ env "DECK_PATH" }}', '~/v2/(\\d+)', '~/other/(x)']);
    expect(r.warnings.map((w) => `${w.line}:${w.column} ${w.message}`)).toEqual([
      '5:5 "${{ env \\"DECK_PATH\\" }}" comes from ${{ … }}: check by hand that its value suits Kong 3.x (a regex needs the ~ prefix)',
      '6:5 "~/v2/(\\\\d+)" already has Kong 3.x\'s ~ prefix: left as it is (Kong\'s own migration would read it as a 2.x regex and make it "~~/v2/(\\\\d+)")',
    ]);
  });

  it('reads _format_version as decK does, and refuses what is no Kong 2.x file', () => {
    expect(converted('_format_version: 1.1\nservices: []\n').text).toBe('_format_version: "3.0"\nservices: []\n');
    expect(convertLegacyFile({ name: 'new.yaml', text: '_format_version: "3.0"\n# as is\n' })).toEqual({
      status: 'current',
      text: '_format_version: "3.0"\n# as is\n',
      warnings: [],
    });
    // No _format_version: decK reads the file as its default "1.1", so it is converted (decK's
    // convert testdata/3, test/cli/convert/deck-testdata.test.ts), the version put first.
    const none = converted('# old\nservices: []\n');
    expect(none.text).toBe('# old\n_format_version: "3.0"\nservices: []\n');
    expect(none.changes).toEqual([
      { line: 2, column: 1, path: '_format_version', message: 'added "3.0": the file has none, which decK reads as "1.1", a Kong 2.x file' },
    ]);
    expect(converted('{"services": []}', 'x.json').text).toBe('{"_format_version": "3.0", "services": []}');
    expect(convertLegacyFile({ name: 'x.yaml', text: '_format_version: "0.1"\n' })).toMatchObject({
      status: 'refused',
      errors: [
        { line: 1, column: 18, path: '_format_version', message: 'has _format_version "0.1": convert reads decK files of Kong 2.x (_format_version "1.1" or "2.1", or none)' },
      ],
    });
    expect(convertLegacyFile({ name: 'x.yaml', text: '_format_version: "1.1"\nservices: [\n' })).toMatchObject({ status: 'refused' });
  });

  it('writes the document anew when a change cannot be made in place, and refuses when neither way can', () => {
    // An explicit key (`? X-Key`) has no colon right after it: the in-place edit gives up.
    const r = converted(`_format_version: "1.1"
# logging
plugins:
- name: http-log
  config:
    headers:
      ? X-Key
      : - abc
`);
    expect(r.layoutKept).toBe(false);
    expect(r.text).toContain('# logging');
    expect(parse(r.text).plugins[0].config.headers).toEqual({ 'X-Key': 'abc' });

    // The deprecated field comes through a merge key: neither way can rename it in its place.
    const merged = convertLegacyFile({
      name: 'old.yaml',
      text: `_format_version: "1.1"
x-base: &base
  whitelist: [a]
plugins:
- name: acl
  config:
    <<: *base
`,
    });
    expect(merged).toMatchObject({
      status: 'refused',
      errors: [{ message: 'the changes cannot be written into this file (aliases or merge keys under the values to change?): write those values out and convert again' }],
    });
  });
});
