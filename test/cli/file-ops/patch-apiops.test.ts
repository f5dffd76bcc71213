/**
 * go-apiops' own test cases for decK's `file patch`, run against kong-ctl.
 *
 * Ported from Kong/go-apiops (Apache-2.0, Copyright Kong Inc.) patch/patch_test.go, the newest
 * version the index stores (the one testing array values: ObjValues/ArrValues; the index names
 * no commit for it, and the one it lists, 8dcbd1cf31d319aae750a50ec0e2814a17dafd11, is an older
 * one whose cases are all included here), checked against patch/deckpatch.go at
 * a5f23b6f6c39248a12cf5ff685fd679f2b533639, patch/patchcli.go (the version reading `[ … ]`
 * arrays) and patch/deckpatchfile.go at 976f24e929e20fb6ec65697812bb6f95141ecdef.
 *
 * Each case asserts the data go-apiops asserts, parsed (kong-ctl keeps layout and comments,
 * decK rewrites the file). `--value` parsing and patch-file parsing go through the exported
 * functions, as go-apiops tests ValidateValuesFlags and DeckPatch.Parse; applying goes through
 * the real CLI, as a user runs it. Not ported: "validating --selector flags" checks the text of
 * the Go JSONPath library's own error, which kong-ctl's library words differently (the case
 * below checks the refusal instead).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyPatch, parsePatchFile, parseValueFlags, type Patch } from '../../../cli/src/file-ops/patch';
import { parseDeckDocument, dataOf } from '../../../cli/src/file-ops/document';
import { runCli } from '../commands/run-cli';

/** DeckPatch.Parse of one entry: the entry as the only one of a patch file. */
function parseEntry(entry: string): Patch {
  return parsePatchFile(parseDeckDocument({ name: 'file1.yml', text: `{"patches": [${entry}]}` }))[0];
}

/** `kong-ctl file patch` with these arguments on this data; the data written, parsed. */
async function patched(data: string, args: string[]): Promise<unknown> {
  const r = await runCli(['file', 'patch', ...args], { stdin: data });
  expect(r.code, r.stderr).toBe(0);
  return parse(r.stdout);
}

describe('go-apiops patch: Parse', () => {
  it('parses a valid patch object based', () => {
    const p = parseEntry(`{"selectors": ["$"], "values": {"field1": "value1"}, "remove": ["field2"]}`);
    expect(p.selectors).toEqual(['$']);
    expect(p.values).toEqual({ field1: 'value1' });
    expect(p.append ?? []).toEqual([]);
    expect(p.remove).toEqual(['field2']);
  });

  it('parses a valid patch array based', () => {
    const p = parseEntry(`{"selectors": ["$"], "values": ["entry1", "entry2"]}`);
    expect(p.selectors).toEqual(['$']);
    expect(p.values).toEqual({});
    expect(p.append).toEqual(['entry1', 'entry2']);
    expect(p.remove).toEqual([]);
  });

  it('fails on non-string-array selector', () => {
    expect(() => parseEntry(`{"selectors": 123, "values": {"a": 1}}`)).toThrow('patches[0].selectors must be a list of strings');
  });

  it('fails on bad selector', async () => {
    // go-apiops refuses it while parsing; kong-ctl when it compiles the selectors, before
    // anything is written either way.
    const d = parseDeckDocument({ name: 'kong.yaml', text: '{}' });
    const p = parseEntry(`{"selectors": ["not valid"], "values": {"a": 1}}`);
    expect(() => applyPatch(d, p)).toThrow("file1.yml: patches[0] selector 'not valid' is not a JSONPath query");
  });

  it("fails on non object/array 'values'", () => {
    expect(() => parseEntry(`{"selectors": ["$"], "values": 123}`)).toThrow('patches[0].values must be a mapping (keys to set) or a list (items to append)');
  });

  it("fails on non-array 'remove'", () => {
    expect(() => parseEntry(`{"selectors": ["$"], "remove": 123}`)).toThrow('patches[0].remove must be a list of strings');
  });

  it('fails on changing and removing the same field', () => {
    expect(() => parseEntry(`{"selectors": ["$"], "values": {"field1": "value1"}, "remove": ["field1"]}`)).toThrow(
      "patches[0] sets and removes 'field1' at once",
    );
  });
});

