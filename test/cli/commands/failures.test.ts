/**
 * What a user sees when things go wrong, at the command level: one clear error that says what
 * and where, exit code 1, the JSON error object with --output json, and no write to Kong.
 * Admin API answers are the recorded Kong 3.4.2 bodies.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import nock from 'nock';
import { beforeAll, describe, expect, it } from 'vitest';
import { nockSession } from './nock-session';
import { runCli } from './run-cli';

const ADMIN = 'http://kong-admin.test:8001';
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'kong-admin');
function fixture(dir: string, name: string): { request: { body: unknown }; response: { status: number; body: unknown } } {
  return JSON.parse(readFileSync(join(FIXTURES, dir, name), 'utf8'));
}

const FILE = `_format_version: "3.0"
services:
- name: orders
  host: orders.internal
  routes:
  - name: orders-api
    paths: [/orders]
`;

const session = nockSession('kong-ctl-fail-');
let dir: string;
let file: string;
beforeAll(() => {
  dir = session.dir();
  file = session.write('kong.yaml', FILE);
});

describe('Admin API failures', () => {
  it('401 from the Admin API: exit 1 and a hint about the admin token', async () => {
    nock(ADMIN).get('/').reply(401, { message: 'Invalid authentication credentials' });
    const r = await runCli(['diff', '-f', file, '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kong-ctl: error: .*401.*Kong-Admin-Token/m);
  });

  it('403 with --output json: the error as JSON on stdout, same exit code', async () => {
    nock(ADMIN).get('/').reply(403, { message: 'Forbidden' });
    const r = await runCli(['diff', '-f', file, '--kong-addr', ADMIN, '--output', 'json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ format_version: 1, error: { code: 'E_KONG_AUTH' } });
  });

  it('unreachable Kong: exit 1, names the address', async () => {
    nock.enableNetConnect('127.0.0.1');
    try {
      const r = await runCli(['ping', '--kong-addr', 'http://127.0.0.1:9', '--timeout', '2']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot reach Kong Admin API at http:\/\/127\.0\.0\.1:9/);
    } finally {
      nock.disableNetConnect();
    }
  });

  it('sends the --header given for every request', async () => {
    nock(ADMIN, { reqheaders: { 'kong-admin-token': 't0ken' } })
      .get('/')
      .reply(200, fixture('3.4.2-postgres', '001_GET_root.json').response.body as nock.Body);
    const r = await runCli(['ping', '--kong-addr', ADMIN, '--header', 'Kong-Admin-Token: t0ken']);
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('DB-less Kong', () => {
  const root = () => fixture('3.4.2-dbless', '001_GET_root.json').response.body as nock.Body;
  /** What the node holds, which apply reads for the deletion guard (fixture 016). */
  const held = () => fixture('3.4.2-dbless', '016_GET_config-get.json').response.body as nock.Body;

  it('apply sends the whole config once, as text, with check_hash; 201 applies it', async () => {
    let sent: { config?: unknown } = {};
    nock(ADMIN)
      .get('/').reply(200, root())
      .get('/config').reply(200, held())
      .post('/config', (b) => ((sent = b), true))
      .query({ check_hash: '1', flatten_errors: '1' })
      .reply(201, fixture('3.4.2-dbless', '010_POST_config-string-field-first.json').response.body as nock.Body);
    const r = await runCli(['apply', '-f', file, '--kong-addr', ADMIN]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(typeof sent.config).toBe('string');
    expect(String(sent.config)).toContain('orders-api');
  });

  it('--no-deletes is refused before any write: POST /config replaces everything', async () => {
    nock(ADMIN).get('/').reply(200, root());
    const r = await runCli(['apply', '-f', file, '--kong-addr', ADMIN, '--no-deletes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--no-deletes cannot work on a DB-less node: its one write, POST /config, replaces the whole configuration.');
    expect(nock.isDone()).toBe(true);
  });

  it('_info.default_lookup_tags are refused before any write: the files must hold everything they name', async () => {
    nock(ADMIN).get('/').reply(200, root());
    const lookup = join(dir, 'lookup.yaml');
    writeFileSync(lookup, `_format_version: "3.0"\n_info:\n  select_tags: [platform]\n  default_lookup_tags:\n    services: [team-a]\nplugins:\n- name: cors\n  service: users\n`);
    const r = await runCli(['apply', '-f', lookup, '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('_info.default_lookup_tags cannot work on a DB-less node');
    expect(nock.isDone()).toBe(true);
  });

  it('a 304 is "No changes"', async () => {
    nock(ADMIN).get('/').reply(200, root()).get('/config').reply(200, held()).post('/config').query(true).reply(304);
    const r = await runCli(['apply', '-f', file, '--kong-addr', ADMIN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no changes/i);
  });

  it("Kong's flattened errors come back with the file:line of the entity, exit 1", async () => {
    const body = {
      fields: {},
      name: 'invalid declarative configuration',
      code: 14,
      message: 'declarative config is invalid: {}',
      flattened_errors: [
        {
          entity_name: 'orders',
          entity_type: 'service',
          entity: { name: 'orders', host: 'orders.internal' },
          errors: [{ field: 'host', type: 'field', message: 'invalid value: orders.internal' }],
        },
      ],
    };
    nock(ADMIN).get('/').reply(200, root()).get('/config').reply(200, held()).post('/config').query(true).reply(400, body);
    const r = await runCli(['apply', '-f', file, '--kong-addr', ADMIN]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${file}:3:3`);
    expect(r.stdout + r.stderr).toContain('host: invalid value: orders.internal');
  });
});

describe('input', () => {
  it('-f - reads the file from stdin', async () => {
    const r = await runCli(['validate', '-f', '-'], { stdin: FILE });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Valid: 2 entities \(1 service, 1 route\)\./);
  });

  it('no -f is a usage error, exit 1', async () => {
    const r = await runCli(['validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no declarative file given/);
  });

  it('an unset ${{ env }} variable is named, with its file:line', async () => {
    const f = join(dir, 'env.yaml');
    writeFileSync(f, '_format_version: "3.0"\nservices:\n- name: orders\n  host: ${{ env "DECK_ORDERS_HOST" }}\n');
    const r = await runCli(['validate', '-f', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: error: .*DECK_ORDERS_HOST`));
  });

  it('the built binary runs: npx kong-ctl --help', () => {
    const bin = join(__dirname, '..', '..', '..', 'bin', 'kong-ctl.js');
    const res = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Usage: kong-ctl/);
    for (const cmd of ['validate', 'diff', 'apply', 'dump', 'ping']) expect(res.stdout).toContain(cmd);
  });
});
