/**
 * kong-ctl as CI runs it, against the loopback Admin API simulator (Kong 3.4.2 response
 * shapes): diff shows drift (exit 2), apply converges, diff is then clean (exit 0), a second
 * apply writes nothing, dump → apply of the dump is a no-op, and JSON output keeps the same
 * exit codes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../../bench/ctl/simulator';
import { runCli } from './run-cli';

const FILE = `_format_version: "3.0"
services:
- name: orders
  url: http://orders.internal:8080/v1
  routes:
  - name: orders-api
    paths: [/orders]
    methods: [GET, POST]
    plugins:
    - name: cors
      config:
        origins: ["https://a.example"]
  plugins:
  - name: key-auth
consumers:
- username: alice
  keyauth_credentials:
  - key: \${{ env "DECK_ALICE_KEY" }}
  basicauth_credentials:
  - username: alice-basic
    password: s3cret-password
upstreams:
- name: orders-up
  targets:
  - target: 10.0.0.1
plugins:
- name: rate-limiting
  config:
    minute: 100
    policy: local
`;

const ENV = { DECK_ALICE_KEY: 'alice-very-secret-key' };
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'];

let sim: Simulator;
let dir: string;
let file: string;

function writes(): number {
  return WRITES.reduce((n, m) => n + (sim.stats.byMethod[m] ?? 0), 0);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kong-ctl-cli-'));
  file = join(dir, 'kong.yaml');
  writeFileSync(file, FILE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  sim = await startSimulator({ latencyMs: 0, record: true });
});
afterEach(async () => {
  await sim.close();
});

describe('kong-ctl against a live (simulated) Kong', () => {
  it('diff exits 2 on drift, apply converges, diff exits 0, and a second apply writes nothing', async () => {
    const addr = ['--kong-addr', sim.url];
    const d1 = await runCli(['diff', '-f', file, ...addr], { env: ENV });
    expect(d1.code, d1.stderr).toBe(2);
    expect(d1.stdout).toContain('+ service orders');
    expect(d1.stdout).toMatch(/Plan: 10 to add, 0 to change, 0 to destroy\./);
    expect(writes()).toBe(0);

    const a1 = await runCli(['apply', '-f', file, ...addr], { env: ENV });
    expect(a1.code, a1.stderr + a1.stdout).toBe(0);
    expect(a1.stdout).toMatch(/Apply: 10 done, 0 failed, 0 not attempted\./);
    expect(writes()).toBe(10);

    const d2 = await runCli(['diff', '-f', file, ...addr], { env: ENV });
    expect(d2.code, d2.stdout).toBe(0);
    expect(d2.stdout).toContain('No changes.');

    sim.resetStats();
    const a2 = await runCli(['apply', '-f', file, ...addr], { env: ENV });
    expect(a2.code).toBe(0);
    expect(a2.stdout).toContain('No changes.');
    expect(writes()).toBe(0);
  });

  it('masks values substituted from the environment unless --no-mask', async () => {
    const addr = ['--kong-addr', sim.url];
    const masked = await runCli(['diff', '-f', file, ...addr], { env: ENV });
    expect(masked.stdout).not.toContain(ENV.DECK_ALICE_KEY);
    expect(masked.stdout).toContain('[masked]');
    const json = await runCli(['diff', '-f', file, ...addr, '--output', 'json'], { env: ENV });
    expect(json.stdout).not.toContain(ENV.DECK_ALICE_KEY);
    const plain = await runCli(['diff', '-f', file, ...addr, '--no-mask'], { env: ENV });
    expect(plain.stdout).toContain(ENV.DECK_ALICE_KEY);
  });

  it('--output json keeps the exit codes: 2 with drift, 0 without, and is valid JSON both times', async () => {
    const addr = ['--kong-addr', sim.url];
    const d1 = await runCli(['diff', '-f', file, ...addr, '-o', 'json'], { env: ENV });
    expect(d1.code).toBe(2);
    const j1 = JSON.parse(d1.stdout);
    expect(j1).toMatchObject({ format_version: 1, drift: true, summary: { add: 10, change: 0, destroy: 0 } });
    await runCli(['apply', '-f', file, ...addr], { env: ENV });
    const d2 = await runCli(['diff', '-f', file, ...addr, '--output=json'], { env: ENV });
    expect(d2.code).toBe(0);
    expect(JSON.parse(d2.stdout)).toMatchObject({ drift: false, summary: { add: 0, change: 0, destroy: 0 }, changes: [] });
  });

  it('basic-auth passwords (stored hashed by Kong) never show as drift and are never re-pushed', async () => {
    const addr = ['--kong-addr', sim.url];
    await runCli(['apply', '-f', file, ...addr], { env: ENV });
    sim.resetStats();
    const d = await runCli(['diff', '-f', file, ...addr], { env: ENV });
    expect(d.stdout).not.toContain('password');
    expect(d.code).toBe(0);
  });

  it('a rotated basic-auth password is pushed once: told from the stored hash, never printed', async () => {
    const addr = ['--kong-addr', sim.url];
    await runCli(['apply', '-f', file, ...addr], { env: ENV });
    const rotated = join(dir, 'rotated.yaml');
    writeFileSync(rotated, FILE.replace('password: s3cret-password', 'password: n3w-password'));
    const d = await runCli(['diff', '-f', rotated, ...addr], { env: ENV });
    expect(d.code).toBe(2);
    expect(d.stdout).toContain('~ basic-auth credential alice-basic (consumer alice)\n    password: [masked] → [masked]');
    expect(d.stdout).not.toContain('n3w-password');
    sim.resetStats();
    const a = await runCli(['apply', '-f', rotated, ...addr], { env: ENV });
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(writes()).toBe(1);
    const consumerId = String(sim.store.all('consumers').find((c) => c.username === 'alice')!.id);
    const stored = sim.store.all('basicauth_credentials')[0].password;
    expect(stored).toBe(createHash('sha1').update(`n3w-password${consumerId}`).digest('hex'));
    const again = await runCli(['diff', '-f', rotated, ...addr], { env: ENV });
    expect(again.code, again.stdout).toBe(0);
  });

  it('a basic-auth credential moved to another consumer takes its password along (Kong salts it with the consumer id)', async () => {
    const addr = ['--kong-addr', sim.url];
    const two = FILE.replace('upstreams:', '- username: bob\nupstreams:');
    const before = join(dir, 'two.yaml');
    writeFileSync(before, two);
    expect((await runCli(['apply', '-f', before, ...addr], { env: ENV })).code).toBe(0);
    const moved = join(dir, 'moved.yaml');
    writeFileSync(
      moved,
      two
        .replace('  basicauth_credentials:\n  - username: alice-basic\n    password: s3cret-password\n', '')
        .replace('- username: bob\n', '- username: bob\n  basicauth_credentials:\n  - username: alice-basic\n    password: s3cret-password\n'),
    );
    const d = await runCli(['diff', '-f', moved, ...addr], { env: ENV });
    expect(d.code, d.stderr).toBe(2);
    expect(d.stdout).toMatch(/password: \[masked\] → \[masked\]/);
    expect((await runCli(['apply', '-f', moved, ...addr], { env: ENV })).code).toBe(0);
    const bobId = String(sim.store.all('consumers').find((c) => c.username === 'bob')!.id);
    const cred = sim.store.all('basicauth_credentials')[0];
    expect((cred.consumer as { id: string }).id).toBe(bobId);
    expect(cred.password).toBe(createHash('sha1').update(`s3cret-password${bobId}`).digest('hex'));
    expect((await runCli(['diff', '-f', moved, ...addr], { env: ENV })).code).toBe(0);
  });

  it('dump then apply of the dump is a no-op, and the dump nests routes and plugins under services', async () => {
    const addr = ['--kong-addr', sim.url];
    await runCli(['apply', '-f', file, ...addr], { env: ENV });
    const out = join(dir, 'dump.yaml');
    const dump = await runCli(['dump', ...addr, '-o', out]);
    expect(dump.code, dump.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/services:\n- name: orders[\s\S]*routes:\n  - name: orders-api[\s\S]*plugins:/);
    expect(text).not.toMatch(/created_at|updated_at/);
    sim.resetStats();
    const again = await runCli(['apply', '-f', out, ...addr]);
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(again.stdout).toContain('No changes.');
    expect(writes()).toBe(0);
  });

  it('an invalid file is reported with file:line and nothing at all is sent to Kong', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '_format_version: "3.0"\nservices:\n- name: orders\n  host: orders.internal\n  port: eighty\n');
    const r = await runCli(['apply', '-f', bad, '--kong-addr', sim.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:9: error: services[0]: port: expected an integer`);
    expect(r.stderr).toContain('nothing was sent to Kong');
    expect(sim.stats.requests).toBe(0);
  });

  it("an unknown field is judged by the node's own schemas: file:line, exit 1, reads only", async () => {
    const bad = join(dir, 'bad-field.yaml');
    writeFileSync(bad, '_format_version: "3.0"\nservices:\n- name: orders\n  host: orders.internal\n  prot: 80\n');
    const r = await runCli(['apply', '-f', bad, '--kong-addr', sim.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:3: error: services[0]: prot: unknown field (did you mean 'port'?)`);
    expect(r.stderr).toContain(`1 problem found in 1 file (checked against Kong 3.4.2 at ${sim.url}); nothing was sent to Kong.`);
    expect(sim.stats.requests).toBeGreaterThan(0);
    expect(writes()).toBe(0);
  });

  it('refuses a plan that deletes everything in scope, and writes nothing', async () => {
    const addr = ['--kong-addr', sim.url];
    await runCli(['apply', '-f', file, ...addr], { env: ENV });
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '_format_version: "3.0"\n');
    sim.resetStats();
    const r = await runCli(['apply', '-f', empty, ...addr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--allow-mass-delete/);
    expect(r.stderr).toContain('Nothing was written to Kong.');
    expect(writes()).toBe(0);
    const allowed = await runCli(['apply', '-f', empty, ...addr, '--allow-mass-delete']);
    expect(allowed.code, allowed.stderr + allowed.stdout).toBe(0);
    const d = await runCli(['diff', '-f', empty, ...addr]);
    expect(d.code).toBe(0);
  });

  it('select tags: entities outside the tags are never touched, and a name taken outside them is an error', async () => {
    const addr = ['--kong-addr', sim.url];
    const other = join(dir, 'other.yaml');
    writeFileSync(other, '_format_version: "3.0"\nservices:\n- name: billing\n  host: billing.internal\n- name: orders\n  host: theirs.internal\n');
    expect((await runCli(['apply', '-f', other, ...addr])).code).toBe(0);

    const mine = join(dir, 'mine.yaml');
    writeFileSync(mine, '_format_version: "3.0"\n_info:\n  select_tags: [team-a]\nservices:\n- name: payments\n  host: pay.internal\n');
    const a = await runCli(['apply', '-f', mine, ...addr]);
    expect(a.code, a.stderr).toBe(0);
    const d = await runCli(['diff', '-f', mine, ...addr]);
    expect(d.code).toBe(0); // billing and orders (untagged) are not drift

    const clash = join(dir, 'clash.yaml');
    writeFileSync(clash, '_format_version: "3.0"\n_info:\n  select_tags: [team-a]\nservices:\n- name: payments\n  host: pay.internal\n- name: orders\n  host: mine.internal\n');
    sim.resetStats();
    const c = await runCli(['apply', '-f', clash, ...addr]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(new RegExp(`${clash.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:\\d+: error: .*service orders already exists in Kong outside the select tags`));
    expect(writes()).toBe(0);
  });

  it('a plugin the gateway does not have installed is an error before any write', async () => {
    const f = join(dir, 'plugin.yaml');
    writeFileSync(
      f,
      FILE.replace('  plugins:\n  - name: key-auth\n', '  plugins:\n  - name: key-auth\n  - name: jwt-claims\n    config:\n      issuers:\n      - issuer: https://idp.example\n        jwks_uri: https://idp.example/jwks\n'),
    );
    const r = await runCli(['apply', '-f', f, '--kong-addr', sim.url], { env: ENV });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toMatch(/plugin 'jwt-claims' is not installed/);
    expect(writes()).toBe(0);
  });

  it('ping reports version, edition and database mode', async () => {
    const r = await runCli(['ping', '--kong-addr', sim.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Kong 3\.4\.2 \(community, database postgres, role traditional\) at http:\/\/127\.0\.0\.1:\d+/);
  });
});
