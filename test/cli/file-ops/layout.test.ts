/**
 * The file commands edit the document in place: a command that changes nothing writes back every
 * YAML file of the repository byte for byte (comments, quoting, anchors, templates, indentation),
 * so what a real change leaves around it is as written too.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/run-cli';

const ROOT = join(__dirname, '..', '..', '..');
const YAML_FILES = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.includes('/bad/') && !f.startsWith('docker-compose'));

describe('kong-ctl file: what no change touches stays as written', () => {
  it('finds the repository’s YAML files, decK files with templates and anchors among them', () => {
    expect(YAML_FILES.length).toBeGreaterThan(20);
    expect(YAML_FILES).toContain('kong/kong.yaml');
    expect(YAML_FILES.some((f) => readFileSync(join(ROOT, f), 'utf8').includes('${{ env'))).toBe(true);
  });

  it('writes each back byte for byte', async () => {
    const changed: string[] = [];
    for (const f of YAML_FILES) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      const r = await runCli(['file', 'patch', '--value', 'no_such_key:'], { stdin: text });
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      if (r.stdout !== text) changed.push(relative(ROOT, join(ROOT, f)));
    }
    expect(changed).toEqual([]);
  });

  it('a file the renderer would lay out otherwise: sequence indents mixed, a folded flow scalar, no final newline', async () => {
    // As decK's own test files are written (testdata/dump/002-skip-consumers/kong34.yaml,
    // 007-keys-and-key_sets/kong-jwk.yaml, 009-…/credentials.yaml).
    const text = [
      '_format_version: "3.0"',
      'consumers:',
      '  - username: foo',
      '    tags:',
      '    - a',
      'keys:',
      "- jwk: '{\"kty\": \"RSA\",",
      "    \"e\": \"AQAB\"}'",
      '  kid: k1',
      '  ',
      '',
      'services:',
      '- name: svc1',
      '  host: mockbin.org',
    ].join('\n');
    for (const cmd of [['patch', '--value', 'no_such_key:'], ['remove-tags', 'no-such-tag']]) {
      const r = await runCli(['file', ...cmd], { stdin: text });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(text);
    }
  });

  it("goes back byte for byte in a layout the yaml library would not write: decK's own test files", async () => {
    // decK's sync test files (test/fixtures/deck-sync) mix sequences indented under their key
    // with sequences at its column, align comments with spaces, fold a long flow scalar over
    // lines, and some end without a newline.
    const text = [
      '_format_version: "3.0"',
      'services:',
      '  - id: 18076db2-28b6-423b-ba39-a797193017f7     # Changing ID,',
      '    name: s1                                     # leaving the same name.',
      '    tags:',
      '    - a',
      'keys:',
      `- jwk: '{"kty": "RSA", "kid": "k", "n":`,
      `    "v2KA", "e": "AQAB"}'`,
      '  name: foo',
    ].join('\n');
    for (const args of [['patch', '--value', 'no_such_key:'], ['add-tags', '--selector', '$.routes[*]', 'x']]) {
      const r = await runCli(['file', ...args], { stdin: text });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(text);
    }
  });
});

describe('kong-ctl file: adding tags and removing them again gives the file back', () => {
  // Tags of any text, quoting-hostile ones included ("a: b", "#x", "- y", "'q'", unicode, spaces).
  const tag = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((t) => t.trim() === t && !t.includes('\u0000'));
  // decK files only: kong/ also holds a lint ruleset, whose `tags` would mean nothing to decK.
  const decks = YAML_FILES.filter(
    (f) => /^(kong\/|test\/fixtures\/files\/)/.test(f) && /^_format_version:/m.test(readFileSync(join(ROOT, f), 'utf8')),
  );

  it('byte for byte, for every decK file here and tags of any text', async () => {
    expect(decks.length).toBeGreaterThan(5);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...decks), fc.uniqueArray(tag, { minLength: 1, maxLength: 3 }), async (f, tags) => {
        const text = readFileSync(join(ROOT, f), 'utf8');
        const existing = (await runCli(['file', 'list-tags'], { stdin: text })).stdout.split('\n');
        fc.pre(tags.every((t) => !existing.includes(t)));
        const added = await runCli(['file', 'add-tags', '--', ...tags], { stdin: text });
        expect(added.code, added.stderr).toBe(0);
        const listed = await runCli(['file', 'list-tags', '--format', 'json'], { stdin: added.stdout });
        for (const t of tags) expect(JSON.parse(listed.stdout).tags).toContain(t);
        const removed = await runCli(['file', 'remove-tags', '--', ...tags], { stdin: added.stdout });
        expect(removed.code, removed.stderr).toBe(0);
        expect(removed.stdout).toBe(text);
      }),
      { numRuns: 60 },
    );
  });
});
