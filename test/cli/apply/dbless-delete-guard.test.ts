/**
 * the deletion guard (--max-deletes, default 50; everything in scope) is promised for
 * apply in general (README "silent mass deletes (a guard)", docs/ci.md "a truncated file or a
 * wrong --select-tag never empties a gateway"). On a DB-less node apply sends the files as the
 * whole configuration (POST /config replaces everything, kong/api/routes/config.lua), and the
 * only check is that the file is not completely empty (dbless.ts). A truncated file set — one
 * team's file of many, `-f teams/a.yaml` instead of `-f teams/` — removes every other entity of
 * the node without the guard ever looking, although GET /config (fixture 3.4.2-dbless 016) says
 * what the node holds.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../commands/run-cli';
import { nockSession } from '../commands/nock-session';
import { exchange } from '../kong/fixtures';

const { write } = nockSession('kong-ctl-review-dbless-guard-', { unaskedAllowed: true });

const ADMIN = 'http://kong-dbless-review.test:8001';

/** What GET /config answers for a node holding `n` services (shape of fixture 016). */
function liveConfig(n: number): { config: string } {
  const services = Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `svc-${i}`,
    host: `svc-${i}.internal`,
    port: 80,
    protocol: 'http',
    path: null,
    retries: 5,
    enabled: true,
    tags: null,
    connect_timeout: 60000,
    read_timeout: 60000,
    write_timeout: 60000,
    client_certificate: null,
    ca_certificates: null,
    tls_verify: null,
    tls_verify_depth: null,
    created_at: 1795467046,
    updated_at: 1795467046,
  }));
  return { config: stringify({ _format_version: '3.0', _transform: false, services }) };
}

const oneTeam = `_format_version: "3.0"
services:
- name: svc-0
  host: svc-0.internal
`;

describe('DB-less apply and the deletion guard', () => {
  it('refuses a file set that would delete more than --max-deletes of what the node holds', async () => {
    let posted = false;
    nock(ADMIN)
      .get('/')
      .reply(200, exchange('001', '3.4.2-dbless').response.body)
      .get('/config')
      .optionally()
      .reply(200, liveConfig(80))
      .post('/config')
      .query(true)
      .optionally()
      .reply(() => {
        posted = true;
        return [201, exchange('010', '3.4.2-dbless').response.body];
      });
    const r = await runCli(['apply', '-f', write('team-a.yaml', oneTeam), '--max-deletes', '10', '--kong-addr', ADMIN]);
    // 79 of the node's 80 services would go.
    expect(posted).toBe(false);
    expect(r.code, r.stdout + r.stderr).toBe(1);
  });
});
