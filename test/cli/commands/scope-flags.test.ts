/**
 * The flags that narrow what a run manages, through the whole pipeline against the Admin API
 * simulator. --skip-consumers: consumers, their credentials and consumer-scoped plugins are
 * neither read, compared, written, deleted nor dumped; the files' own consumers are validated,
 * then left out with a warning. --no-deletes: creates and updates only, and a count of the live
 * entities kept. And the warnings of valid files, which diff and apply print on stderr, and
 * diff's Markdown output for pull-request comments.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const SERVICES = `_format_version: "3.0"
services:
- name: orders
  url: http://orders.internal:8080
  routes:
  - name: orders-api
    paths: [/orders]
  plugins:
  - name: key-auth
`;

const CONSUMERS = `consumers:
- username: alice
  keyauth_credentials:
  - key: alice-key-1
  acls:
  - group: gold
  plugins:
  - name: rate-limiting
    config:
      minute: 5
`;

const { sim, addr, write, path, writes } = simSession('kong-ctl-skip-consumers-');
let full = '';
let servicesOnly = '';
beforeAll(() => {
  full = write('full.yaml', SERVICES + CONSUMERS);
  servicesOnly = write('services.yaml', SERVICES);
});

/** Paths of the GETs the simulator served since log entry `from`. */
const reads = (from: number) =>
  sim()
    .log.slice(from)
    .filter((r) => r.method === 'GET')
    .map((r) => r.path.split('?')[0]);

