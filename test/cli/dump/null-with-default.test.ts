/**
 * A live field set to null whose schema default is not null (a cors plugin whose `config.methods`
 * was cleared, so it allows any method): Kong keeps the null, so the dump keeps it too. Dropped,
 * loading the dump filled the default back in and the same gateway showed drift.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listData } from '../kong/fixtures';
import { ADMIN, liveNode } from '../commands/live-node';
import { nockSession } from '../commands/nock-session';
import { runCli } from '../commands/run-cli';

const session = nockSession('kong-ctl-dump-null-', { unaskedAllowed: true });

describe('dump of a null field with a non-null default', () => {
  it('re-applies to an empty plan', async () => {
    const svc = listData('103')[0];
    const live = {
      services: [svc],
      plugins: [
        {
          id: '5f1c9a3e-0000-4000-8000-0000000000a1',
          name: 'cors',
          service: { id: svc.id },
          route: null,
          consumer: null,
          instance_name: null,
          enabled: true,
          protocols: ['grpc', 'grpcs', 'http', 'https'],
          tags: null,
          created_at: 1,
          config: {
            origins: ['https://a.example'],
            methods: null,
            headers: null,
            exposed_headers: null,
            max_age: null,
            credentials: false,
            preflight_continue: false,
          },
        },
      ],
    };
    const out = join(session.dir(), 'dump.yaml');
    liveNode(live);
    const d = await runCli(['dump', '-o', out, '--kong-addr', ADMIN]);
    expect(d.code, d.stderr).toBe(0);
    liveNode(live);
    const r = await runCli(['diff', '-f', out, '--kong-addr', ADMIN]);
    expect(r.stdout + r.stderr + '\n---\n' + readFileSync(out, 'utf8')).not.toMatch(/config\.methods/);
    expect(r.code).toBe(0);
  });
});
