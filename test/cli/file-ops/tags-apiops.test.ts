/**
 * go-apiops' own test cases for decK's `file add-tags`, `remove-tags` and `list-tags`, run
 * through kong-ctl's CLI.
 *
 * Ported from Kong/go-apiops (Apache-2.0, Copyright Kong Inc.) tags/tags_test.go at
 * a7b666b0f34f161609ac86f2fb5324ce03906f08, checked against tags/tags.go at
 * 37fc94737b84db809a083cbde5dcc3f6b802b120, deckformat/entitypointers.go at the same commit
 * and cmd/removetags.go, cmd/listtags.go.
 *
 * go-apiops' cases keep their entities under `anykey`, which kong-ctl refuses to tag: a selector
 * that picks something no decK entity list holds is an error (see the last case). They are
 * ported with the same objects under `services`, a list every decK file may have. The
 * Tagger.SetData cases (a panic on nil data) test Go internals and are not ported.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../commands/run-cli';

const THREE = `{"services": [
  {"name": "svc1", "tags": ["tag1", "tag2"]},
  {"name": "svc2", "tags": ["tag2", "tag3"]},
  {"name": "svc3", "tags": ["tag3", "tag1"]}
]}`;

async function run(args: string[], stdin: string): Promise<unknown> {
  const r = await runCli(['file', ...args], { stdin });
  expect(r.code, r.stderr).toBe(0);
  return parse(r.stdout);
}

describe('go-apiops tags: Tagger.SetSelectors', () => {
  it('allows nil, or 0 length: no selector means the default ones', async () => {
    expect(await run(['add-tags', 'x'], `{"services": [{"name": "a"}]}`)).toEqual({ services: [{ name: 'a', tags: ['x'] }] });
  });

  it('accepts a valid JSONpointer', async () => {
    const out = await run(['add-tags', '--selector', '$..routes[*]', '--selector', '$..services[*]', 'x'], `{"services": [{"name": "a", "routes": [{"name": "r"}]}]}`);
    expect(out).toEqual({ services: [{ name: 'a', routes: [{ name: 'r', tags: ['x'] }], tags: ['x'] }] });
  });

  it('fails on a bad JSONpointer, and writes nothing', async () => {
    const r = await runCli(['file', 'add-tags', '--selector', 'bad one', 'x'], { stdin: THREE });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--selector 'bad one' is not a JSONPath query");
  });
});

describe('go-apiops tags: Tagger.RemoveTags', () => {
  it('removes tags, not changing order', async () => {
    expect(await run(['remove-tags', '--selector', '$..services[*]', 'tag2'], THREE)).toEqual({
      services: [
        { name: 'svc1', tags: ['tag1'] },
        { name: 'svc2', tags: ['tag3'] },
        { name: 'svc3', tags: ['tag3', 'tag1'] },
      ],
    });
  });

  it('uses default selectors if none specified', async () => {
    // Only entities are selected by default: `anykey` is left as it is.
    const data = `{
      "services": [
        {"name": "svc1", "tags": ["tag1", "tag2"]},
        {"name": "svc2", "tags": ["tag2", "tag3"]},
        {"name": "svc3", "tags": ["tag3", "tag1"]}
      ],
      "anykey": [
        {"name": "svc1", "tags": ["tag1", "tag2"]},
        {"name": "svc2", "tags": ["tag2", "tag3"]},
        {"name": "svc3", "tags": ["tag3", "tag1"]}
      ]
    }`;
    expect(await run(['remove-tags', 'tag2'], data)).toEqual({
      services: [
        { name: 'svc1', tags: ['tag1'] },
        { name: 'svc2', tags: ['tag3'] },
        { name: 'svc3', tags: ['tag3', 'tag1'] },
      ],
      anykey: [
        { name: 'svc1', tags: ['tag1', 'tag2'] },
        { name: 'svc2', tags: ['tag2', 'tag3'] },
        { name: 'svc3', tags: ['tag3', 'tag1'] },
      ],
    });
  });

  it('removes empty tag array if set to (the default)', async () => {
    expect(await run(['remove-tags', '--selector', '$..services[*]', 'tag2', 'tag3'], THREE)).toEqual({
      services: [{ name: 'svc1', tags: ['tag1'] }, { name: 'svc2' }, { name: 'svc3', tags: ['tag1'] }],
    });
  });

  it('keeps empty tag array if set to (--keep-empty-array)', async () => {
    expect(await run(['remove-tags', '--keep-empty-array', '--selector', '$..services[*]', 'tag2', 'tag3'], THREE)).toEqual({
      services: [
        { name: 'svc1', tags: ['tag1'] },
        { name: 'svc2', tags: [] },
        { name: 'svc3', tags: ['tag1'] },
      ],
    });
  });
});

describe('go-apiops tags: Tagger.AddTags', () => {
  it('adds tags to existing tag arrays, in order provided', async () => {
    const data = `{"services": [{"name": "svc1"}, {"name": "svc2", "tags": ["tag1"]}, {"name": "svc3", "tags": ["tag2", "tag3"]}]}`;
    expect(await run(['add-tags', '--selector', '$..services[*]', 'tagX', 'tagY'], data)).toEqual({
      services: [
        { name: 'svc1', tags: ['tagX', 'tagY'] },
        { name: 'svc2', tags: ['tag1', 'tagX', 'tagY'] },
        { name: 'svc3', tags: ['tag2', 'tag3', 'tagX', 'tagY'] },
      ],
    });
  });
});

const SHUFFLED = `{"services": [
  {"name": "svc1", "tags": ["tag3", "tag2"]},
  {"name": "svc2", "tags": ["tag2", "tag1"]},
  {"name": "svc3", "tags": ["tag1", "tag3"]}
]}`;

describe('go-apiops tags: Tagger.ListTags', () => {
  it('lists tags in sorted order, deduplicated', async () => {
    const r = await runCli(['file', 'list-tags', '--selector', '$..services[*]'], { stdin: SHUFFLED });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('tag1\ntag2\ntag3\n');
  });
});

describe('go-apiops tags: Tagger.RemoveUnknownTags (remove-tags --keep-only)', () => {
  it('removes unknown tags without impacting order', async () => {
    expect(await run(['remove-tags', '--keep-only', '--keep-empty-array', '--selector', '$..services[*]', 'tag1'], SHUFFLED)).toEqual({
      services: [
        { name: 'svc1', tags: [] },
        { name: 'svc2', tags: ['tag1'] },
        { name: 'svc3', tags: ['tag1'] },
      ],
    });
  });

  it('removes empty tags arrays if set to', async () => {
    expect(await run(['remove-tags', '--keep-only', '--selector', '$..services[*]', 'tag1'], SHUFFLED)).toEqual({
      services: [{ name: 'svc1' }, { name: 'svc2', tags: ['tag1'] }, { name: 'svc3', tags: ['tag1'] }],
    });
  });
});

describe('go-apiops tags.go behaviour its tests leave out', () => {
  it("selects every place of decK's entity table by default, and not keys, which decK's table lacks", async () => {
    const data = `{
      "consumer_groups": [{"name": "gold", "plugins": [{"name": "rate-limiting"}]}],
      "keyauth_credentials": [{"key": "k"}],
      "certificates": [{"cert": "c", "upstreams": [{"name": "u", "targets": [{"target": "t:80"}]}]}],
      "key_sets": [{"name": "ks"}],
      "keys": [{"kid": "1"}]
    }`;
    expect(await run(['add-tags', 'x'], data)).toEqual({
      consumer_groups: [{ name: 'gold', plugins: [{ name: 'rate-limiting', tags: ['x'] }], tags: ['x'] }],
      keyauth_credentials: [{ key: 'k', tags: ['x'] }],
      certificates: [{ cert: 'c', upstreams: [{ name: 'u', targets: [{ target: 't:80', tags: ['x'] }], tags: ['x'] }], tags: ['x'] }],
      key_sets: [{ name: 'ks' }],
      keys: [{ kid: '1' }],
    });
    // A selector still picks keys: they are entities, though not in decK's default list.
    expect(await run(['add-tags', '--selector', '$.keys[*]', 'x'], data)).toMatchObject({ keys: [{ kid: '1', tags: ['x'] }] });
  });

  it('adds a tag given twice once, and none an entity already has', async () => {
    expect(await run(['add-tags', 'tag1', 'new', 'new'], `{"services": [{"name": "a", "tags": ["tag1"]}]}`)).toEqual({ services: [{ name: 'a', tags: ['tag1', 'new'] }] });
  });

  it('--keep-only changes nothing, empty tag lists included, when every tag found is kept', async () => {
    // RemoveUnknownTags calls RemoveTags (which drops empty lists) only when it found a tag to remove.
    const data = `{"services": [{"name": "a", "tags": ["keep"]}, {"name": "b", "tags": []}]}`;
    expect(await run(['remove-tags', '--keep-only', 'keep'], data)).toEqual({ services: [{ name: 'a', tags: ['keep'] }, { name: 'b', tags: [] }] });
    expect(await run(['remove-tags', '--keep-only', 'other'], data)).toEqual({ services: [{ name: 'a' }, { name: 'b' }] });
  });

  it("sorts by code point, as Go's sort.Strings", async () => {
    // UTF-16 order would put the emoji (a surrogate pair) before U+FF21.
    const data = `{"services": [{"name": "a", "tags": ["\u{1F600}", "\uFF21", "b", "B"]}]}`;
    const r = await runCli(['file', 'list-tags'], { stdin: data });
    expect(r.stdout).toBe('B\nb\n\uFF21\n\u{1F600}\n');
  });

  it('takes any scalar as the tag its text spells, null included, and nothing else', async () => {
    const data = `services:\n- name: a\n  tags: [1, true, null, [x], {y: z}]\n`;
    expect((await runCli(['file', 'list-tags'], { stdin: data })).stdout).toBe('1\nnull\ntrue\n');
    expect(await run(['remove-tags', 'null', '1'], data)).toEqual({ services: [{ name: 'a', tags: [true, ['x'], { y: 'z' }] }] });
  });

  it('lists as YAML or JSON in an object with a tags list (--format), as decK writes it', async () => {
    expect(JSON.parse((await runCli(['file', 'list-tags', '--format', 'JSON'], { stdin: SHUFFLED })).stdout)).toEqual({ tags: ['tag1', 'tag2', 'tag3'] });
    expect(parse((await runCli(['file', 'list-tags', '--format', 'yaml'], { stdin: '{}' })).stdout)).toEqual({ tags: [] });
  });
});

describe('go-apiops tags: deliberately different', () => {
  it("refuses a selector that picks what no decK entity list holds (go-apiops' `anykey`), and writes nothing", async () => {
    // decK tags any object a selector picks; a `tags` field on something that is no entity (a
    // plugin's config, an unknown key) is a file Kong refuses, so kong-ctl says so instead.
    const r = await runCli(['file', 'add-tags', '--selector', '$..anykey[*]', 'x'], { stdin: `{"anykey": [{"name": "svc1"}]}` });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--selector '$..anykey[*]' selects $.anykey[0] in <stdin>, which is not an entity");
  });
});
