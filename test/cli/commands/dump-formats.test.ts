/**
 * `kong-ctl dump --with-id` and `-o FILE.json`. With ids the file pins each entity: renaming the
 * service in it plans an update of the same service (routes and plugins stay attached), where
 * the file without ids plans a replacement. JSON holds the same document as YAML.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { addr, write, path, expectApplyWritesNothing } = simSession('kong-ctl-dump-formats-');

const FILE = `_format_version: "3.0"
services:
- name: orders
  url: http://orders:8080
  routes:
  - name: orders-api
    paths: [/orders]
  plugins:
  - name: rate-limiting
    config: {minute: 100}
consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key
`;

async function applied(): Promise<void> {
  const r = await runCli(['apply', '-f', write('kong.yaml', FILE), ...addr()]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
}

function renamed(file: string): string {
  const out = file.replace(/\.(yaml|json)$/, '-renamed.$1');
  writeFileSync(out, readFileSync(file, 'utf8').replace('name: orders\n', 'name: orders-v2\n'));
  return out;
}

describe('kong-ctl dump', () => {
  it('--with-id writes every id, so a rename in the file is an update, not a replacement', async () => {
    await applied();
    const withIds = path('with-ids.yaml');
    expect((await runCli(['dump', '--with-id', '-o', withIds, ...addr()])).code).toBe(0);
    const doc = parse(readFileSync(withIds, 'utf8'));
    const uuid = expect.stringMatching(/^[0-9a-f-]{36}$/);
    expect(doc.services[0]).toMatchObject({ name: 'orders', id: uuid, routes: [{ name: 'orders-api', id: uuid }], plugins: [{ name: 'rate-limiting', id: uuid }] });
    expect(doc.consumers[0]).toMatchObject({ username: 'alice', id: uuid, keyauth_credentials: [{ key: 'alice-key', id: uuid }] });
    await expectApplyWritesNothing(withIds);

    const kept = await runCli(['diff', '-f', renamed(withIds), ...addr()]);
    expect(kept.code).toBe(2);
    expect(kept.stdout).toMatch(/^~ service orders-v2$/m);
    expect(kept.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy\./);

    const plain = path('plain.yaml');
    expect((await runCli(['dump', '-o', plain, ...addr()])).code).toBe(0);
    expect(readFileSync(plain, 'utf8')).not.toMatch(/\bid: /);
    const replaced = await runCli(['diff', '-f', renamed(plain), ...addr()]);
    expect(replaced.code).toBe(2);
    // Without ids the renamed service is a new one: the old one and its plugin go.
    expect(replaced.stdout).toMatch(/^- service orders$/m);
    expect(replaced.stdout).toMatch(/Plan: 2 to add, 1 to change, 2 to destroy\./);
  });

  it('-o FILE.json writes the same document as JSON, which applies as a no-op', async () => {
    await applied();
    const yaml = path('dump.yaml');
    const json = path('dump.json');
    expect((await runCli(['dump', '-o', yaml, ...addr()])).code).toBe(0);
    const r = await runCli(['dump', '-o', json, ...addr()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Wrote 5 entities to ${json}`);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual(parse(readFileSync(yaml, 'utf8')));
    await expectApplyWritesNothing(json);
  });
});