describe('--skip-consumers', () => {
  it('leaves the live consumers, credentials and consumer plugins alone, and never reads them', async () => {
    expect((await runCli(['apply', '-f', full, ...addr()])).code).toBe(0);
    // Without the flag, a file without consumers would delete alice and what hangs off her.
    const plain = await runCli(['diff', '-f', servicesOnly, ...addr()]);
    expect(plain.stdout).toMatch(/Plan: 0 to add, 0 to change, 4 to destroy\./);

    const before = sim().log.length;
    const d = await runCli(['diff', '-f', servicesOnly, ...addr(), '--skip-consumers']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toContain('No changes.');
    const got = reads(before);
    expect(got).toContain('/plugins');
    for (const p of ['/consumers', '/key-auths', '/acls', '/basic-auths', '/jwts', '/hmac-auths', '/oauth2']) expect(got).not.toContain(p);

    const mark = sim().log.length;
    const a = await runCli(['apply', '-f', servicesOnly, ...addr(), '--skip-consumers', '--max-deletes', '1']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toContain('No changes.');
    expect(sim().store.count('consumers')).toBe(1);
    expect(sim().store.count('keyauth_credentials')).toBe(1);
    expect(sim().store.count('acls')).toBe(1);
    expect(sim().store.all('plugins').filter((p) => p.consumer !== null)).toHaveLength(1);
    expect(reads(mark)).not.toContain('/consumers');
  });

  it("validates the files' consumers, then leaves them out with a warning", async () => {
    const r = await runCli(['apply', '-f', full, ...addr(), '--skip-consumers']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: --skip-consumers: the files' 1 consumer, 1 keyauth credential, 1 acl, 1 plugin are left out of this run");
    expect(r.stdout).toMatch(/Plan: 3 to add, 0 to change, 0 to destroy\./);
    expect(sim().store.count('consumers')).toBe(0);
    sim().resetStats();
    const again = await runCli(['apply', '-f', full, ...addr(), '--skip-consumers']);
    expect(again.stdout).toContain('No changes.');
    expect(writes()).toBe(0);
    // Without the flag, the same file creates alice and what hangs off her.
    const plain = await runCli(['apply', '-f', full, ...addr()]);
    expect(plain.stdout).toMatch(/Plan: 4 to add, 0 to change, 0 to destroy\./);
    expect(sim().store.count('consumers')).toBe(1);

    const broken = write('broken.yaml', SERVICES + CONSUMERS.replace('- group: gold', '- tags: [gold]'));
    const b = await runCli(['apply', '-f', broken, ...addr(), '--skip-consumers']);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`${broken}:15:5: error: consumers[0].acls[0]: group: required field missing`);
  });

  it('dump leaves consumers and their plugins out, and the dump re-applies as a no-op with the flag', async () => {
    await runCli(['apply', '-f', full, ...addr()]);
    const out = path('dump.yaml');
    const r = await runCli(['dump', ...addr(), '--skip-consumers', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# consumers, their credentials and consumer-scoped plugins were not read (--skip-consumers):\n# apply this file with --skip-consumers too')).toBe(true);
    const doc = parse(text);
    expect(doc.consumers).toBeUndefined();
    expect(doc.services[0].plugins.map((p: { name: string }) => p.name)).toEqual(['key-auth']);
    expect(JSON.stringify(doc)).not.toContain('rate-limiting');
    sim().resetStats();
    const again = await runCli(['apply', '-f', out, ...addr(), '--skip-consumers']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes.');
    expect(writes()).toBe(0);
  });
});

const CA_CERTIFICATES = `ca_certificates:
- cert: |
    -----BEGIN CERTIFICATE-----
    MIIBkTCCATegAwIBAgIUKDx+Q7SPc/OvMh08qmewqJ9JEG4wCgYIKoZIzj0EAwIw
    HjEcMBoGA1UEAwwTRXhhbXBsZSBJbnRlcm5hbCBDQTAeFw0yNjExMjMyMTI2MjFa
    Fw0zNjExMjAyMTI2MjFaMB4xHDAaBgNVBAMME0V4YW1wbGUgSW50ZXJuYWwgQ0Ew
    WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT0kxR6R/gARZ++4EsWLl4ox6g5YEk6
    mksXNQOiStU4G7T1aBZC3+OxnaM1Yni3+k8xFu7zUM2dsQPKttTdXjwoo1MwUTAd
    BgNVHQ4EFgQU+qVD4zwTGegqlUaySP4NH4ngZwEwHwYDVR0jBBgwFoAU+qVD4zwT
    GegqlUaySP4NH4ngZwEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBF
    AiBCDtiCbUeXb+um36a5CTFDTV5A55b6T/the4w/Dc1yxwIhANmTRvBfUjMIc2Z+
    tEGZBEl0rnUn1ImgnrM1E7jFfaep
    -----END CERTIFICATE-----
`;

describe('--skip-ca-certificates', () => {
  it('leaves live CA certificates alone and never reads them; the files\' own are validated, then left out', async () => {
    const withCa = write('with-ca.yaml', SERVICES + CA_CERTIFICATES);
    expect((await runCli(['apply', '-f', withCa, ...addr()])).code).toBe(0);
    expect(sim().store.count('ca_certificates')).toBe(1);
    const plain = await runCli(['diff', '-f', servicesOnly, ...addr()]);
    expect(plain.stdout).toMatch(/^- ca_certificate /m);

    const before = sim().log.length;
    const a = await runCli(['apply', '-f', servicesOnly, ...addr(), '--skip-ca-certificates']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toContain('No changes.');
    expect(sim().store.count('ca_certificates')).toBe(1);
    expect(reads(before)).not.toContain('/ca_certificates');

    const other = write('other-ca.yaml', SERVICES + CA_CERTIFICATES.replace('tEGZBEl0rnUn1ImgnrM1E7jFfaep', 'tEGZBEl0rnUn1ImgnrM1E7jFfaeX'));
    const left = await runCli(['diff', '-f', other, ...addr(), '--skip-ca-certificates']);
    expect(left.code, left.stderr).toBe(0);
    expect(left.stderr).toContain("warning: --skip-ca-certificates: the files' 1 ca certificate are left out of this run");

    const out = path('dump-no-ca.yaml');
    expect((await runCli(['dump', ...addr(), '--skip-ca-certificates', '-o', out])).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# CA certificates were not read (--skip-ca-certificates):\n# apply this file with --skip-ca-certificates too')).toBe(true);
    expect(parse(text).ca_certificates).toBeUndefined();
  });
});

describe('--no-deletes', () => {
  it('creates and updates, keeps what the files do not name, and says how many it kept', async () => {
    expect((await runCli(['apply', '-f', full, ...addr()])).code).toBe(0);
    const d = await runCli(['diff', '-f', servicesOnly, ...addr(), '--no-deletes']);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(d.stdout).toBe('No changes.\n4 live entities the files do not name kept (--no-deletes).\n');
    const json = await runCli(['diff', '-f', servicesOnly, ...addr(), '--no-deletes', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ drift: false, kept_by_no_deletes: 4, summary: { add: 0, change: 0, destroy: 0 } });

    const moved = write('moved.yaml', SERVICES.replace('orders.internal:8080', 'orders.internal:9090') + 'upstreams:\n- name: orders-up\n');
    const a = await runCli(['apply', '-f', moved, ...addr(), '--no-deletes']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toMatch(/Plan: 1 to add, 1 to change, 0 to destroy\./);
    expect(a.stdout).toContain('4 live entities the files do not name kept (--no-deletes).');
    expect(sim().store.all('services')[0].port).toBe(9090);
    expect(sim().store.count('upstreams')).toBe(1);
    expect(sim().store.count('consumers')).toBe(1);
    expect(sim().store.count('keyauth_credentials')).toBe(1);
  });
  it('refuses, writing nothing, a create that would overwrite by id a live entity it keeps', async () => {
    // Live: alice with credential K, and carol. The files rename carol to alice and give K to
    // her: the full plan replaces alice, so K is deleted with her and created again under carol.
    // Without that delete, PUT /consumers/carol/key-auth/K would move and rewrite the kept K.
    const K = '4a0e0000-0000-4000-8000-00000000000a';
    const CAROL = '8a0e0000-0000-4000-8000-00000000000b';
    const live = write(
      'live.yaml',
      `_format_version: "3.0"\nconsumers:\n- username: alice\n  keyauth_credentials:\n  - id: ${K}\n    key: k-old\n- username: carol\n  id: ${CAROL}\n`,
    );
    expect((await runCli(['apply', '-f', live, ...addr()])).code).toBe(0);
    const renamed = write('renamed.yaml', `_format_version: "3.0"\nconsumers:\n- username: alice\n  id: ${CAROL}\n  keyauth_credentials:\n  - id: ${K}\n    key: k-new\n`);
    const before = JSON.stringify(sim().store.all('keyauth_credentials'));

    const d = await runCli(['diff', '-f', renamed, ...addr(), '--no-deletes']);
    expect(d.code, d.stdout + d.stderr).toBe(2);
    expect(d.stderr).toContain(`${renamed}:6:5: warning: consumers[0].keyauth_credentials[0]: apply --no-deletes refuses this plan: create key-auth credential of alice #4a0e0000 would overwrite the live key-auth credential of alice #4a0e0000 (id ${K}), which --no-deletes keeps`);
    // In JSON, and in the pull-request comment, as apply will print them.
    const json = JSON.parse((await runCli(['diff', '-f', renamed, ...addr(), '--no-deletes', '-o', 'json'])).stdout) as { refused_by_no_deletes: string[] };
    expect(json.refused_by_no_deletes).toHaveLength(2);
    expect(json.refused_by_no_deletes[1]).toMatch(new RegExp(`^${renamed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:5: error: consumers\\[0\\]\\.keyauth_credentials\\[0\\]: create key-auth credential of alice #4a0e0000 would overwrite`));
    const md = (await runCli(['diff', '-f', renamed, ...addr(), '--no-deletes', '-o', 'markdown'])).stdout;
    expect(md).toContain(`**\`kong-ctl apply --no-deletes\` refuses this plan:**\n\n\`\`\`\n${json.refused_by_no_deletes.join('\n')}\n\`\`\``);

    sim().resetStats();
    const a = await runCli(['apply', '-f', renamed, ...addr(), '--no-deletes']);
    expect(a.code, a.stdout + a.stderr).toBe(1);
    expect(a.stderr).toContain(`${renamed}:6:5: error: consumers[0].keyauth_credentials[0]: create key-auth credential of alice #4a0e0000 would overwrite`);
    // The rename itself would meet Kong's 409: the kept alice holds the username.
    expect(a.stderr).toContain(`${renamed}:3:3: error: consumers[0]: update consumer alice would take username "alice", which the live consumer alice holds and --no-deletes keeps: Kong would refuse it (409).`);
    expect(a.stderr).toContain('Nothing was written to Kong.');
    expect(writes()).toBe(0);
    expect(JSON.stringify(sim().store.all('keyauth_credentials'))).toBe(before);

    // The full apply replaces alice and K, as the files say.
    expect((await runCli(['apply', '-f', renamed, ...addr()])).code).toBe(0);
    expect(sim().store.all('keyauth_credentials')).toMatchObject([{ id: K, key: 'k-new', consumer: { id: CAROL } }]);
  });
  it('refuses, writing nothing, a file whose writes would meet a 409 from an entity it keeps, and hides a key it names', async () => {
    const live = write('live2.yaml', '_format_version: "3.0"\nservices:\n- name: orders\n  url: http://orders.internal\nconsumers:\n- username: alice\n  keyauth_credentials:\n  - key: k-secret\n');
    expect((await runCli(['apply', '-f', live, ...addr()])).code).toBe(0);
    // Alice comes back under a new id with her key, and a new service goes with them: the full
    // apply replaces alice; --no-deletes keeps her, and so her username and key.
    const again = write(
      'again.yaml',
      '_format_version: "3.0"\nservices:\n- name: billing\n  url: http://billing.internal\nconsumers:\n- username: alice\n  id: 8a0e0000-0000-4000-8000-0000000000a2\n  keyauth_credentials:\n  - key: k-secret\n',
    );
    expect((await runCli(['apply', '-f', again, ...addr(), '--dry-run'])).code).toBe(0);
    sim().resetStats();
    const a = await runCli(['apply', '-f', again, ...addr(), '--no-deletes']);
    expect(a.code, a.stdout + a.stderr).toBe(1);
    expect(a.stderr).toContain(`${again}:6:3: error: consumers[0]: create consumer alice would take username "alice", which the live consumer alice holds and --no-deletes keeps: Kong would refuse it (409).`);
    expect(a.stderr).toContain(`${again}:9:5: error: consumers[0].keyauth_credentials[0]: create key-auth credential of alice would take its key ([masked]), which the live key-auth credential of alice #`);
    expect(a.stderr).not.toContain('k-secret');
    expect(a.stderr).toContain('Nothing was written to Kong.');
    expect(writes()).toBe(0);
    expect(sim().store.count('services')).toBe(1);
    // Without --no-deletes the same file applies.
    expect((await runCli(['apply', '-f', again, ...addr()])).code).toBe(0);
  });
  it('refuses, writing nothing, what would meet a 409 from a kept entity in the same parent', async () => {
    // The files give a target, an ACL group and a global plugin new ids: the full apply replaces
    // each (delete, then create); --no-deletes keeps the old ones, which hold the place.
    const id = (n: number) => `5a0e0000-0000-4000-8000-00000000000${n}`;
    const gateway = (t: number, a: number, p: number) =>
      `_format_version: "3.0"\nupstreams:\n- name: up\n  targets:\n  - target: 10.0.0.1:80\n    id: ${id(t)}\nconsumers:\n- username: alice\n  acls:\n  - group: gold\n    id: ${id(a)}\nplugins:\n- name: cors\n  id: ${id(p)}\n`;
    expect((await runCli(['apply', '-f', write('live3.yaml', gateway(1, 2, 3)), ...addr()])).code).toBe(0);
    const again = write('again3.yaml', gateway(4, 5, 6));
    const before = JSON.stringify([sim().store.all('targets'), sim().store.all('acls'), sim().store.all('plugins')]);

    const d = await runCli(['diff', '-f', again, ...addr(), '--no-deletes']);
    expect(d.code, d.stdout + d.stderr).toBe(2);
    expect(d.stderr).toContain(`${again}:5:5: warning: upstreams[0].targets[0]: apply --no-deletes refuses this plan: create target 10.0.0.1:80 (upstream up) would take target "10.0.0.1:80" in the same upstream`);
    sim().resetStats();
    const a = await runCli(['apply', '-f', again, ...addr(), '--no-deletes']);
    expect(a.code, a.stdout + a.stderr).toBe(1);
    expect(a.stderr).toContain(`${again}:5:5: error: upstreams[0].targets[0]: create target 10.0.0.1:80 (upstream up) would take target "10.0.0.1:80" in the same upstream, which the live target 10.0.0.1:80 (upstream up) holds and --no-deletes keeps: Kong would rewrite that target instead of creating one.`);
    expect(a.stderr).toContain(`${again}:10:5: error: consumers[0].acls[0]: create acl gold (consumer alice) would take group "gold" of the same consumer, which the live acl gold (consumer alice) holds`);
    expect(a.stderr).toContain(`${again}:13:3: error: plugins[0]: create plugin cors (global) would take the place of a cors plugin at that scope (one per scope), which the live plugin cors (global) holds`);
    expect(a.stderr).toContain('Nothing was written to Kong.');
    expect(writes()).toBe(0);
    expect(JSON.stringify([sim().store.all('targets'), sim().store.all('acls'), sim().store.all('plugins')])).toBe(before);
    // Without --no-deletes the same file applies.
    expect((await runCli(['apply', '-f', again, ...addr()])).code).toBe(0);
    expect(sim().store.all('plugins').map((p) => p.id)).toEqual([id(6)]);
  });
});

describe('--no-deletes and a replacement', () => {
  it('refuses, writing nothing, a swap that only a delete and a create with the same id can make', async () => {
    // Two cors plugins swap scopes under their ids: the full plan deletes one and creates it
    // again (diff/replacements.ts); --no-deletes keeps it, and the create would be a PUT over it.
    const [P0, P1] = ['3a0e0000-0000-4000-8000-0000000000d0', '3a0e0000-0000-4000-8000-0000000000d1'];
    const doc = (x: string, y: string) =>
      `_format_version: "3.0"\nservices:\n- name: a\n  host: a.internal\n  plugins:\n  - id: ${x}\n    name: cors\n- name: b\n  host: b.internal\n  plugins:\n  - id: ${y}\n    name: cors\n`;
    sim().store.clear();
    expect((await runCli(['apply', '-f', write('swap-a.yaml', doc(P0, P1)), ...addr()])).code).toBe(0);
    const swapped = write('swap-b.yaml', doc(P1, P0));
    const before = JSON.stringify(sim().store.all('plugins'));
    sim().resetStats();
    const a = await runCli(['apply', '-f', swapped, ...addr(), '--no-deletes']);
    expect(a.code, a.stdout + a.stderr).toBe(1);
    expect(a.stderr).toMatch(/swap-b\.yaml:\d+:5: error: services\[\d\]\.plugins\[0\]: create plugin cors \(service [ab]\) would overwrite the live plugin cors \(service [ab]\) \(id 3a0e0000-0000-4000-8000-0000000000d[01]\), which --no-deletes keeps/);
    expect(a.stderr).toContain('Nothing was written to Kong.');
    expect(writes()).toBe(0);
    expect(JSON.stringify(sim().store.all('plugins'))).toBe(before);
  });
});

describe('warnings of valid files', () => {
  it('diff and apply print them on stderr, and keep JSON on stdout whole', async () => {
    const warned = write(
      'warned.yaml',
      `${SERVICES}consumers:\n- username: carol\n  oauth2_credentials:\n  - name: carol-app\n    client_id: carol-app\n    hash_secret: true\n`,
    );
    const d = await runCli(['diff', '-f', warned, ...addr(), '-o', 'json']);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('warning: consumers[0].oauth2_credentials[0]: hash_secret: with hash_secret and no client_secret');
    expect(() => JSON.parse(d.stdout)).not.toThrow();
    const a = await runCli(['apply', '-f', warned, ...addr()]);
    expect(a.code).toBe(0);
    expect(a.stderr.match(/with hash_secret and no client_secret/g)).toHaveLength(1);
  });
});

describe('diff -o markdown', () => {
  it('writes the pull-request comment a CI job posts, with the same exit codes as text', async () => {
    const d = await runCli(['diff', '-f', servicesOnly, ...addr(), '-o', 'markdown']);
    expect(d.code).toBe(2);
    expect(d.stdout).toMatch(/^### kong-ctl: 3 to add, 0 to change, 0 to destroy\n\nAgainst Kong 3\.4\.2 at http:\/\/127\.0\.0\.1:\d+\.\n\n```diff\n\+ service orders\n/);
    expect((await runCli(['apply', '-f', servicesOnly, ...addr()])).code).toBe(0);
    const clean = await runCli(['diff', '-f', servicesOnly, ...addr(), '-o', 'markdown']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^### kong-ctl: no changes\n/);
    // Invalid files: the comment says why there is no plan, offline and against the node alike.
    const bad = write('bad.yaml', SERVICES.replace('orders.internal:8080', 'orders.internal:eighty'));
    const invalid = await runCli(['diff', '-f', bad, ...addr(), '-o', 'markdown']);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe(
      `### kong-ctl: 1 problem in the files\n\nNothing was planned or sent to Kong.\n\n\`\`\`\n${bad}:4:8: error: services[0]: url: invalid url 'http://orders.internal:eighty': bad port 'eighty'\n\`\`\`\n`,
    );
    const unknown = await runCli(['diff', '-f', write('custom.yaml', `${SERVICES}  - name: acme-audit\n`), ...addr(), '-o', 'markdown']);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/^### kong-ctl: 1 problem in the files \(checked against Kong 3\.4\.2 at http:\/\/127\.0\.0\.1:\d+\)\n/);
    expect(unknown.stdout).toContain("plugin 'acme-audit' is not installed on this Kong 3.4.2");
    const refused = await runCli(['validate', '-f', servicesOnly, '-o', 'markdown']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("argument 'markdown' is invalid");
  });
});
