/**
 * go-apiops' own tests of `deck file merge` (merge/merge_test.go, Apache-2.0), run through
 * `kong-ctl file merge` on go-apiops' files (test/fixtures/go-apiops-merge, whose README names
 * the commits, what is not ported and what kong-ctl does differently on purpose). The result is
 * compared as data with go-apiops' expected file: kong-ctl keeps the first file's layout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-merge-apiops-');
const DIR = join(__dirname, '../../fixtures/go-apiops-merge');
const at = (name: string) => join(DIR, name);
const expected = (name: string): unknown => JSON.parse(readFileSync(at(name), 'utf8'));

/** Merges go-apiops' files; the result as data, with the run. */
async function merge(files: string[], env: NodeJS.ProcessEnv = {}, extra: string[] = []) {
  const r = await runCli(['file', 'merge', ...files.map(at), ...extra], { env });
  return { ...r, data: r.code === 0 && r.stdout ? (parse(r.stdout) as unknown) : undefined };
}

/** A refused merge: exit 1, the message, and no output file. */
async function refused(files: string[], env: NodeJS.ProcessEnv = {}) {
  const out = join(session.dir(), `never-${files.join('-')}.yaml`);
  const r = await runCli(['file', 'merge', ...files.map(at), '-o', out], { env });
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(existsSync(out)).toBe(false);
  return r.stderr;
}

// decK's templates in file4 to file7 must stay as written even where their variables are set:
// decK's merge renders `_format_version` only.
const SVC_ENV = { DECK_SVC_CONNECT_TIMEOUT: '1000', DECK_SVC_READ_TIMEOUT: '2000', DECK_SVC_RETRIES: '3' };

describe('go-apiops merge: merges files', () => {
  it('attempt 1: original order (lists in file order, highest minor version, the last _comment)', async () => {
    const r = await merge(['file1.yml', 'file2.yml', 'file3.yml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.data).toEqual(expected('test1_expected.json'));
    // the same data written as JSON, which go-apiops' test compares
    const json = await merge(['file1.yml', 'file2.yml', 'file3.yml'], {}, ['--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(expected('test1_expected.json'));
  });

  it('attempt 2: same files, different order (other list order, same version)', async () => {
    const r = await merge(['file3.yml', 'file2.yml', 'file1.yml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.data).toEqual(expected('test2_expected.json'));
  });

  it('with incompatible versions errors', async () => {
    const stderr = await refused(['file1.yml', 'badversion.yml']);
    expect(stderr).toContain(`${at('badversion.yml')} has _format_version "1.0" and ${at('file1.yml')} "3.0": files of different major versions cannot be merged`);
  });

  it("with incompatible '_transform' errors (checked before the version, which differs too)", async () => {
    const stderr = await refused(['file1.yml', 'transform_false.yml']);
    expect(stderr).toContain(`${at('transform_false.yml')} has _transform: false and ${at('file1.yml')} _transform: true: files that differ in _transform cannot be merged`);
    expect(stderr).not.toContain('major versions');
  });
});

describe('go-apiops merge: MustMerge', () => {
  it('succeeds on proper files (written to -o FILE)', async () => {
    const out = join(session.dir(), 'merged.yaml');
    const r = await merge(['file1.yml', 'file2.yml', 'file3.yml'], {}, ['-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(readFileSync(out, 'utf8'))).toEqual(expected('test1_expected.json'));
  });

  it('throws error on bad files: exit 1, the file named, nothing written', async () => {
    const stderr = await refused(['bad_file1.yml', 'bad_file2.yml']);
    expect(stderr).toContain(`cannot read '${at('bad_file1.yml')}'`);
  });
});

describe('go-apiops merge: MergeFiles with env variables', () => {
  it('env variables in configuration: kept as written, not rendered', async () => {
    const r = await merge(['file4.yml', 'file5.yml'], SVC_ENV);
    expect(r.code, r.stderr).toBe(0);
    expect(r.data).toEqual(expected('test3_expected.json'));
  });

  it("env variables in configuration, as JSON: decK's backquoted spelling (deliberately different, see the README)", async () => {
    const r = await merge(['file4.yml', 'file5.yml'], SVC_ENV, ['--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const backquoted = JSON.parse(JSON.stringify(expected('test3_expected.json')).replace(/env \\"(DECK_\w+)\\"/g, 'env `$1`'));
    expect(JSON.parse(r.stdout)).toEqual(backquoted);
  });

  it('env variables in _format_version: compatible (rendered, and the result has the value)', async () => {
    const r = await merge(['file6.yml', 'file7.yml'], { ...SVC_ENV, DECK_FORMAT_VERSION: '3.0' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.data).toEqual(expected('test4_expected.json'));
  });

  it('env variables in _format_version: incompatible', async () => {
    const stderr = await refused(['file6.yml', 'badversion.yml'], { DECK_FORMAT_VERSION: '3.0' });
    expect(stderr).toContain(`${at('badversion.yml')} has _format_version "1.0" and ${at('file6.yml')} "3.0": files of different major versions cannot be merged`);
  });

  it('env variables in _format_version: missing env variable', async () => {
    const stderr = await refused(['file6.yml', 'file7.yml']);
    expect(stderr).toContain(`${at('file6.yml')}:3:18: _format_version: environment variable 'DECK_FORMAT_VERSION' present in state file but not set`);
  });

  it('env variables in _format_version: bad env variable', async () => {
    const stderr = await refused(['badenvvar.yml'], { FORMAT_VERSION: '3.0' });
    expect(stderr).toContain(`${at('badenvvar.yml')}:2:18: _format_version: environment variables in the state file must be prefixed with 'DECK_' or 'KONG_CTL_', found: 'FORMAT_VERSION'`);
  });
});
