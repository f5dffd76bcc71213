/**
 * kong-pdk 0.6.0's cli.js takes its query flags with one dash too (`-dump-all-plugins`,
 * `-dump-plugin-info <name>`), so a kong.conf query_cmd written for kong-js-pluginserver may use
 * them; ours read `-dump-all-plugins` as `-d ump-all-plugins` (the plugins directory) and Kong's
 * process.lua ask_info got no JSON ("Not a plugin info table"). The output matches kong-pdk's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KONG_JS_PLUGINSERVER, REPO_ROOT } from '../harness';
import { OUR_SERVER_BIN } from './helpers';

function run(argv: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

const dir = path.join(REPO_ROOT, 'dist', 'kong-plugins', 'jwt-claims');

describe("kong-pdk's single-dash query flags", () => {
  it('-dump-all-plugins prints the same JSON as kong-pdk', async () => {
    const [ours, pdk] = await Promise.all([run([OUR_SERVER_BIN, '--plugins-directory', dir, '-dump-all-plugins']), run([KONG_JS_PLUGINSERVER, '--plugins-directory', dir, '-dump-all-plugins'])]);
    expect(pdk.code).toBe(0);
    expect(JSON.parse(pdk.stdout.toString())[0].Name).toBe('jwt-claims');
    // the flag is read as `-d ump-all-plugins`: the plugins directory
    expect(ours.stdout.toString() + ours.stderr).not.toContain('ump-all-plugins');
    expect(ours.code).toBe(0);
    expect(ours.stdout.toString()).toBe(pdk.stdout.toString());
  });

  it('-dump-plugin-info <name> prints the same MessagePack as kong-pdk', async () => {
    const [ours, pdk] = await Promise.all([run([OUR_SERVER_BIN, '-d', dir, '-dump-plugin-info', 'jwt-claims']), run([KONG_JS_PLUGINSERVER, '-d', dir, '-dump-plugin-info', 'jwt-claims'])]);
    expect(pdk.code).toBe(0);
    expect(pdk.stdout.length).toBeGreaterThan(100);
    // `-d ump-plugin-info`, then `jwt-claims` is an extra argument
    expect(ours.stderr).not.toContain('too many arguments');
    expect(ours.code).toBe(0);
    expect(ours.stdout.equals(pdk.stdout)).toBe(true);
  });
});
