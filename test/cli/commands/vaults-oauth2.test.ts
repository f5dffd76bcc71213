/**
 * Vaults and oauth2 credentials through the whole pipeline, against the Admin API simulator:
 * plan, apply, a clean diff after it, no writes on a second apply, a dump that re-applies as a
 * no-op, hashed client secrets (hash_secret) checked against Kong's hash and never dumped, and the vault's own
 * `config` schema (`GET /schemas/vaults/{name}`) used for defaults and validation.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kongSecretMatches } from '../../../cli/src/kinds/oauth2-secret';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const FILE = `_format_version: "3.0"
vaults:
- name: env
  prefix: app-env
  config:
    prefix: APP_
- name: env
  prefix: plain-env
consumers:
- username: carol
  oauth2_credentials:
  - name: carol-web
    client_id: carol-web
    client_secret: \${{ env "DECK_CAROL_WEB_SECRET" }}
    redirect_uris: [https://carol.example/callback]
  - name: carol-hashed
    client_id: carol-hashed
    client_secret: \${{ env "DECK_CAROL_HASHED_SECRET" }}
    hash_secret: true
  - name: carol-spa
    client_id: carol-spa
    client_type: public
    redirect_uris: [https://spa.example/cb]
plugins:
- name: rate-limiting
  config:
    minute: 10
    policy: redis
    redis_host: redis.internal
    redis_password: "{vault://app-env/redis-password}"
`;

const ENV = { DECK_CAROL_WEB_SECRET: 'web-secret-1', DECK_CAROL_HASHED_SECRET: 'hashed-secret-1' };
const { sim, addr, writes, writePaths, write, path, expectApplyWritesNothing } = simSession('kong-ctl-vaults-');
let file = '';
beforeAll(() => void (file = write('kong.yaml', FILE)));
const storedSecret = (clientId: string) => String(sim().store.all('oauth2_credentials').find((c) => c.client_id === clientId)!.client_secret);

describe('vaults and oauth2 credentials', () => {
  it('plan, apply, then no drift and no writes; vaults are written before what may refer to them', async () => {
    const d1 = await runCli(['diff', '-f', file, ...addr()], { env: ENV });
    expect(d1.code, d1.stderr).toBe(2);
    expect(d1.stdout).toContain('+ vault app-env');
    expect(d1.stdout).toContain('+ oauth2 credential carol-hashed (consumer carol)');
    // Client secrets are secrets, inline or from the environment.
    expect(d1.stdout).not.toContain('web-secret-1');
    expect(d1.stdout).not.toContain('hashed-secret-1');
    expect(d1.stdout).toMatch(/Plan: 7 to add, 0 to change, 0 to destroy\./);

    const a1 = await runCli(['apply', '-f', file, ...addr(), '--parallelism', '1'], { env: ENV });
    expect(a1.code, a1.stderr + a1.stdout).toBe(0);
    const paths = writePaths();
    expect(paths.filter((p) => p.includes('/vaults/'))).toHaveLength(2);
    const lastVault = paths.map((p) => p.includes('/vaults/')).lastIndexOf(true);
    expect(paths.findIndex((p) => p.includes('/plugins/'))).toBeGreaterThan(lastVault);
    expect(paths.filter((p) => /^PUT \/consumers\/[^/]+\/oauth2\/[0-9a-f-]+$/.test(p))).toHaveLength(3);

    // Kong keeps only a PBKDF2 hash of the hash_secret credential's secret.
    const stored = sim().store.all('oauth2_credentials');
    expect(stored.find((c) => c.client_id === 'carol-hashed')!.client_secret).toMatch(/^\$pbkdf2-sha512\$i=10000,l=32\$/);
    expect(stored.find((c) => c.client_id === 'carol-web')!.client_secret).toBe('web-secret-1');
    expect(sim().store.all('vaults').find((v) => v.prefix === 'plain-env')!.config).toEqual({ prefix: null });

    const d2 = await runCli(['diff', '-f', file, ...addr()], { env: ENV });
    expect(d2.code, d2.stdout).toBe(0);
    await expectApplyWritesNothing(file, ENV);
  });

  it('deletes a vault only after the plugin that names it', async () => {
    await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    const appEnv = String(sim().store.all('vaults').find((v) => v.prefix === 'app-env')!.id);
    const before = sim().log.length;
    const empty = write('empty.yaml', '_format_version: "3.0"\n');
    const r = await runCli(['apply', '-f', empty, ...addr(), '--allow-mass-delete', '--parallelism', '1']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const deletes = sim().log.slice(before).filter((x) => x.method === 'DELETE').map((x) => x.path);
    expect(deletes.indexOf(`/vaults/${appEnv}`)).toBeGreaterThan(deletes.findIndex((p) => p.startsWith('/plugins/')));
    expect(sim().store.count('vaults')).toBe(0);
  });

  it('a changed vault config or client secret is an update, the hashed one told from Kong\'s PBKDF2 hash', async () => {
    await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    const changed = write('changed.yaml', FILE.replace('prefix: APP_', 'prefix: APP2_'));
    const d = await runCli(['diff', '-f', changed, ...addr()], { env: { DECK_CAROL_WEB_SECRET: 'web-secret-2', DECK_CAROL_HASHED_SECRET: 'other' } });
    expect(d.code).toBe(2);
    expect(d.stdout).toContain('~ vault app-env');
    expect(d.stdout).toMatch(/config\.prefix: "APP_" → "APP2_"/);
    expect(d.stdout).toContain('~ oauth2 credential carol-web (consumer carol)');
    expect(d.stdout).toContain('~ oauth2 credential carol-hashed (consumer carol)\n    client_secret: [masked] → [masked]');
    expect(d.stdout).not.toMatch(/other|web-secret-2|\$pbkdf2/);
    expect(d.stdout).toMatch(/Plan: 0 to add, 3 to change, 0 to destroy\./);
  });

  it('a rotated hashed secret is written with hash_secret, so that Kong hashes it; then no drift', async () => {
    await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    const rotated = { ...ENV, DECK_CAROL_HASHED_SECRET: 'hashed-secret-2' };
    const a = await runCli(['apply', '-f', file, ...addr()], { env: rotated });
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(a.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy\./);
    // Kong hashes client_secret only in a write that names hash_secret too; alone, it is kept in clear.
    expect(storedSecret('carol-hashed')).toMatch(/^\$pbkdf2-sha512\$/);
    expect(kongSecretMatches('hashed-secret-2', storedSecret('carol-hashed'))).toBe(true);
    const d = await runCli(['diff', '-f', file, ...addr()], { env: rotated });
    expect(d.code, d.stdout).toBe(0);
    await expectApplyWritesNothing(file, rotated);
  });

  it('turning hash_secret on and changing the secret in one edit hashes the new secret', async () => {
    await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    const edited = write(
      'hash-web.yaml',
      FILE.replace('client_secret: ${{ env "DECK_CAROL_WEB_SECRET" }}', 'client_secret: ${{ env "DECK_CAROL_WEB_SECRET" }}\n    hash_secret: true'),
    );
    const env = { ...ENV, DECK_CAROL_WEB_SECRET: 'web-secret-2' };
    const a = await runCli(['apply', '-f', edited, ...addr()], { env });
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(kongSecretMatches('web-secret-2', storedSecret('carol-web'))).toBe(true);
    await expectApplyWritesNothing(edited, env);
  });

  it('a secret stored in clear despite hash_secret is drift, and apply hashes it', async () => {
    await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    // What a PATCH of client_secret alone leaves: Kong can verify no client secret against it.
    sim().store.patch('oauth2_credentials', 'carol-hashed', { client_secret: 'hashed-secret-1' });
    expect(storedSecret('carol-hashed')).toBe('hashed-secret-1');
    const d = await runCli(['diff', '-f', file, ...addr()], { env: ENV });
    expect(d.code, d.stdout).toBe(2);
    expect(d.stdout).toContain('~ oauth2 credential carol-hashed (consumer carol)');
    const a = await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    expect(a.code, a.stderr + a.stdout).toBe(0);
    expect(kongSecretMatches('hashed-secret-1', storedSecret('carol-hashed'))).toBe(true);
  });

  it('dump leaves hashed client secrets out with a comment, and re-applying the dump writes nothing', async () => {
    await runCli(['apply', '-f', file, ...addr()], { env: ENV });
    const out = path('dump.yaml');
    const dump = await runCli(['dump', ...addr(), '-o', out]);
    expect(dump.code, dump.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# hashed oauth2 client secrets \(hash_secret\) are write-only and were left out/m);
    expect(text).toContain('# client_secret omitted: Kong stores only a hash (write-only); add `client_secret:` here to set it');
    const doc = parse(text);
    expect(doc.vaults).toEqual([
      { prefix: 'app-env', name: 'env', config: { prefix: 'APP_' } },
      { prefix: 'plain-env', name: 'env' },
    ]);
    const creds = doc.consumers[0].oauth2_credentials;
    expect(creds.map((c: { client_id: string }) => c.client_id)).toEqual(['carol-hashed', 'carol-spa', 'carol-web']);
    expect(creds[0]).toEqual({ name: 'carol-hashed', client_id: 'carol-hashed', hash_secret: true });
    expect(creds[2].client_secret).toBe('web-secret-1');
    await expectApplyWritesNothing(out);
  });

  it('a vault the node does not have, or a config its schema refuses, stops apply before any write', async () => {
    const bad = write(
      'bad-vault.yaml',
      `_format_version: "3.0"\nvaults:\n- name: hcv\n  prefix: hashi\n  config:\n    token: t\n- name: env\n  prefix: typo-env\n  config:\n    prefx: APP_\n`,
    );
    const r = await runCli(['apply', '-f', bad, ...addr()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:9: error: vaults[0]: name: vault 'hcv' is not installed on this Kong 3.4.2`);
    expect(r.stderr).toContain(`${bad}:10:5: error: vaults[1]: config.prefx: unknown field (did you mean 'prefix'?)`);
    expect(writes()).toBe(0);
  });

  it('redirect URIs Kong\'s validator refuses are refused offline, each at its line', async () => {
    const bad = write(
      'bad-redirects.yaml',
      `_format_version: "3.0"
consumers:
- username: erin
  oauth2_credentials:
  - name: erin-app
    client_id: erin-app
    redirect_uris:
    - https://erin.example/cb
    - erin.example/cb
    - https://erin.example/cb#top
    - https://erin.example/cb?next=%23
`,
    );
    const r = await runCli(['validate', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:9:7: error: consumers[0].oauth2_credentials[0]: redirect_uris[1]: cannot parse 'erin.example/cb'`);
    expect(r.stderr).toContain(`${bad}:10:7: error: consumers[0].oauth2_credentials[0]: redirect_uris[2]: fragment not allowed in 'https://erin.example/cb#top'`);
    expect(r.stderr.match(/error:/g)).toHaveLength(2);
  });

  it('an oauth2 credential without client_id is refused offline: Kong would make a new one on every apply', async () => {
    const bad = write('no-client-id.yaml', '_format_version: "3.0"\nconsumers:\n- username: dave\n  oauth2_credentials:\n  - name: dave-app\n');
    const r = await runCli(['validate', '-f', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${bad}:5:5: error: consumers[0].oauth2_credentials[0]: an oauth2 credential needs a client_id or an id: Kong would generate a new client_id on every apply`,
    );
  });
});
