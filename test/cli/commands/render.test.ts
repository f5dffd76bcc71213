/**
 * `kong-ctl render`: the files as the one declarative configuration a DB-less Kong loads. It must
 * be the very document DB-less `apply` sends to `POST /config` (so a node started from the file
 * and a node applied to agree), and never leak an environment secret to stdout by default.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exchange } from '../kong/fixtures';
import { nockSession } from './nock-session';
import { runCli } from './run-cli';

const ADMIN = 'http://kong-admin.test:8001';
const EXAMPLE = join(__dirname, '..', '..', '..', 'kong', 'kong.yaml');
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const env = { DECK_WEBHOOK_SECRET: SECRET };

const session = nockSession('kong-ctl-render-');
const dir = () => session.dir();

describe('kong-ctl render', () => {
  it('writes exactly the document DB-less apply sends to POST /config, guards and secrets included', async () => {
    let sent: { config?: string } = {};
    nock(ADMIN)
      .get('/')
      .reply(200, exchange('001', '3.4.2-dbless').response.body)
      // The example selects tags: apply first checks that the node holds nothing else.
      .get('/config')
      .reply(200, { config: '_format_version: "3.0"\n' })
      .post('/config', (b) => ((sent = b), true))
      .query(true)
      .reply(201, exchange('010', '3.4.2-dbless').response.body);
    const applied = await runCli(['apply', '-f', EXAMPLE, '--kong-addr', ADMIN], { env });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const out = join(dir(), 'kong.yml');
    const r = await runCli(['render', '-f', EXAMPLE, '-o', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Wrote 13 entities (1 service, 3 routes, 1 consumer, 1 acl, 7 plugins) to ${out}`);
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('# Rendered by kong-ctl from ')).toBe(true);
    expect(parse(text)).toEqual(JSON.parse(String(sent.config)));
    // What kong-ctl adds to what the files say: the fail-closed guards, and the secret's value.
    expect(text).toContain('name: post-function');
    expect(text).toContain(SECRET);

    const asJson = join(dir(), 'kong.json');
    expect((await runCli(['render', '-f', EXAMPLE, '-o', asJson], { env })).code).toBe(0);
    expect(JSON.parse(readFileSync(asJson, 'utf8'))).toEqual(JSON.parse(String(sent.config)));
  });

  it('prints to stdout only when no environment value would leak, or with --no-mask', async () => {
    const refused = await runCli(['render', '-f', EXAMPLE], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('the rendered configuration holds 1 value(s) from the environment: write it to a file with -o FILE, or print it with --no-mask');
    const shown = await runCli(['render', '-f', EXAMPLE, '--no-mask'], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(parse(shown.stdout).plugins.find((p: { name: string }) => p.name === 'webhook-signature').config.secrets).toEqual([SECRET]);

    const plain = join(dir(), 'plain.yaml');
    writeFileSync(plain, '_format_version: "3.0"\nservices:\n- name: orders\n  url: http://orders.internal\n');
    const r = await runCli(['render', '-f', plain]);
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout)).toEqual({ _format_version: '3.0', services: [{ name: 'orders', host: 'orders.internal', port: 80, protocol: 'http' }] });
  });

  it('an invalid file is reported at file:line and no output file is written', async () => {
    const bad = join(dir(), 'bad.yaml');
    writeFileSync(bad, '_format_version: "3.0"\nservices:\n- name: orders\n  url: http://orders.internal\n  port: eighty\n');
    const out = join(dir(), 'never.yml');
    const r = await runCli(['render', '-f', bad, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:9: error: services[0]: port: expected an integer`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses files that look entities up in a live gateway: a DB-less config must hold all it names', async () => {
    const lookup = join(dir(), 'lookup.yaml');
    writeFileSync(lookup, '_format_version: "3.0"\n_info:\n  select_tags: [platform]\n  default_lookup_tags:\n    services: [team-a]\nplugins:\n- name: cors\n  service: users\n');
    const r = await runCli(['render', '-f', lookup, '-o', join(dir(), 'lookup.yml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('_info.default_lookup_tags cannot be rendered');
    expect(existsSync(join(dir(), 'lookup.yml'))).toBe(false);
  });
});
