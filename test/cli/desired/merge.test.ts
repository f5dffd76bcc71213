import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { brief, sample } from './helpers';

const MULTI_FILES = [
  sample('multi', '10-services.yaml'),
  sample('multi', '20-plugins.yml'),
  sample('multi', 'more', '30-consumers.json'),
];

describe('several files', () => {
  it('merges listed files: lists concatenated, references across files resolved', async () => {
    const r = await loadDesired({ files: MULTI_FILES, env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.files.map((f) => path.relative(sample(), f.name))).toEqual([
      'multi/10-services.yaml',
      'multi/20-plugins.yml',
      'multi/more/30-consumers.json',
    ]);
    expect(r.state.entities.map((e) => `${e.key} <- ${path.basename(e.source?.file ?? '')}`)).toEqual([
      'service:checkout <- 10-services.yaml',
      'route:checkout-api <- 10-services.yaml',
      'plugin:rate-limiting@route=checkout-api <- 20-plugins.yml',
      'consumer:checkout-app <- 30-consumers.json',
      'plugin:request-termination@service=checkout,consumer=checkout-app <- 30-consumers.json',
      'acl:checkout-app/checkout <- 30-consumers.json',
    ]);
    // The file without _info.select_tags inherits the others' select tags.
    expect(r.selectTags).toEqual(['team-checkout']);
    for (const e of r.state.entities) expect(e.fields.tags).toEqual(['team-checkout']);
    expect(r.references.every((x) => x.resolved)).toBe(true);
    expect(validateDesired(r)).toEqual([]);
  });

  it('a directory means every .yaml/.yml/.json below it, in lexical order, other files skipped', async () => {
    const fromDir = await loadDesired({ files: [sample('multi')], env: {} });
    expect(fromDir.files.map((f) => f.name)).toEqual(MULTI_FILES);
    const fromList = await loadDesired({ files: MULTI_FILES, env: {} });
    expect(fromDir.state).toEqual(fromList.state);
  });

  it('reads a file named twice once', async () => {
    const r = await loadDesired({ files: [sample('multi'), MULTI_FILES[1], '-', '-'], env: {}, readStdin: async () => '' });
    expect(r.files.map((f) => f.name)).toEqual([...MULTI_FILES, '<stdin>']);
  });

  it('a reference to an entity of a file that failed to load is not reported as unknown', async () => {
    const r = await loadDesired({ files: [sample('bad', 'malformed.yaml'), sample('multi', '20-plugins.yml')], env: {} });
    expect(r.references.map((x) => [x.written, x.resolved])).toEqual([['checkout-api', false]]);
    expect(validateDesired(r).map(brief)).toEqual([
      'bad/malformed.yaml:8:3: invalid YAML/JSON: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('reports an unreadable file and an empty directory without stopping', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'kong-ctl-empty-'));
    try {
      const r = await loadDesired({ files: [sample('nope.yaml'), empty, sample('multi', '10-services.yaml')], env: {} });
      expect(r.diagnostics.map((d) => d.message)).toEqual([
        `cannot read '${sample('nope.yaml')}': no such file or directory`,
        `directory '${empty}' holds no .yaml, .yml or .json file`,
      ]);
      expect(r.state.entities.map((e) => e.key)).toEqual(['service:checkout', 'route:checkout-api']);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  it('no file at all is a problem', async () => {
    const r = await loadDesired({ files: [], env: {} });
    expect(r.diagnostics.map((d) => d.message)).toEqual(['no state file given (use -f FILE, -f DIR or -f -)']);
  });

  it('_format_version must be "3.0" in every file, and select tags must agree', async () => {
    const r = await loadDesired({ files: [sample('conflict')], env: {} });
    expect(validateDesired(r).map(brief)).toEqual([
      'conflict/b.yaml:4:5: _info.select_tags [team-b] differ from [team-a] in ' +
        `${sample('conflict', 'a.yaml')}: all files must select the same tags`,
      'conflict/c.yaml:1:18: _format_version "1.1" is not supported: kong-ctl reads decK\'s format for Kong 3.x, _format_version: "3.0" (`kong-ctl convert -f FILE -o NEW` converts a Kong 2.x file)',
    ]);
    expect(r.formatVersion).toBe('3.0');
  });
});

describe('stdin', () => {
  const TEXT = '_format_version: "3.0"\nservices:\n  - name: from-stdin\n    host: stdin.internal\n    port: "x"\n';

  it('`-` reads stdin through readStdin, named <stdin> in positions', async () => {
    let calls = 0;
    const r = await loadDesired({
      files: ['-', sample('multi', '20-plugins.yml')],
      env: {},
      readStdin: async () => {
        calls++;
        return TEXT;
      },
    });
    expect(calls).toBe(1);
    expect(r.state.entities.map((e) => `${e.key} ${e.source?.file}:${e.source?.line}:${e.source?.column}`)).toEqual([
      'service:from-stdin <stdin>:3:5',
      `plugin:rate-limiting@route=checkout-api ${sample('multi', '20-plugins.yml')}:6:5`,
    ]);
    expect(validateDesired(r).map(brief)).toEqual([
      '<stdin>:5:11 services[0]: port: expected an integer',
      `multi/20-plugins.yml:7:12 plugins[0]: route: unknown route 'checkout-api': no route with this name or id in the file(s); one managed by other files can be named through _info.default_lookup_tags.routes`,
    ]);
  });
});

describe('select tags from the command line', () => {
  it('apply when the files give none', async () => {
    const r = await loadDesired({ files: [sample('multi', 'more', '30-consumers.json')], env: {}, selectTags: ['ci', 'ci'] });
    expect(r.selectTags).toEqual(['ci']);
    expect(r.state.entities.every((e) => JSON.stringify(e.fields.tags) === '["ci"]')).toBe(true);
  });

  it('must agree with _info.select_tags when both are given', async () => {
    const same = await loadDesired({ files: [sample('multi', '10-services.yaml')], env: {}, selectTags: ['team-checkout'] });
    expect(same.diagnostics).toEqual([]);
    const other = await loadDesired({ files: [sample('multi', '10-services.yaml')], env: {}, selectTags: ['team-x'] });
    expect(other.diagnostics.map(brief)).toEqual([
      'multi/10-services.yaml:4:5: select tags differ: --select-tag gives [team-x] but _info.select_tags gives [team-checkout]; give them in one place, or the same in both',
    ]);
  });

  it('more than 5 from the command line is reported without a position', async () => {
    const r = await loadDesired({
      files: [sample('multi', 'more', '30-consumers.json')],
      env: {},
      selectTags: ['a', 'b', 'c', 'd', 'e', 'f'],
    });
    expect(validateDesired(r).map(brief)).toEqual([
      '--select-tag: at most 5 select tags are allowed (Kong cannot filter on more), found 6',
      "multi/more/30-consumers.json:7:63 consumers[0].plugins[0]: service: unknown service 'checkout': no service with this name or id in the file(s); one managed by other files can be named through _info.default_lookup_tags.services",
    ]);
  });
});
