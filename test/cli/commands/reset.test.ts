/**
 * `kong-ctl reset`: every entity in scope deleted, in dependency order, through apply's plan and
 * report, never without --force. Select tags and --skip-consumers narrow the scope as they do
 * for apply.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { exchange } from '../kong/fixtures';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { sim, addr, write, writes, writePaths } = simSession('kong-ctl-reset-');

const team = (tag: string, svc: string) => `_format_version: "3.0"
_info:
  select_tags: [${tag}]
services:
- name: ${svc}
  url: http://${svc}:8080
  routes:
  - name: ${svc}-api
    paths: [/${svc}]
  plugins:
  - name: rate-limiting
    config: {minute: 100}
consumers:
- username: ${svc}-client
  keyauth_credentials:
  - key: ${svc}-key
`;

async function seed(): Promise<void> {
  for (const [tag, svc] of [['team-a', 'orders'], ['team-b', 'billing']]) {
    const r = await runCli(['apply', '-f', write(`${tag}.yaml`, team(tag, svc)), ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  sim().resetStats();
}

const names = (collection: string, field = 'name') => sim().store.all(collection).map((e) => e[field]).sort();

describe('kong-ctl reset', () => {
  it('refuses without --force, and --dry-run only shows the plan', async () => {
    await seed();
    const refused = await runCli(['reset', ...addr()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('reset deletes every entity of the gateway: add --force to do it, or --dry-run to see what it would delete');
    const dry = await runCli(['reset', '--dry-run', ...addr()]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/Plan: 0 to add, 0 to change, 10 to destroy\./);
    expect(dry.stdout).toContain('Dry run: nothing was written to Kong.');
    expect(writes()).toBe(0);
  });

  it('--force deletes everything, dependents first', async () => {
    await seed();
    const r = await runCli(['reset', '--force', ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan: 0 to add, 0 to change, 10 to destroy\./);
    for (const c of ['services', 'routes', 'plugins', 'consumers', 'keyauth_credentials']) expect(sim().store.all(c)).toEqual([]);
    const order = writePaths();
    const last = (prefix: string) => Math.max(...order.map((p, i) => (p.startsWith(`DELETE /${prefix}/`) ? i : -1)));
    const first = (prefix: string) => order.findIndex((p) => p.startsWith(`DELETE /${prefix}/`));
    expect(last('plugins')).toBeLessThan(first('services'));
    expect(last('routes')).toBeLessThan(first('services'));
    // Nothing left: a second reset has nothing to do.
    const again = await runCli(['reset', '--force', ...addr()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('No changes.');
  });

  it('--select-tag deletes only what carries the tags; --skip-consumers keeps consumers', async () => {
    await seed();
    const r = await runCli(['reset', '--force', '--select-tag', 'team-a', '--skip-consumers', ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan: 0 to add, 0 to change, 3 to destroy\./);
    expect(names('services')).toEqual(['billing']);
    expect(names('routes')).toEqual(['billing-api']);
    expect(names('consumers', 'username')).toEqual(['billing-client', 'orders-client']);
  });

  it('empties a DB-less node with one POST /config holding no entity', async () => {
    const admin = 'http://kong-dbless.test:8001';
    let sent: { config?: string } = {};
    nock(admin)
      .get('/')
      .reply(200, exchange('001', '3.4.2-dbless').response.body)
      .post('/config', (b) => ((sent = b), true))
      .query({ check_hash: 1, flatten_errors: 1 })
      .reply(201, exchange('010', '3.4.2-dbless').response.body);
    const r = await runCli(['reset', '--force', '--kong-addr', admin]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(String(sent.config))).toEqual({ _format_version: '3.0' });
    expect(nock.isDone()).toBe(true);
  });
});
