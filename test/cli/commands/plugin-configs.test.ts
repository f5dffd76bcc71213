/**
 * `_plugin_configs` end to end: a platform file's shared config reaches Kong through the plugins
 * that name it, re-applying is a no-op, and a change to the shared record is a change of every
 * plugin that takes it, with an environment value masked in the plan.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const { sim, addr, write } = simSession('kong-ctl-plugin-configs-');

const platform = (minute: number) => `_format_version: "3.0"
_plugin_configs:
  standard-limits:
    minute: ${minute}
    policy: local
    header_name: \${{ env "DECK_LIMIT_HEADER" }}
`;

const TEAM = `_format_version: "3.0"
services:
- name: orders
  url: http://orders:8080
  plugins:
  - name: rate-limiting
    _config: standard-limits
- name: billing
  url: http://billing:8080
  plugins:
  - name: rate-limiting
    _config: standard-limits
    config:
      minute: 3
`;

const env = { DECK_LIMIT_HEADER: 'X-Tenant' };

describe('_plugin_configs through apply', () => {
  it('sends the filled configs, then has nothing to do, and plans a shared change on every plugin that takes it', async () => {
    const team = write('team.yaml', TEAM);
    const r = await runCli(['apply', '-f', write('platform.yaml', platform(10)), '-f', team, ...addr()], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const configs = sim()
      .store.all('plugins')
      .map((p) => p.config as Record<string, unknown>)
      .map((c) => [c.minute, c.policy, c.header_name])
      .sort();
    expect(configs).toEqual([
      [10, 'local', 'X-Tenant'],
      [3, 'local', 'X-Tenant'],
    ]);
    const again = await runCli(['diff', '-f', write('platform.yaml', platform(10)), '-f', team, ...addr()], { env });
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const changed = await runCli(['diff', '-f', write('platform.yaml', platform(20)), '-f', team, ...addr()], { env: { DECK_LIMIT_HEADER: 'X-Org' } });
    expect(changed.code).toBe(2);
    // billing sets its own minute; both take the new header, which prints masked.
    expect(changed.stdout).toMatch(/Plan: 0 to add, 2 to change, 0 to destroy\./);
    expect(changed.stdout).toContain('config.minute: 10 → 20');
    expect(changed.stdout).not.toContain('X-Org');
    expect(changed.stdout).toContain('[masked]');
  });
});