describe('go-apiops patch: validating --value flags', () => {
  it('validates a number', () => {
    expect(parseValueFlags(['key1:1', 'key2:2'])).toEqual({ values: { key1: 1, key2: 2 }, remove: [] });
  });

  it('validates a string', () => {
    expect(parseValueFlags(['key1:"hi"', 'key2:"there"'])).toEqual({ values: { key1: 'hi', key2: 'there' }, remove: [] });
  });

  it('validates a boolean', () => {
    expect(parseValueFlags(['key1:true', 'key2:false'])).toEqual({ values: { key1: true, key2: false }, remove: [] });
  });

  it('validates an object', () => {
    expect(parseValueFlags(['key1:{"hello": 123}', 'key2:false'])).toEqual({ values: { key1: { hello: 123 }, key2: false }, remove: [] });
  });

  it('validates an array', () => {
    expect(parseValueFlags(['key1:[true]', 'key2:false'])).toEqual({ values: { key1: [true], key2: false }, remove: [] });
  });

  it('validates an empty value (delete the key)', () => {
    expect(parseValueFlags(['key1:', 'key2:'])).toEqual({ values: {}, remove: ['key1', 'key2'] });
  });

  it('validates an array input', () => {
    expect(parseValueFlags(['[true, "false"]'])).toEqual({ values: {}, remove: [], append: [true, 'false'] });
  });

  it("returns error on missing ':'", () => {
    expect(() => parseValueFlags(['key1:true', 'key2_false'])).toThrow(
      "--value 'key2_false' must be key:json-value (key: alone removes the key) or a JSON array of items to append",
    );
  });

  it('returns error on invalid JSON in field', () => {
    expect(() => parseValueFlags(['key1:true', 'key2:{not valid this stuff...}'])).toThrow(
      "--value 'key2:{not valid this stuff...}': {not valid this stuff...} is not JSON",
    );
  });

  it('returns error on invalid JSON as array', () => {
    expect(() => parseValueFlags(['[not a valid array...]'])).toThrow("--value '[not a valid array...]' is not a JSON array (items to append)");
  });

  it("allows for multiple ':' characters (splits only by first one)", () => {
    expect(parseValueFlags(['key1:":::"'])).toEqual({ values: { key1: ':::' }, remove: [] });
  });
});

