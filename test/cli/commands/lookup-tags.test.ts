/**
 * References to entities the files do not declare, through the whole pipeline against the Admin
 * API simulator: `_info.default_lookup_tags` (a platform team's plugins on services, routes and
 * consumers that other files manage) and `--no-deletes` (a partial file naming live entities).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const TEAM_A = `_format_version: "3.0"
_info:
  select_tags: [team-a]
services:
- name: users
  url: http://users.internal:8080
  routes:
  - name: users-api
    paths: [/users]
`;

const IDENTITY = `_format_version: "3.0"
_info:
  select_tags: [identity]
consumers:
- username: alice
  custom_id: alice-7
`;

const PLATFORM = `_format_version: "3.0"
_info:
  select_tags: [platform]
  default_lookup_tags:
    services: [team-a]
    routes: [team-a]
    consumers: [identity]
plugins:
- name: rate-limiting
  service: users
  config:
    minute: 10
- name: cors
  route: users-api
- name: request-size-limiting
  consumer: alice
  service: users
`;

const { sim, addr, write, writes, writePaths, expectApplyWritesNothing } = simSession('kong-ctl-lookup-tags-');

async function setUpTeams(): Promise<void> {
  for (const [name, text] of [['team-a.yaml', TEAM_A], ['identity.yaml', IDENTITY]]) {
    const r = await runCli(['apply', '-f', write(name, text), ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
}

const idOf = (collection: string, field: string, value: string) =>
  String(sim().store.all(collection).find((e) => e[field] === value)?.id);

describe('_info.default_lookup_tags', () => {
  it("puts plugins on other files' services, routes and consumers, and changes nothing of theirs", async () => {
    await setUpTeams();
    const platform = write('platform.yaml', PLATFORM);
    sim().resetStats();
    const a = await runCli(['apply', '-f', platform, ...addr()]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toMatch(/Plan: 3 to add, 0 to change, 0 to destroy\./);
    expect(a.stdout).toContain('plugin rate-limiting (service users)');
    expect(writePaths().every((w) => w.startsWith('PUT /plugins/'))).toBe(true);

    const plugins = sim().store.all('plugins');
    const users = idOf('services', 'name', 'users');
    expect(plugins.find((p) => p.name === 'rate-limiting')).toMatchObject({ service: { id: users }, tags: ['platform'] });
    expect(plugins.find((p) => p.name === 'cors')).toMatchObject({ route: { id: idOf('routes', 'name', 'users-api') } });
    expect(plugins.find((p) => p.name === 'request-size-limiting')).toMatchObject({
      consumer: { id: idOf('consumers', 'username', 'alice') },
      service: { id: users },
    });

    // The live plugins name the looked-up entities as the files do: no phantom change.
    await expectApplyWritesNothing(platform);
    expect((await runCli(['diff', '-f', platform, ...addr()])).code).toBe(0);
    // And the teams' own runs neither see nor touch the platform's plugins.
    await expectApplyWritesNothing(write('team-a.yaml', TEAM_A));
    expect(sim().store.count('plugins')).toBe(3);
  });

  it('resolves a reference written as an id, or as a custom_id, to the same live entity', async () => {
    await setUpTeams();
    await runCli(['apply', '-f', write('platform.yaml', PLATFORM), ...addr()]);
    const byId = PLATFORM.replace('route: users-api', `route: ${idOf('routes', 'name', 'users-api')}`).replace('consumer: alice', 'consumer: alice-7');
    await expectApplyWritesNothing(write('by-id.yaml', byId));

    // Written once by name and once by id, two plugins turn out to sit on one service.
    const twice = write('twice.yaml', `${PLATFORM}- name: rate-limiting\n  service: ${idOf('services', 'name', 'users')}\n  config:\n    minute: 5\n`);
    sim().resetStats();
    const r = await runCli(['apply', '-f', twice, ...addr()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${twice}:18:3: error: plugins[3]: plugin rate-limiting (service users) is configured twice (first at ${twice}:9:3 plugins[0]): both name the same live entity`,
    );
    expect(writes()).toBe(0);
  });

  it('dump names the entities its references leave its scope for, looks them up by their tags, and re-applies as a no-op', async () => {
    await setUpTeams();
    await runCli(['apply', '-f', write('platform.yaml', PLATFORM), ...addr()]);
    const d = await runCli(['dump', '--select-tag', 'platform', ...addr()]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(
      '# 1 service outside this dump is named by references: found through _info.default_lookup_tags.services\n' +
        '# 1 route outside this dump is named by references: found through _info.default_lookup_tags.routes\n' +
        '# 1 consumer outside this dump is named by references: found through _info.default_lookup_tags.consumers\n',
    );
    expect(d.stdout).not.toContain('warning');
    const doc = parse(d.stdout);
    expect(doc._info).toEqual({ select_tags: ['platform'], default_lookup_tags: { services: ['team-a'], routes: ['team-a'], consumers: ['identity'] } });
    expect(doc.plugins.map((p: Record<string, unknown>) => [p.name, p.service, p.route, p.consumer])).toEqual([
      ['cors', undefined, 'users-api', undefined],
      ['rate-limiting', 'users', undefined, undefined],
      ['request-size-limiting', 'users', undefined, 'alice'],
    ]);
    await expectApplyWritesNothing(write('dump.yaml', d.stdout));
  });

  it('dump keeps ids, and says what to add, when no tags can look the entities up safely', async () => {
    await setUpTeams();
    await runCli(['apply', '-f', write('platform.yaml', PLATFORM), ...addr()]);
    // A platform service tagged team-a too: looking services up by team-a would find one the dump manages.
    const own = `${PLATFORM}services:\n- name: status\n  url: http://status:8080\n  tags: [team-a]\n`;
    expect((await runCli(['apply', '-f', write('own.yaml', own), ...addr()])).code).toBe(0);
    const d = await runCli(['dump', '--select-tag', 'platform', ...addr()]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(
      '# warning: 2 references to services outside this dump are written by id: add _info.default_lookup_tags.services with their tags before applying it\n',
    );
    expect(d.stdout).toContain(`service: ${idOf('services', 'name', 'users')}`);
    expect(parse(d.stdout)._info.default_lookup_tags).toEqual({ routes: ['team-a'], consumers: ['identity'] });
  });

  it('a platform change updates its own plugin; a plugin dropped from the file is deleted, the service never', async () => {
    await setUpTeams();
    await runCli(['apply', '-f', write('platform.yaml', PLATFORM), ...addr()]);
    const changed = PLATFORM.replace('minute: 10', 'minute: 20').replace(/- name: cors\n {2}route: users-api\n/, '');
    const r = await runCli(['apply', '-f', write('changed.yaml', changed), ...addr()]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan: 0 to add, 1 to change, 1 to destroy\./);
    expect(sim().store.all('plugins').find((p) => p.name === 'rate-limiting')?.config).toMatchObject({ minute: 20 });
    expect(sim().store.count('services')).toBe(1);
    expect(sim().store.count('routes')).toBe(1);
  });

  it('a name found nowhere is an error at its file:line, with the closest live name, and nothing is written', async () => {
    await setUpTeams();
    const typo = write('typo.yaml', PLATFORM.replace('service: users\n  config', 'service: user\n  config'));
    sim().resetStats();
    for (const cmd of ['diff', 'apply']) {
      const r = await runCli([cmd, '-f', typo, ...addr()]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${typo}:10:12: error: plugins[0]: service: unknown service 'user' (did you mean 'users'?): not in the file(s), nor in Kong among the services tagged [team-a]`,
      );
      expect(r.stderr).toMatch(/1 problem found in 1 file \(checked against Kong 3\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+\); nothing was sent to Kong\./);
    }
    const json = await runCli(['apply', '-f', typo, ...addr(), '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, problems: [{ line: 10, column: 12, path: 'plugins[0]' }] });
    expect(writes()).toBe(0);
  });

  it('a looked-up entity that also carries the select tags is refused: the files would delete it', async () => {
    await setUpTeams();
    // The platform's own select tag on the team's service puts it in the platform's scope.
    const r0 = await runCli(['apply', '-f', write('team-a.yaml', TEAM_A.replace('  url:', '  tags: [platform]\n  url:')), ...addr()]);
    expect(r0.code, r0.stdout + r0.stderr).toBe(0);
    const platform = write('platform.yaml', PLATFORM);
    sim().resetStats();
    const r = await runCli(['apply', '-f', platform, ...addr()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${platform}:10:12: error: plugins[0]: service: service users, found by the lookup tags [team-a], also carries the select tags [platform]: these files manage it, so they must declare it (apply would delete it otherwise)`,
    );
    expect(writes()).toBe(0);
  });

  it('only lists what the lookup tags select, and no consumer at all under --skip-consumers', async () => {
    await setUpTeams();
    const platform = write('platform.yaml', PLATFORM);
    const from = sim().log.length;
    const r = await runCli(['diff', '-f', platform, ...addr(), '--skip-consumers']);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);
    const gets = sim().log.slice(from).filter((q) => q.method === 'GET').map((q) => q.path);
    expect(gets.filter((p) => /^\/services\?.*tags=team-a/.test(p))).toHaveLength(1);
    expect(gets.filter((p) => /^\/routes\?.*tags=team-a/.test(p))).toHaveLength(1);
    expect(gets.some((p) => p.startsWith('/consumers'))).toBe(false);
  });

  it('validate leaves the references for --online, which resolves them against the node', async () => {
    await setUpTeams();
    const platform = write('platform.yaml', PLATFORM);
    const offline = await runCli(['validate', '-f', platform]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('4 references to entities the files do not declare are left for Kong to resolve');
    const online = await runCli(['validate', '--online', '-f', platform, ...addr()]);
    expect(online.code, online.stderr).toBe(0);
    expect(online.stdout).toMatch(/^Valid: 3 entities \(3 plugins\), checked against Kong/);
    const typo = await runCli(['validate', '--online', '-f', write('typo.yaml', PLATFORM.replace('consumer: alice', 'consumer: alicia')), ...addr()]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("consumer: unknown consumer 'alicia' (did you mean 'alice'?): not in the file(s), nor in Kong among the consumers tagged [identity]");
  });

  it('is refused where it cannot mean anything: without select tags, or with tags that select the scope itself', async () => {
    const none = write('none.yaml', PLATFORM.replace('  select_tags: [platform]\n', ''));
    const r = await runCli(['validate', '-f', none]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${none}:4:5: error: _info.default_lookup_tags.services: default_lookup_tags need select tags (_info.select_tags or --select-tag): without them the files manage the whole gateway, so the services they look up would be deleted`,
    );
    const self = await runCli(['validate', '-f', write('self.yaml', PLATFORM.replace('services: [team-a]', 'services: [team-a, platform]'))]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('the lookup tags [team-a, platform] include every select tag');
    const groups = await runCli(['validate', '-f', write('groups.yaml', PLATFORM.replace('consumers: [identity]', 'consumer_groups: [gold]'))]);
    expect(groups.code).toBe(1);
    expect(groups.stderr).toContain('_info.default_lookup_tags.consumer_groups: kong-ctl does not manage consumer groups');
  });

  it('files that look the same kind up must agree on the tags', async () => {
    const a = write('a.yaml', PLATFORM);
    const b = write('b.yaml', '_format_version: "3.0"\n_info:\n  select_tags: [platform]\n  default_lookup_tags:\n    services: [team-b]\n');
    const r = await runCli(['validate', '-f', a, '-f', b]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${b}:5:5: error: _info.default_lookup_tags.services [team-b] differ from [team-a] in ${a}: all files must look services up by the same tags`);
  });
});

describe('--no-deletes: a partial file may name live entities in its scope', () => {
  const PARTIAL = `_format_version: "3.0"
plugins:
- name: cors
  service: users
`;
  const PLAIN = TEAM_A.replace(/_info:\n {2}select_tags: \[team-a\]\n/, '');

  it('resolves them with --no-deletes, and refuses them without it', async () => {
    expect((await runCli(['apply', '-f', write('plain.yaml', PLAIN), ...addr()])).code).toBe(0);
    const partial = write('partial.yaml', PARTIAL);
    const without = await runCli(['apply', '-f', partial, ...addr()]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain(`${partial}:4:12: error: plugins[0]: service: unknown service 'users': no service with this name or id in the file(s)`);

    const r = await runCli(['apply', '-f', partial, ...addr(), '--no-deletes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Plan: 1 to add, 0 to change, 0 to destroy\./);
    expect(sim().store.all('plugins')[0]).toMatchObject({ name: 'cors', service: { id: idOf('services', 'name', 'users') } });
    const again = await runCli(['diff', '-f', partial, ...addr(), '--no-deletes']);
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const missing = await runCli(['apply', '-f', write('missing.yaml', PARTIAL.replace('service: users', 'service: userz')), ...addr(), '--no-deletes']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("service: unknown service 'userz' (did you mean 'users'?): not in the file(s), nor in Kong among the live services in scope (--no-deletes)");

    const offline = await runCli(['validate', '-f', partial, '--no-deletes']);
    expect(offline.code, offline.stderr).toBe(0);
    const online = await runCli(['validate', '--online', '-f', partial, '--no-deletes', ...addr()]);
    expect(online.code, online.stderr).toBe(0);
  });
});
