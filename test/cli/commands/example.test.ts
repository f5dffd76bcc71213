/** The example the README tells users to apply must stay valid as plugins and the format evolve. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

describe('kong/kong.yaml', () => {
  it('validates offline, including every plugin config against its plugin schema', async () => {
    const r = await runCli(['validate', '-f', join(__dirname, '..', '..', '..', 'kong', 'kong.yaml')], {
      env: { DECK_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 4 plugins of ours, acl, and the 2 fail-closed guards kong-ctl adds for the security plugins.
    expect(r.stdout).toMatch(/^Valid: 13 entities \(1 service, 3 routes, 1 consumer, 1 acl, 7 plugins\)\./);
  });
});
