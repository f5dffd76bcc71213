/**
 * with select tags, apply looks up every create's name in Kong before writing
 * (apply/out-of-scope.ts) and refuses if anything answers, "outside the select tags". It never
 * asks whether what answered is in scope: a live entity that carries the select tags and that
 * the plan itself deletes and re-creates (a new id in the file, test/fixtures/plan/012-id-change-replaces,
 * which kong-ctl plans and orders: delete, then create) is reported as belonging to another team,
 * with its tags — the very select tag — printed in the same sentence, and nothing is applied.
 */
import nock from 'nock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/run-cli';
import { ADMIN, liveNode } from '../commands/live-node';
import { nockSession } from '../commands/nock-session';

const { write } = nockSession('kong-ctl-review-oos-', { unaskedAllowed: true });

const FIXTURE = join(__dirname, '../../fixtures/plan/012-id-change-replaces');
const current = JSON.parse(readFileSync(join(FIXTURE, 'current.json'), 'utf8')) as Record<string, Array<Record<string, unknown>>>;
const desired = readFileSync(join(FIXTURE, 'desired.yaml'), 'utf8');

describe('select tags and an entity the plan replaces (new id, same name)', () => {
  it('does not take the in-scope entity being replaced for another team’s, and applies the plan', async () => {
    liveNode({ services: current.service, routes: current.route, plugins: current.plugin });
    const svc = current.service[0];
    const route = current.route[0];
    const writes: string[] = [];
    nock(ADMIN)
      // The lookups out-of-scope.ts makes: by name they find the live, tagged entities.
      .get('/services/orders')
      .reply(200, svc)
      .persist()
      .get('/routes/orders-api')
      .reply(200, route)
      .persist()
      .get(/^\/(services|routes|plugins)\/[0-9a-f-]{36}$/)
      .reply(404, { message: 'Not found' })
      .persist()
      .put(/^\/(services|routes|plugins)\/[0-9a-f-]{36}$/)
      .reply((uri, b) => {
        writes.push(`PUT ${uri.split('/')[1]}`);
        return [200, { ...(b as object), id: uri.split('/').pop() }];
      })
      .persist()
      .delete(/^\/(services|routes|plugins)\/[0-9a-f-]{36}$/)
      .reply((uri) => {
        writes.push(`DELETE ${uri.split('/')[1]}`);
        return [204];
      })
      .persist();

    const r = await runCli(['apply', '-f', write('replace.yaml', desired), '--select-tag', 'team-a', '--kong-addr', ADMIN]);
    expect(r.stdout).toContain('Plan: 3 to add, 0 to change, 3 to destroy.');
    expect(r.stderr).not.toContain('already exists in Kong outside the select tags');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(writes.sort()).toEqual(['DELETE plugins', 'DELETE routes', 'DELETE services', 'PUT plugins', 'PUT routes', 'PUT services']);
  });
});
