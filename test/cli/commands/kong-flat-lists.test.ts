/**
 * Kong's own declarative format (a DB-less `kong.yml`, `GET /config`, `kong-ctl render`'s output)
 * lists targets, SNIs and credentials at the top, each naming its parent. kong-ctl reads them as
 * the same entities as decK's nested form, so one config in either form plans the same against
 * the Admin API simulator, and what `render` writes reads back: it validates, and diffs as "No
 * changes" against a node the original decK file was applied to.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const session = simSession('kong-ctl-flat-lists-');

const CERT = (parse(readFileSync(join(__dirname, '../../fixtures/files/kong.yaml'), 'utf8')) as { certificates: Array<{ cert: string; key: string }> })
  .certificates[0];
const CERT_ID = '5e3b7f34-8f3a-4c52-9d35-61c2f0a6b0a1';

/** decK's nested form: every kind that Kong's format may also list at the top. */
const NESTED = {
  _format_version: '3.0',
  services: [
    {
      name: 'orders',
      url: 'http://orders.internal:8080',
      routes: [{ name: 'orders-api', paths: ['/orders'], plugins: [{ name: 'rate-limiting', config: { minute: 10 } }] }],
      plugins: [{ name: 'key-auth' }],
    },
  ],
  upstreams: [{ name: 'up', targets: [{ target: '10.0.0.1:8000', weight: 50 }, { target: '10.0.0.2' }] }],
  certificates: [{ id: CERT_ID, cert: CERT.cert, key: CERT.key, snis: [{ name: 'api.example.com' }] }],
  consumers: [
    {
      username: 'alice',
      keyauth_credentials: [{ key: 'alice-key' }],
      basicauth_credentials: [{ username: 'alice-basic', password: 's3cret' }],
      hmacauth_credentials: [{ username: 'alice-hmac', secret: 'hmac-secret' }],
      jwt_secrets: [{ key: 'alice-iss', secret: 'jwt-secret' }],
      acls: [{ group: 'admins' }],
      oauth2_credentials: [{ name: 'alice-app', client_id: 'alice-client', client_secret: 'alice-secret', redirect_uris: ['https://example.com/cb'] }],
    },
  ],
};

/** The same config with every child at the top naming its parent, as Kong's format has it. */
function flat(): Record<string, unknown> {
  const doc = structuredClone(NESTED) as Record<string, any>;
  doc.targets = doc.upstreams[0].targets.map((t: object) => ({ upstream: 'up', ...t }));
  delete doc.upstreams[0].targets;
  doc.snis = doc.certificates[0].snis.map((s: object) => ({ ...s, certificate: CERT_ID }));
  delete doc.certificates[0].snis;
  const consumer = doc.consumers[0];
  for (const key of ['keyauth_credentials', 'basicauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'acls', 'oauth2_credentials']) {
    doc[key] = consumer[key].map((c: object) => ({ consumer: 'alice', ...c }));
    delete consumer[key];
  }
  return doc;
}

async function planJson(file: string) {
  const r = await runCli(['diff', '-f', file, '-o', 'json', ...session.addr()]);
  expect(r.code, r.stderr + r.stdout).toBe(2);
  return JSON.parse(r.stdout) as { digest: string; summary: unknown; changes: Array<{ op: string; key: string }> };
}

/**
 * NESTED with an id on every entity render would give one (all but certificates, which have
 * theirs, and services, routes, upstreams and SNIs, which their name identifies). render names
 * an entity the files give no id by a uuid of its key (apply/declarative.ts), while apply creates
 * it with a fresh one: against a node applied from an id-less file, the render's ids would not be
 * the live ones, and a diff of the render would replace every such entity (render's ids, not the
 * top-level lists, which are what this file tests).
 */
function withIds(): Record<string, unknown> {
  const doc = structuredClone(NESTED) as Record<string, any>;
  let n = 0;
  const id = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const give = (list: Array<Record<string, unknown>> | undefined) => list?.forEach((e) => (e.id = id()));
  give(doc.services[0].plugins);
  give(doc.services[0].routes[0].plugins);
  give(doc.upstreams[0].targets);
  give(doc.consumers);
  for (const key of ['keyauth_credentials', 'basicauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'acls', 'oauth2_credentials']) give(doc.consumers[0][key]);
  return doc;
}

describe("Kong's top-level lists of targets, SNIs and credentials", () => {
  it('plan exactly as the nested form does, and apply to the same node', async () => {
    const nested = session.write('nested.yaml', stringify(NESTED));
    const flatFile = session.write('flat.yaml', stringify(flat()));
    const a = await planJson(nested);
    const b = await planJson(flatFile);
    expect(b.summary).toEqual({ add: 16, change: 0, destroy: 0 });
    expect(b.changes.map((c) => `${c.op} ${c.key}`)).toEqual(a.changes.map((c) => `${c.op} ${c.key}`));
    // The digest covers what the plan would do, values included, not where the files say it.
    expect(b.digest).toBe(a.digest);

    const applied = await runCli(['apply', '-f', nested, ...session.addr()]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    await session.expectApplyWritesNothing(flatFile);
  });

  it("read back what render writes: it validates, and diffs as No changes where the original was applied", async () => {
    const original = session.write('deck.yaml', stringify(withIds()));
    const rendered = session.path('kong.yml');
    const r = await runCli(['render', '-f', original, '-o', rendered]);
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(readFileSync(rendered, 'utf8')) as Record<string, unknown[]>;
    // Kong's form indeed: the children at the top.
    for (const key of ['targets', 'snis', 'keyauth_credentials', 'basicauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'acls', 'oauth2_credentials'])
      expect(doc[key], key).toHaveLength(key === 'targets' ? 2 : 1);

    const validated = await runCli(['validate', '-f', rendered]);
    expect(validated.code, validated.stderr + validated.stdout).toBe(0);
    expect(validated.stdout + validated.stderr).toContain('Valid: 16 entities');

    const applied = await runCli(['apply', '-f', original, ...session.addr()]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    const diff = await runCli(['diff', '-f', rendered, ...session.addr()]);
    expect(diff.code, diff.stderr + diff.stdout).toBe(0);
    expect(diff.stdout).toContain('No changes.');
    await session.expectApplyWritesNothing(rendered);
  });

  it('refuse a top-level entry naming a parent no file holds, at its file:line:column, before any write', async () => {
    const doc = flat();
    (doc.targets as Array<Record<string, unknown>>)[1].upstream = 'upp';
    const file = session.write('bad.yaml', stringify(doc));
    const line = stringify(doc).split('\n').findIndex((l) => l.includes('upstream: upp')) + 1;
    const r = await runCli(['apply', '-f', file, ...session.addr()]);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain(`${file}:${line}:15: error: targets[1]: upstream: unknown upstream 'upp'`);
    expect(session.writes()).toBe(0);
  });
});
