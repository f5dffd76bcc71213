/**
 * kong-ctl starts every delete before any create or update (execute.ts `rank`: "Deletes
 * first"), and nothing in graph.ts makes a delete wait for the create that replaces what it
 * removes unless a unique value or a foreign key ties them. decK does the opposite on purpose:
 * all creates and updates, level by level, then the deletes bottom-up
 * (Kong/go-database-reconciler pkg/diff/diff.go `Syncer.diff`: deleteDuplicates, createUpdate,
 * delete), so a gateway is never left without the entity being replaced.
 *
 * The user-visible case: moving an authentication plugin to a wider scope (a service's key-auth
 * made global, as a platform team does when every service must authenticate). The old key-auth
 * is deleted before the new one exists: meanwhile the service takes requests without any key.
 * The recorded bodies are 3.4.2's: the service of fixture 055, the key-auth of fixture 086.
 */
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/run-cli';
import { ADMIN, liveNode } from '../commands/live-node';
import { nockSession } from '../commands/nock-session';
import { exchange } from '../kong/fixtures';

const { write } = nockSession('kong-ctl-review-del-', { unaskedAllowed: true });

const service = exchange('055').response.body; // orders, 675a0b3b-…
const keyAuth = exchange('086').response.body; // key-auth on orders, a61e0289-…

const file = `_format_version: "3.0"
services:
- name: orders
  url: http://127.0.0.1:9999/orders
  tags: [team-a]
plugins:
- name: key-auth
  tags: [team-a]
`;

describe('an authentication plugin moved from a service to the global scope', () => {
  it('creates the global key-auth before deleting the service one: the service is never unauthenticated', async () => {
    liveNode({ services: [service], plugins: [keyAuth] });
    // What Kong enforces on `orders` at each moment: true while some key-auth covers it.
    let serviceScoped = true;
    let global = false;
    const unprotected: string[] = [];
    const check = (when: string) => {
      if (!serviceScoped && !global) unprotected.push(when);
    };
    nock(ADMIN)
      .put(/^\/plugins\/[0-9a-f-]{36}$/)
      .reply(async (uri, b) => {
        await new Promise((r) => setTimeout(r, 30)); // Kong takes a moment to write it
        global = true;
        check('after PUT global key-auth');
        return [200, { ...keyAuth, ...(b as object), id: uri.split('/').pop(), service: null }];
      })
      .delete(`/plugins/${keyAuth.id}`)
      .reply(() => {
        serviceScoped = false;
        check('after DELETE service key-auth');
        return [204];
      });

    const r = await runCli(['apply', '-f', write('global-auth.yaml', file), '--kong-addr', ADMIN]);
    expect(r.stdout).toContain('Plan: 1 to add, 0 to change, 1 to destroy.');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(unprotected).toEqual([]);
  });

  it('does the same with --parallelism 1', async () => {
    liveNode({ services: [service], plugins: [keyAuth] });
    const order: string[] = [];
    nock(ADMIN)
      .put(/^\/plugins\/[0-9a-f-]{36}$/)
      .reply((uri, b) => {
        order.push('PUT global key-auth');
        return [200, { ...keyAuth, ...(b as object), id: uri.split('/').pop(), service: null }];
      })
      .delete(`/plugins/${keyAuth.id}`)
      .reply(() => {
        order.push('DELETE service key-auth');
        return [204];
      });
    const r = await runCli(['apply', '-f', write('global-auth-1.yaml', file), '--parallelism', '1', '--kong-addr', ADMIN]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(order).toEqual(['PUT global key-auth', 'DELETE service key-auth']);
  });
});
