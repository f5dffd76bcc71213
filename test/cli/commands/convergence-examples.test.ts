/**
 * Plain examples of what the convergence properties (convergence*.property.test.ts) found,
 * against the simulator: each applies one file, then another, and expects the second to be
 * what Kong holds afterwards, with nothing left to plan.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { sim, addr, write } = simSession('kong-ctl-convergence-examples-');
const pem = (f: string) => readFileSync(join(__dirname, '..', '..', 'fixtures', 'cert-pairs', f), 'utf8');
const indent = (text: string) => text.replace(/^/gm, '    ').replace(/ +$/, '');

async function applyThenConverge(first: string, second: string) {
  const a = write('a.yaml', first);
  const b = write('b.yaml', second);
  const ra = await runCli(['apply', '-f', a, ...addr()]);
  expect(ra.code, ra.stdout + ra.stderr).toBe(0);
  sim().resetStats();
  const rb = await runCli(['apply', '-f', b, ...addr()]);
  expect(rb.code, rb.stdout + rb.stderr).toBe(0);
  const writes = sim().log.filter((l) => l.method !== 'GET');
  const d = await runCli(['diff', '-f', b, ...addr()]);
  expect(d.code, d.stdout + d.stderr).toBe(0);
  return { stdout: rb.stdout, writes };
}

describe('convergence examples', () => {
  it('a plugin config field the file drops is cleared in Kong (PATCH merges records, so it is sent as null)', async () => {
    await applyThenConverge(
      `_format_version: "3.0"\nplugins:\n- name: cors\n  config:\n    max_age: 1\n    origins: [https://a.example]\n`,
      `_format_version: "3.0"\nplugins:\n- name: cors\n`,
    );
    const config = sim().store.all('plugins')[0].config as Record<string, unknown>;
    expect(config.max_age).toBeNull();
    expect(config.origins).toBeNull();
  });

  it('a plugin whose id the file gives to a plugin of another name is replaced whole (PUT), not merged into (PATCH)', async () => {
    // A PATCH would merge the live rate-limiting config into cors's, which Kong refuses (400).
    const id = '3a0e0000-0000-4000-8000-0000000000f0';
    const { writes } = await applyThenConverge(
      `_format_version: "3.0"\nplugins:\n- id: ${id}\n  name: rate-limiting\n  config:\n    minute: 5\n    policy: local\n`,
      `_format_version: "3.0"\nplugins:\n- id: ${id}\n  name: cors\n  config:\n    max_age: 7\n`,
    );
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual([`PUT /plugins/${id}`]);
    expect(sim().store.all('plugins')).toMatchObject([{ id, name: 'cors', config: { max_age: 7 } }]);
    expect((sim().store.all('plugins')[0].config as Record<string, unknown>).minute).toBeUndefined();
  });

  it('an ACL group given a new id under a consumer renamed under its id: the old one goes first (one value to Kong)', async () => {
    const carol = '8a0e0000-0000-4000-8000-00000000000b';
    const { writes } = await applyThenConverge(
      `_format_version: "3.0"\nconsumers:\n- username: carol\n  id: ${carol}\n  acls:\n  - group: gold\n    id: 2c0e0000-0000-4000-8000-000000000000\n`,
      `_format_version: "3.0"\nconsumers:\n- username: alice\n  id: ${carol}\n  acls:\n  - group: gold\n    id: 2c0e0000-0000-4000-8000-000000000001\n`,
    );
    const order = writes.map((w) => `${w.method} ${w.path}`);
    expect(order.indexOf(`DELETE /consumers/${carol}/acls/2c0e0000-0000-4000-8000-000000000000`)).toBeLessThan(order.indexOf(`PUT /consumers/${carol}/acls/2c0e0000-0000-4000-8000-000000000001`));
    expect(sim().store.all('acls')).toMatchObject([{ id: '2c0e0000-0000-4000-8000-000000000001', group: 'gold', consumer: { id: carol } }]);
  });

  it('two plugins swapping scopes under their ids: one is deleted and created again with its id, as the plan says', async () => {
    // Each PATCH would claim the scope the other holds until it has moved: Kong's 409 either way.
    const [P0, P1] = ['3a0e0000-0000-4000-8000-0000000000e0', '3a0e0000-0000-4000-8000-0000000000e1'];
    const doc = (x: string, y: string) =>
      `_format_version: "3.0"\nservices:\n- name: a\n  host: a.internal\n  plugins:\n  - id: ${x}\n    name: cors\n    config:\n      max_age: ${x === P0 ? 1 : 2}\n` +
      `- name: b\n  host: b.internal\n  plugins:\n  - id: ${y}\n    name: cors\n    config:\n      max_age: ${y === P0 ? 1 : 2}\n`;
    const { writes, stdout } = await applyThenConverge(doc(P0, P1), doc(P1, P0));
    expect(stdout).toMatch(/Plan: 1 to add, 1 to change, 1 to destroy\./);
    expect(stdout).toMatch(/\(replaced: created again with its id 3a0e0000-0000-4000-8000-0000000000e[01]: the update of plugin cors \(service [ab]\)/);
    expect(writes.map((w) => w.method)).toEqual(['DELETE', 'PATCH', 'PUT']);
    const [deleted, , created] = writes;
    expect(created.path).toBe(deleted.path);
    const byId = Object.fromEntries(sim().store.all('plugins').map((p) => [p.id, [(p.service as { id: string }).id, (p.config as { max_age: number }).max_age]]));
    const svc = Object.fromEntries(sim().store.all('services').map((s) => [s.name, s.id]));
    expect(byId).toEqual({ [P0]: [svc.b, 1], [P1]: [svc.a, 2] });
  });

  it('targets, ACL groups, keys and SNIs swapping what Kong keeps unique under their ids converge the same way', async () => {
    const [X0, X1] = ['1b0e0000-0000-4000-8000-0000000000e0', '1b0e0000-0000-4000-8000-0000000000e1'];
    const jwk = (kid: string) => `'{"kty":"OKP","crv":"Ed25519","kid":"${kid}","x":"CsyTNEusLUQxTwQo14c_T3EpgpPN6DB3hhK3GW2_flU"}'`;
    const docs: Array<[string, (x: string, y: string) => string]> = [
      ['targets', (x, y) => `_format_version: "3.0"\nupstreams:\n- name: up-a\n  targets:\n  - target: 10.0.0.1:80\n    id: ${x}\n- name: up-b\n  targets:\n  - target: 10.0.0.1:80\n    id: ${y}\n`],
      ['acls', (x, y) => `_format_version: "3.0"\nconsumers:\n- username: alice\n  acls:\n  - group: gold\n    id: ${x}\n- username: bob\n  acls:\n  - group: gold\n    id: ${y}\n`],
      ['keys', (x, y) => `_format_version: "3.0"\nkeys:\n- id: ${x}\n  kid: k1\n  jwk: ${jwk('k1')}\n- id: ${y}\n  kid: k2\n  jwk: ${jwk('k2')}\n`],
      ['snis', (x, y) => `_format_version: "3.0"\ncertificates:\n- id: 0b3c4c6e-1f0a-4d8e-9a51-5a2c1e7f0001\n  cert: |\n${indent(pem('rsa.crt'))}  key: |\n${indent(pem('rsa.key'))}  snis:\n  - name: a.example.com\n    id: ${x}\n  - name: b.example.com\n    id: ${y}\n`],
    ];
    for (const [table, doc] of docs) {
      sim().store.clear();
      const { writes } = await applyThenConverge(doc(X0, X1), doc(X1, X0));
      expect(writes.map((w) => w.method).sort(), table).toEqual(['DELETE', table === 'targets' ? 'POST' : 'PUT', 'PATCH'].sort());
      expect(sim().store.all(table).map((e) => e.id).sort(), table).toEqual([X0, X1]);
    }
  });

  it('two upstreams, and two vaults, swapping names under their ids: one name is set aside for the moment', async () => {
    const [U0, U1] = ['6a0e0000-0000-4000-8000-0000000000e0', '6a0e0000-0000-4000-8000-0000000000e1'];
    const ups = (x: string, y: string) =>
      `_format_version: "3.0"\nservices:\n- name: orders\n  host: orders-blue\nupstreams:\n- id: ${x}\n  name: orders-blue\n  targets:\n  - target: 10.0.0.1:80\n- id: ${y}\n  name: orders-green\n  targets:\n  - target: 10.0.0.2:80\n`;
    const upstreams = await applyThenConverge(ups(U0, U1), ups(U1, U0));
    // The targets go with the names (the file nests them under the name): created in the other
    // upstream, and deleted from their own last, so no upstream is ever left without a target.
    expect(upstreams.writes.map((w) => w.method).slice(-2)).toEqual(['DELETE', 'DELETE']);
    expect(upstreams.writes.filter((w) => w.method === 'POST')).toHaveLength(2);
    const renames = upstreams.writes.filter((w) => w.method === 'PATCH');
    expect(renames).toHaveLength(3);
    expect(renames[0].body).toMatch(/"name":"orders-(blue|green)-kong-ctl-[0-9a-f]{8}"/);
    expect(sim().store.all('upstreams').map((u) => [u.id, u.name]).sort()).toEqual([
      [U0, 'orders-green'],
      [U1, 'orders-blue'],
    ]);
    sim().store.clear();
    const vaults = (x: string, y: string) =>
      `_format_version: "3.0"\nvaults:\n- id: ${x}\n  name: env\n  prefix: env-a\n  config:\n    prefix: A_\n- id: ${y}\n  name: env\n  prefix: env-b\n  config:\n    prefix: B_\n`;
    const swapped = await applyThenConverge(vaults(U0, U1), vaults(U1, U0));
    expect(swapped.writes.map((w) => w.method)).toEqual(['PATCH', 'PATCH', 'PATCH']);
    expect(swapped.writes[0].body).toMatch(/"prefix":"env-[ab]-kong-ctl-[0-9a-f]{8}"/);
  });

  it('two CA certificates swapping contents under their ids, a service naming both: one content is set aside for the moment', async () => {
    // Kong keeps a CA certificate's digest unique, and a service names its CAs by id, so that
    // neither can be deleted while it does (Kong >= 3.5): the content is what moves aside, to a
    // CA certificate made for the moment.
    const [C0, C1] = ['6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f1'];
    const [rsa, ec] = [pem('rsa.crt'), pem('ec.crt')];
    const doc = (x: string, y: string) =>
      `_format_version: "3.0"\nservices:\n- name: billing\n  url: https://billing.internal\n  ca_certificates: [${C0}, ${C1}]\nca_certificates:\n- id: ${C0}\n  cert: |\n${indent(x)}\n- id: ${C1}\n  cert: |\n${indent(y)}\n`;
    const swapped = await applyThenConverge(doc(rsa, ec), doc(ec, rsa));
    expect(swapped.writes.map((w) => `${w.method} ${w.path}`)).toHaveLength(3);
    expect(swapped.writes.every((w) => w.method === 'PATCH')).toBe(true);
    const standIn = JSON.parse(swapped.writes[0].body!).cert as string;
    expect(standIn).not.toBe(rsa);
    expect(standIn).not.toBe(ec);
    const cert = new X509Certificate(standIn);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toMatch(/kong-ctl/);
    expect(sim().store.all('ca_certificates').map((c) => [c.id, c.cert]).sort()).toEqual([
      [C0, ec],
      [C1, rsa],
    ]);
  });

  it('a CA certificate moved to another id, the service naming it following: the old id goes once no service names it', async () => {
    // The new id claims the content's digest, which the old one holds until it is deleted, and
    // Kong (>= 3.5) refuses that delete while the service still names the old id.
    const [C0, C1] = ['6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f2', '6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f3'];
    const rsa = pem('rsa.crt');
    const doc = (id: string) => `_format_version: "3.0"\nservices:\n- name: billing\n  url: https://billing.internal\n  ca_certificates: [${id}]\nca_certificates:\n- id: ${id}\n  cert: |\n${indent(rsa)}\n`;
    const moved = await applyThenConverge(doc(C0), doc(C1));
    expect(sim().store.all('ca_certificates').map((c) => c.id)).toEqual([C1]);
    expect(sim().store.all('services')[0].ca_certificates).toEqual([C1]);
    const at = (method: string, path: string) => moved.writes.findIndex((w) => w.method === method && w.path === path);
    expect(at('DELETE', `/ca_certificates/${C0}`)).toBeGreaterThan(at('PATCH', `/services/${String(sim().store.all('services')[0].id)}`));
  });

  it('targets with ids nested under two upstreams that swap names: each moves to the other upstream, one by a replacement', async () => {
    // By keys each target stays under its name; to Kong, under the other id: a cycle of (upstream, target).
    const [U0, U1, T0, T1] = ['6a0e0000-0000-4000-8000-0000000000f0', '6a0e0000-0000-4000-8000-0000000000f1', '1b0e0000-0000-4000-8000-0000000000f0', '1b0e0000-0000-4000-8000-0000000000f1'];
    const doc = (x: string, y: string) =>
      `_format_version: "3.0"\nupstreams:\n- id: ${x}\n  name: orders-blue\n  targets:\n  - target: 10.0.0.1:80\n    id: ${T0}\n- id: ${y}\n  name: orders-green\n  targets:\n  - target: 10.0.0.1:80\n    id: ${T1}\n`;
    const { stdout } = await applyThenConverge(doc(U0, U1), doc(U1, U0));
    expect(stdout).toMatch(/Plan: 1 to add, 3 to change, 1 to destroy\./);
    const upstreamOf = Object.fromEntries(sim().store.all('targets').map((t) => [t.id, (t.upstream as { id: string }).id]));
    expect(upstreamOf).toEqual({ [T0]: U1, [T1]: U0 });
  });

  it('a nested record field the file drops is cleared too (upstream healthchecks)', async () => {
    await applyThenConverge(
      `_format_version: "3.0"\nupstreams:\n- name: up\n  healthchecks:\n    active:\n      https_sni: a.example.com\n`,
      `_format_version: "3.0"\nupstreams:\n- name: up\n`,
    );
    const up = sim().store.all('upstreams')[0] as { healthchecks: { active: Record<string, unknown> } };
    expect(up.healthchecks.active.https_sni).toBeNull();
  });

  it('a credential moved to another consumer is not sent twice when the answer is lost: the repeat would meet a 404', async () => {
    const a = write('a.yaml', `_format_version: "3.0"\nconsumers:\n- username: alice\n  hmacauth_credentials:\n  - username: hmac-2\n    secret: s\n- username: bob\n`);
    const b = write('b.yaml', `_format_version: "3.0"\nconsumers:\n- username: alice\n- username: bob\n  hmacauth_credentials:\n  - username: hmac-2\n    secret: s\n`);
    expect((await runCli(['apply', '-f', a, ...addr()])).code).toBe(0);
    // The move reaches Kong and is made, then a balancer in front loses the answer (502).
    let calls = 0;
    sim().setFaults({ rate: 0.5, faults: ['502-after'], methods: ['PATCH'], random: () => (calls++ < 2 ? 0 : 0.9) });
    sim().resetStats();
    const moved = await runCli(['apply', '-f', b, ...addr()]);
    sim().setFaults(null);
    const patches = sim().log.filter((l) => l.method === 'PATCH');
    expect(patches, moved.stdout).toHaveLength(1);
    expect(moved.code).toBe(1);
    expect(moved.stdout).toMatch(/update hmac-auth credential hmac-2 \(consumer bob\) failed \(502\)/);
    // It was made: the second apply has nothing left to do.
    const again = await runCli(['apply', '-f', b, ...addr()]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await runCli(['diff', '-f', b, ...addr()])).code).toBe(0);
  });

  // Unique values whose release and claim form a cycle: no order of the plan's writes avoids
  // Kong's 409, so apply sets one value aside first (apply/temporary-release.ts).
  it('a custom_id passed on to a new consumer, freed by an update that waits for a delete that waits for a credential moving to that new consumer, converges', async () => {
    await applyThenConverge(
      `_format_version: "3.0"\nconsumers:\n- username: alice\n  custom_id: cid-2\n- username: carol\n  custom_id: cid-1\n  acls:\n  - group: gold\n  oauth2_credentials:\n  - name: app\n    client_id: client-2\n    client_secret: s\n    redirect_uris: [https://a.example/cb]\n`,
      `_format_version: "3.0"\nconsumers:\n- username: alice\n  custom_id: cid-1\n- username: bob\n  custom_id: cid-2\n  oauth2_credentials:\n  - name: app\n    client_id: client-2\n    client_secret: s\n    redirect_uris: [https://a.example/cb]\n`,
    );
  });

  it('a custom_id handed from a consumer that is deleted to a new one, the delete waiting for a credential moving to the new one, converges', async () => {
    // The new consumer's id differs from the live one's, so the live one is deleted, and Kong
    // would delete its credential with it: the delete waits for the credential's move, the move
    // for the new consumer, the new consumer for the custom_id the delete frees.
    const applied = await applyThenConverge(
      `_format_version: "3.0"\nconsumers:\n- username: alice\n  custom_id: cid-1\n  keyauth_credentials:\n  - key: key-1\n`,
      `_format_version: "3.0"\nconsumers:\n- id: 5a0e0000-0000-4000-8000-0000000000e1\n  username: carol\n  custom_id: cid-1\n  keyauth_credentials:\n  - key: key-1\n`,
    );
    expect(applied.stdout).toMatch(/Apply: 3 done, 0 failed, 0 not attempted\./);
    const [carol] = sim().store.all('consumers');
    expect(sim().store.all('consumers')).toHaveLength(1);
    expect([carol.id, carol.username, carol.custom_id]).toEqual(['5a0e0000-0000-4000-8000-0000000000e1', 'carol', 'cid-1']);
    expect((sim().store.all('keyauth_credentials')[0].consumer as { id: string }).id).toBe(carol.id);
    // The set-aside, then the create, the move and the delete.
    expect(applied.writes.map((w) => w.method)).toEqual(['PATCH', 'PUT', 'PATCH', 'DELETE']);
    expect(applied.writes[0].body).toMatch(/"custom_id":"cid-1-kong-ctl-[0-9a-f]{8}"/);
  });

  it('two services swapping their names (kept ids) converge', async () => {
    const applied = await applyThenConverge(
      `_format_version: "3.0"\nservices:\n- id: 5a0e0000-0000-4000-8000-00000000000a\n  name: one\n  host: a.internal\n- id: 5a0e0000-0000-4000-8000-00000000000b\n  name: two\n  host: b.internal\n`,
      `_format_version: "3.0"\nservices:\n- id: 5a0e0000-0000-4000-8000-00000000000a\n  name: two\n  host: a.internal\n- id: 5a0e0000-0000-4000-8000-00000000000b\n  name: one\n  host: b.internal\n`,
    );
    // One set-aside, then the two renames: three PATCHes, the plan's two changes reported done.
    const names = applied.writes.map((w) => `${w.path.slice(-1)}:${(JSON.parse(w.body!) as { name: string }).name}`);
    expect(applied.writes.every((w) => w.method === 'PATCH')).toBe(true);
    expect(names).toHaveLength(3);
    const [aside, ...rest] = names;
    expect(aside).toMatch(/^(a:one|b:two)-kong-ctl-[0-9a-f]{8}$/);
    expect(rest).toEqual(aside!.startsWith('a') ? ['b:one', 'a:two'] : ['a:two', 'b:one']);
    expect(applied.stdout).toMatch(/Apply: 2 done, 0 failed, 0 not attempted\./);
    expect(sim().store.all('services').map((s) => [s.id, s.name]).sort()).toEqual([
      ['5a0e0000-0000-4000-8000-00000000000a', 'two'],
      ['5a0e0000-0000-4000-8000-00000000000b', 'one'],
    ]);
  });

  it('a swap of names leaves every reference where the file puts it (a new route on each swapped service)', async () => {
    await applyThenConverge(
      `_format_version: "3.0"\nservices:\n- id: 5a0e0000-0000-4000-8000-0000000000d1\n  name: one\n  host: a.internal\n- id: 5a0e0000-0000-4000-8000-0000000000d2\n  name: two\n  host: b.internal\n`,
      `_format_version: "3.0"\nservices:\n- id: 5a0e0000-0000-4000-8000-0000000000d1\n  name: two\n  host: a.internal\n  routes:\n  - name: to-d1\n    paths: [/d1]\n- id: 5a0e0000-0000-4000-8000-0000000000d2\n  name: one\n  host: b.internal\n  routes:\n  - name: to-d2\n    paths: [/d2]\n`,
    );
    const routes = sim().store.all('routes') as Array<{ name: string; service: { id: string } }>;
    expect(routes.map((r) => [r.name, r.service.id]).sort()).toEqual([
      ['to-d1', '5a0e0000-0000-4000-8000-0000000000d1'],
      ['to-d2', '5a0e0000-0000-4000-8000-0000000000d2'],
    ]);
  });

  it('a set-aside that fails is reported, its entity is not attempted, and the next apply converges', async () => {
    const one = `_format_version: "3.0"\nconsumers:\n- id: 5a0e0000-0000-4000-8000-0000000000c1\n  username: x\n- id: 5a0e0000-0000-4000-8000-0000000000c2\n  username: y\n`;
    const swapped = `_format_version: "3.0"\nconsumers:\n- id: 5a0e0000-0000-4000-8000-0000000000c1\n  username: y\n- id: 5a0e0000-0000-4000-8000-0000000000c2\n  username: x\n`;
    expect((await runCli(['apply', '-f', write('c1.yaml', one), ...addr()])).code).toBe(0);
    // Kong's 500 (nothing written) for every attempt of the set-aside, and only for it.
    sim().setFaults({ rate: 0.5, faults: ['500'], methods: ['PATCH'], random: (r) => (r.body.includes('-kong-ctl-') ? 0 : 0.99) });
    const failed = await runCli(['apply', '-f', write('c2.yaml', swapped), ...addr()]);
    sim().setFaults(null);
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/update consumer (x|y) \(username set aside for the hand-over\) failed \(500\)/);
    expect(failed.stdout).toMatch(/Apply: 0 done, 1 failed, 2 not attempted\./);
    expect((await runCli(['apply', '-f', write('c2.yaml', swapped), ...addr()])).code).toBe(0);
    expect((await runCli(['diff', '-f', write('c2.yaml', swapped), ...addr()])).code).toBe(0);
  });

  it('a set-aside of a credential whose consumer swaps names with another is retried like any PATCH: it moves nothing', async () => {
    // The set-aside names the consumer by its live name, which the swap gives the other consumer.
    const [B, C, K1, K2] = ['8a0e0000-0000-4000-8000-00000000000b', '8a0e0000-0000-4000-8000-00000000000c', '4a0e0000-0000-4000-8000-00000000000a', '4a0e0000-0000-4000-8000-00000000000b'];
    const consumers = (b: string, c: string, k1: string, k2: string) =>
      `_format_version: "3.0"\nconsumers:\n- username: ${b}\n  id: ${B}\n  keyauth_credentials:\n  - id: ${K1}\n    key: ${k1}\n  - id: ${K2}\n    key: ${k2}\n- username: ${c}\n  id: ${C}\n`;
    expect((await runCli(['apply', '-f', write('k1.yaml', consumers('bob', 'carol', 'key-1', 'key-2')), ...addr()])).code).toBe(0);
    // A 503 (nothing written) for the first attempt of each credential write.
    const seen = new Set<string>();
    sim().setFaults({ rate: 0.5, faults: ['503'], methods: ['PATCH'], random: (r) => (r.path.includes('/key-auth/') && !seen.has(r.body) && seen.add(r.body) ? 0 : 0.99) });
    sim().resetStats();
    const swapped = write('k2.yaml', consumers('carol', 'bob', 'key-2', 'key-1'));
    const r = await runCli(['apply', '-f', swapped, ...addr()]);
    sim().setFaults(null);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(sim().faults.length).toBeGreaterThan(0);
    const setAside = sim().log.filter((l) => l.method === 'PATCH' && l.path.includes('/key-auth/') && l.body?.includes('-kong-ctl-'));
    expect(setAside).toHaveLength(2);
    expect((await runCli(['diff', '-f', swapped, ...addr()])).code).toBe(0);
  });
});