describe('go-apiops patch: validating --selector flags', () => {
  it('returns error on bad JSONpath, and writes nothing', async () => {
    const r = await runCli(['file', 'patch', '--selector', 'bad JSONpath', '--value', 'test:'], { stdin: '{}' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("--selector 'bad JSONpath' is not a JSONPath query");
  });
});

describe('go-apiops patch: applying values to objects', () => {
  it('to an object', async () => {
    const data = `{"services": [
      {"name": "one", "plugins": [{"name": "a"}]},
      {"name": "two", "plugins": [{"name": "b"}]}
    ]}`;
    expect(await patched(data, ['--selector', '$..plugins[*]', '--value', 'one:"one"', '--value', 'name:"two"'])).toEqual({
      services: [
        { name: 'one', plugins: [{ name: 'two', one: 'one' }] },
        { name: 'two', plugins: [{ name: 'two', one: 'one' }] },
      ],
    });
  });

  it('skips non-objects', async () => {
    const data = `{"plugins": [{"name": "old name"}, true, 0, ["an array"], "a string"]}`;
    expect(await patched(data, ['--selector', '$..plugins[*]', '--value', 'name:"new name"'])).toEqual({
      plugins: [{ name: 'new name' }, true, 0, ['an array'], 'a string'],
    });
  });

  it('works on empty objects', async () => {
    expect(await patched(`{"routes": [{}]}`, ['--selector', '$..routes[*]', '--value', 'name:"new name"'])).toEqual({ routes: [{ name: 'new name' }] });
  });

  it('deletes an existing key if the value is nil', async () => {
    expect(await patched(`{"routes": [{"name": "new name"}]}`, ['--selector', '$..routes[*]', '--value', 'name:'])).toEqual({ routes: [{}] });
  });

  it("doesn't insert 'null' when deleting a non-existing key", async () => {
    expect(await patched(`{"upstreams": [{"name": "my name"}]}`, ['--selector', '$..upstreams[*]', '--value', 'foobar:'])).toEqual({
      upstreams: [{ name: 'my name' }],
    });
  });

  it("can set 'null' if specified", async () => {
    expect(await patched(`{"upstreams": [{"name": "my name"}]}`, ['--selector', '$..upstreams[*]', '--value', 'name:null'])).toEqual({
      upstreams: [{ name: null }],
    });
  });
});

describe('go-apiops patch: applying values to arrays', () => {
  it('to an array', async () => {
    // go-apiops names this case "to an object"; the selector picks the services list.
    expect(await patched(`{"services": [{"name": "one"}]}`, ['--selector', '$.services', '--value', '["hello", "world"]'])).toEqual({
      services: [{ name: 'one' }, 'hello', 'world'],
    });
  });

  it('skips non-arrays', async () => {
    const data = `{"plugins": [{"name": "my name"}, true, 0, ["an array"], "a string"]}`;
    expect(await patched(data, ['--selector', '$.plugins[*]', '--value', '["hello", "world"]'])).toEqual({
      plugins: [{ name: 'my name' }, true, 0, ['an array', 'hello', 'world'], 'a string'],
    });
  });

  it('works on empty arrays', async () => {
    expect(await patched(`{"routes": []}`, ['--selector', '$..routes', '--value', '["hello", "world"]'])).toEqual({ routes: ['hello', 'world'] });
  });

  it('appends from a patch file too, a list of values being the items to append', async () => {
    // The same case through decK's patch-file format (DeckPatchFile.ParseFile + Apply).
    const d = parseDeckDocument({ name: 'kong.yaml', text: `{"routes": []}` });
    for (const p of parsePatchFile(parseDeckDocument({ name: 'p.yaml', text: `patches: [{selectors: ["$..routes"], values: [hello, world]}]` }))) applyPatch(d, p);
    expect(dataOf(d)).toEqual({ routes: ['hello', 'world'] });
  });
});

describe("go-apiops patch: the patch file's _format_version (deckpatchfile.go, deckformat.ParseFormatVersion)", () => {
  const patchFile = (version: string) => parseDeckDocument({ name: 'p.yaml', text: `_format_version: ${version}\npatches: [{values: {a: 1}}]\n` });

  it('takes any major.minor, as decK reads the version and goes on', () => {
    for (const v of ['"1.0"', '"1"', '"3.0"', '1.0']) expect(parsePatchFile(patchFile(v))[0].values, v).toEqual({ a: 1 });
  });

  it('refuses a version that is no major.minor, as decK does', () => {
    expect(() => parsePatchFile(patchFile('"1.2.3"'))).toThrow('p.yaml:1:18: _format_version of p.yaml must be a version such as "1.0", not "1.2.3"');
    expect(() => parsePatchFile(patchFile('"one"'))).toThrow('_format_version of p.yaml must be a version such as "1.0", not "one"');
  });
});

describe('go-apiops deckpatch.go behaviour its tests leave out', () => {
  it('applies a patch-file entry without selectors to the top of the file (DefaultSelector $)', async () => {
    const d = parseDeckDocument({ name: 'kong.yaml', text: '{"services": []}' });
    for (const p of parsePatchFile(parseDeckDocument({ name: 'p.yaml', text: 'patches: [{values: {_comment: hi}}]' }))) applyPatch(d, p);
    expect(dataOf(d)).toEqual({ services: [], _comment: 'hi' });
  });

  it('applies an empty values list as none, still removing what remove lists', async () => {
    const d = parseDeckDocument({ name: 'kong.yaml', text: '{"services": [{"name": "a", "url": "http://a"}]}' });
    for (const p of parsePatchFile(parseDeckDocument({ name: 'p.yaml', text: 'patches: [{selectors: ["$.services[*]"], values: [], remove: [url]}]' }))) applyPatch(d, p);
    expect(dataOf(d)).toEqual({ services: [{ name: 'a' }] });
  });
});

describe('go-apiops patch: deliberately different', () => {
  it('refuses --value arrays mixed with key:value, which decK would drop silently', async () => {
    // decK's ApplyToNodes applies only the array values when both are given (ArrValues wins),
    // so `name:"x"` below would be lost without a word.
    const r = await runCli(['file', 'patch', '--selector', '$..routes', '--value', '["a"]', '--value', 'name:"x"'], { stdin: '{"routes": []}' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--value: a JSON array appends to lists, key:value sets keys on mappings: give one kind per command');
  });
});
