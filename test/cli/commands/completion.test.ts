/**
 * `kong-ctl completion`: the script is run by a real bash, as a shell would on TAB, and must
 * offer the commands, each command's own flags, a flag's choices and file names after a flag that
 * takes a file. It is written from the commands themselves, so a flag added later is offered too.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { nockSession } from './nock-session';
import { runCli } from './run-cli';

const session = nockSession('kong-ctl-completion-');
let script = '';

beforeAll(async () => {
  const r = await runCli(['completion', 'bash']);
  expect(r.code, r.stderr).toBe(0);
  script = session.write('kong-ctl.bash', r.stdout);
});

/** What TAB offers after `words` (the last one being completed). */
function complete(...words: string[]): string[] {
  const array = ['kong-ctl', ...words].map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `source '${script}'; COMP_WORDS=(${array}); COMP_CWORD=${words.length}; _kong_ctl; printf '%s\\n' "\${COMPREPLY[@]}"`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

describe('kong-ctl completion bash', () => {
  it('offers the commands, then each command its own flags', () => {
    expect(complete('')).toEqual(expect.arrayContaining(['validate', 'diff', 'apply', 'reset', 'dump', 'convert', 'completion']));
    expect(complete('re')).toEqual(['reset', 'render']);
    expect(complete('apply', '--dr')).toEqual(['--dry-run']);
    expect(complete('reset', '--f')).toEqual(['--force']);
    expect(complete('apply', '--sk')).toEqual(['--skip-consumers', '--skip-ca-certificates']);
    // Hidden decK spellings are accepted, not offered.
    expect(complete('diff', '--head')).toEqual(['--header']);
    expect(complete('dump', '--f')).toEqual([]);
  });

  it('offers a group\'s commands (file), then that command\'s own flags and files', () => {
    expect(complete('fi')).toEqual(['file']);
    expect(complete('file', '')).toEqual(['openapi2kong', 'kong2kic', 'add-tags', 'remove-tags', 'list-tags', 'add-plugins', 'patch', 'namespace', 'merge', 'lint']);
    expect(complete('file', 'lint', '--fa')).toEqual(['--fail-severity']);
    // kong2kic's flag choices, from commander as every other command's.
    expect(complete('file', 'kong2kic', '--kic-version', '')).toEqual(['3', '2']);
    expect(complete('file', 'lint', '-F', '')).toEqual(['error', 'warn', 'info', 'hint']);
    expect(complete('file', 'lint', '--format', '')).toEqual(['plain', 'json', 'yaml']);
    expect(complete('file', 'add-plugins', '--ov')).toEqual(['--overwrite']);
    expect(complete('file', 'openapi2kong', '--in')).toEqual(['--inso-compatible']);
    expect(complete('file', 'openapi2kong', '--format', '')).toEqual(['yaml', 'json']);
    expect(complete('file', 'remove-tags', '--keep')).toEqual(['--keep-only', '--keep-empty-array']);
    const dir = join(session.dir(), 'apiops');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kong.yaml'), '');
    expect(complete('file', 'patch', '-s', join(dir, 'k'))).toEqual([join(dir, 'kong.yaml')]);
  });

  it("offers a flag's choices, and file names after a flag that takes a file", () => {
    expect(complete('diff', '-o', '')).toEqual(['text', 'json', 'markdown']);
    expect(complete('validate', '--output', '')).toEqual(['text', 'json']);
    const dir = join(session.dir(), 'gateway');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'orders.yaml'), '');
    writeFileSync(join(dir, 'users.yaml'), '');
    expect(complete('apply', '-f', join(dir, 'o'))).toEqual([join(dir, 'orders.yaml')]);
    expect(complete('convert', '--tls-client-cert', join(dir, 'u'))).toEqual([join(dir, 'users.yaml')]);
  });

  it('writes zsh the same function through bashcompinit, and refuses other shells', async () => {
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.startsWith('autoload -U +X bashcompinit && bashcompinit\n# kong-ctl shell completion')).toBe(true);
    const fish = await runCli(['completion', 'fish']);
    expect(fish.code).toBe(1);
    expect(fish.stderr).toContain("no completion for the shell 'fish': kong-ctl writes bash and zsh completion");
  });
});
