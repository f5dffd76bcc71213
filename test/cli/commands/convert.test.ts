/**
 * `kong-ctl convert`: the converted file is written (or printed), every change is listed at its
 * line, and the result is validated, offline or by the node's own schemas with --online, so what
 * is left to do by hand is listed at its line in the new file. A refused file writes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nockSession } from './nock-session';
import { ADMIN, recordedNode } from './recorded-node';
import { runCli } from './run-cli';

const session = nockSession('kong-ctl-convert-');

const LEGACY = `_format_version: "1.1"
services:
- name: orders
  url: http://orders:8080
  routes:
  - name: by-id
    paths: [/orders/\\d+]
    plugins:
    - name: ip-restriction
      run_on: first
      config:
        whitelist: [10.0.0.0/8]
`;

describe('kong-ctl convert', () => {
  it('writes the Kong 3.x file, lists each change at its line, and validates the result', async () => {
    const old = session.write('old.yaml', LEGACY);
    const out = join(session.dir(), 'new.yaml');
    const r = await runCli(['convert', '-f', old, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `${old}:1:18: _format_version: "1.1" → "3.0"`,
      `${old}:7:13: services[0].routes[0].paths[0]: "/orders/\\\\d+" → "~/orders/\\\\d+": Kong 2.x read this path as a regex; Kong 3.x needs the ~ prefix to do so`,
      `${old}:10:7: services[0].routes[0].plugins[0].run_on: removed: Kong 2.1 removed it: it only ever mattered to the retired service mesh`,
      `${old}:12:9: services[0].routes[0].plugins[0].config.whitelist: whitelist → allow: Kong 3.0 removed the deprecated whitelist`,
      `Converted ${old} to _format_version "3.0" with 4 changes.`,
      `Wrote ${out}.`,
      `${out} is valid for Kong 3.x (offline checks); --online also checks its plugins' configs against your Kong.`,
      '',
    ]);
    expect(parse(readFileSync(out, 'utf8'))).toEqual({
      _format_version: '3.0',
      services: [
        {
          name: 'orders',
          url: 'http://orders:8080',
          routes: [{ name: 'by-id', paths: ['~/orders/\\d+'], plugins: [{ name: 'ip-restriction', config: { allow: ['10.0.0.0/8'] } }] }],
        },
      ],
    });
    expect((await runCli(['validate', '-f', out])).code).toBe(0);

    // Converting again changes nothing; in place works too.
    const again = await runCli(['convert', '-f', out, '-o', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`${out} already has _format_version "3.0": nothing to convert.`);
    const once = await runCli(['convert', '-f', old, '-o', old]);
    expect(once.code).toBe(0);
    expect(readFileSync(old, 'utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('prints to stdout by default, reads stdin, and keeps ${{ env }} placeholders whether or not they are set', async () => {
    const text = `_format_version: "2.1"\nservices:\n- name: s\n  host: \${{ env "DECK_HOST" }}\n`;
    const r = await runCli(['convert', '-f', '-'], { stdin: text });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`_format_version: "3.0"\nservices:\n- name: s\n  host: \${{ env "DECK_HOST" }}\n`);
    expect(r.stderr).toContain('<stdout> is valid for Kong 3.x');
  });

  it('writes the file and exits 1 when Kong 3.x would still refuse it, naming each problem in the new file', async () => {
    const old = session.write('stale.yaml', `_format_version: "1.1"\nservices:\n- name: s\n  host: example.com\n  retries: many\n  routes:\n  - name: r\n    paths: [/x/(]\n`);
    const out = join(session.dir(), 'stale-3.yaml');
    const r = await runCli(['convert', '-f', old, '-o', out]);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(true);
    expect(r.stderr.split('\n').slice(-5)).toEqual([
      `Wrote ${out}.`,
      `${out}:5:12: error: services[0]: retries: expected an integer`,
      `${out}:8:13: error: services[0].routes[0]: paths[0]: invalid regex: '/x/(' (Unterminated group)`,
      `2 problems above are left for you to fix in ${out}: Kong 3.x (offline checks) would refuse it as it is.`,
      '',
    ]);
  });

  it('writes nothing when the conversion itself is refused', async () => {
    const old = session.write('both.yaml', `_format_version: "1.1"\nplugins:\n- name: acl\n  config:\n    allow: [a]\n    whitelist: [b]\n`);
    const out = join(session.dir(), 'never.yaml');
    const r = await runCli(['convert', '-f', old, '-o', out]);
    expect(r.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toBe(
      `${old}:6:5: error: plugins[0].config.whitelist: both whitelist and allow are set: Kong 3.0 removed the deprecated whitelist, and which of the two lists this plugin should keep is yours to say\n` +
        `${old} was not converted; nothing was written.\n`,
    );
    const two = await runCli(['convert', '-f', old, '-f', old]);
    expect(two.code).toBe(1);
    expect(two.stderr).toContain('convert takes one file: -f FILE (or -f - for stdin)');
    const none = await runCli(['convert', '-f', join(session.dir(), 'missing.yaml')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no such file or directory');
  });

  it('--online validates the result against the node: plugin configs too', async () => {
    const old = session.write('online.yaml', `_format_version: "1.1"\nplugins:\n- name: rate-limiting\n  run_on: first\n  config:\n    minute: 5\n    per_minute: 5\n`);
    const out = join(session.dir(), 'online-3.yaml');
    const offline = await runCli(['convert', '-f', old, '-o', out]);
    expect(offline.code, offline.stderr).toBe(0);

    recordedNode();
    const r = await runCli(['convert', '-f', old, '-o', out, '--online', '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${out}:6:5: error: plugins[0]: config.per_minute: unknown field`);
    expect(r.stderr).toContain(`1 problem above is left for you to fix in ${out}: Kong 3.4.2 at ${ADMIN} would refuse it as it is.`);
  });
});
