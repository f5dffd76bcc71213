/**
 * decK's `_plugin_configs` and a plugin's `_config`: a named config record, shared by all the
 * files of a run, fills the config keys a plugin leaves unset (its own win), as
 * go-database-reconciler's fillPluginConfig does. Unknown names and files that disagree are
 * errors at their file:line; values from the environment stay masked in the plugin that took them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { brief } from './helpers';

let dir = '';
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'kong-ctl-plugin-configs-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

const PLATFORM = `_format_version: "3.0"
_plugin_configs:
  strict-rate:
    minute: 10
    policy: redis
    redis_host: redis.internal
    redis_password: \${{ env "DECK_REDIS_PASSWORD" }}
`;

const TEAM = `_format_version: "3.0"
services:
- name: orders
  url: http://orders:8080
  plugins:
  - name: rate-limiting
    _config: strict-rate
    config:
      minute: 5
      hour: null
`;

async function load(files: string[], env: NodeJS.ProcessEnv = { DECK_REDIS_PASSWORD: 's3cret' }) {
  const result = await loadDesired({ files, env });
  // File names as given, without the temporary folder (brief makes them relative to the fixtures).
  return { result, problems: validateDesired(result).map(brief).map((p) => p.replace(/^[^ ]*\//, '')) };
}

describe('_plugin_configs', () => {
  it("fills the config keys a plugin leaves unset, across files; the plugin's own keys win, null included", async () => {
    const { result, problems } = await load([file('platform.yaml', PLATFORM), file('team.yaml', TEAM)]);
    expect(problems).toEqual([]);
    const plugin = result.state.entities.find((e) => e.kind === 'plugin')!;
    expect(plugin.fields).toEqual({
      name: 'rate-limiting',
      config: { minute: 5, hour: null, policy: 'redis', redis_host: 'redis.internal', redis_password: 's3cret' },
    });
    expect(plugin.masked).toEqual(['config.redis_password']);
    expect(result.secrets).toEqual(['s3cret']);
  });

  it("merges records key by key: a plugin that overrides a shared record's host keeps its port and secret, still masked", async () => {
    const shared = file(
      'redis.yaml',
      `_format_version: "3.0"
_plugin_configs:
  shared-redis:
    policy: redis
    redis:
      host: redis.internal
      port: 6380
      password: \${{ env "DECK_REDIS_PASSWORD" }}
`,
    );
    const team = file('team-redis.yaml', TEAM.replace('      minute: 5\n      hour: null', '      minute: 5\n      redis:\n        host: redis.orders').replace('strict-rate', 'shared-redis'));
    const { result } = await load([shared, team]);
    const plugin = result.state.entities.find((e) => e.kind === 'plugin')!;
    expect(plugin.fields.config).toEqual({ minute: 5, policy: 'redis', redis: { host: 'redis.orders', port: 6380, password: 's3cret' } });
    expect(plugin.masked).toEqual(['config.redis.password']);
  });

  it('refuses a name no file defines, with the closest one', async () => {
    const typo = file('typo.yaml', TEAM.replace('_config: strict-rate', '_config: strict-rates'));
    const { problems } = await load([file('platform.yaml', PLATFORM), typo]);
    expect(problems).toEqual([`typo.yaml:7:14 services[0].plugins[0]: _config: no _plugin_configs named 'strict-rates' (did you mean 'strict-rate'?)`]);
  });

  it('refuses two files that give one name different records, and a _config that is not a name', async () => {
    const other = file('other.yaml', PLATFORM.replace('minute: 10', 'minute: 20'));
    const { problems } = await load([file('platform.yaml', PLATFORM), other, file('team.yaml', TEAM)]);
    expect(problems).toEqual([
      `other.yaml:3:3: _plugin_configs.strict-rate differs from the one in ${join(dir, 'platform.yaml')}: files must not disagree on a shared plugin config`,
    ]);
    const numeric = file('numeric.yaml', TEAM.replace('_config: strict-rate', '_config: 7'));
    expect((await load([file('platform.yaml', PLATFORM), numeric])).problems).toEqual([`numeric.yaml:7:14 services[0].plugins[0]: _config: expected a string`]);
  });
});
