/**
 * A pipeline that ran decK keeps its connection settings when it switches to kong-ctl: decK's
 * DECK_* variables and flag spellings are read, and kong-ctl's own win over them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { connectionFrom, type GlobalOptions } from '../../../cli/src/commands/options';
import { nockSession } from './nock-session';
import { runCli } from './run-cli';

const ROOT = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'fixtures', 'kong-admin', '3.4.2-postgres', '001_GET_root.json'), 'utf8'),
).response.body;

const base: GlobalOptions = { file: [], selectTag: [], header: [], output: 'text', mask: true, color: true };

const session = nockSession('kong-ctl-deck-settings-');

describe("decK's connection settings", () => {
  it('reads DECK_KONG_ADDR, DECK_HEADERS, DECK_TLS_SKIP_VERIFY, DECK_TIMEOUT and DECK_CA_CERT_FILE', () => {
    const env = {
      DECK_KONG_ADDR: 'https://kong.internal:8444',
      DECK_HEADERS: 'Kong-Admin-Token:s3cret  X-Team:platform',
      DECK_TLS_SKIP_VERIFY: 'true',
      DECK_TIMEOUT: '30',
      DECK_CA_CERT_FILE: '/etc/ssl/kong-ca.pem',
    };
    expect(connectionFrom(base, env)).toEqual({
      kongAddr: 'https://kong.internal:8444',
      headers: ['Kong-Admin-Token:s3cret', 'X-Team:platform'],
      caCert: '/etc/ssl/kong-ca.pem',
      tlsSkipVerify: true,
      timeoutSeconds: 30,
    });
    expect(connectionFrom(base, { DECK_TLS_SKIP_VERIFY: 'false' }).tlsSkipVerify).toBe(false);
    expect(connectionFrom(base, {})).toMatchObject({ kongAddr: 'http://localhost:8001', headers: [], tlsSkipVerify: false, timeoutSeconds: undefined });
  });

  it('reads mutual TLS and the server name from decK\'s variables and flag spellings, kong-ctl\'s own winning', () => {
    const env = {
      DECK_TLS_CLIENT_CERT_FILE: '/etc/kong-ctl/client.crt',
      DECK_TLS_CLIENT_KEY_FILE: '/etc/kong-ctl/client.key',
      DECK_TLS_SERVER_NAME: 'kong-admin.internal',
    };
    expect(connectionFrom(base, env)).toMatchObject({
      tlsClientCert: '/etc/kong-ctl/client.crt',
      tlsClientKey: '/etc/kong-ctl/client.key',
      tlsServerName: 'kong-admin.internal',
    });
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(connectionFrom(base, { ...env, DECK_TLS_CLIENT_CERT: pem }).tlsClientCert).toBe(pem);
    const flags = { ...base, tlsClientCertFile: 'deck.crt', tlsClientKeyFile: 'deck.key', tlsServerName: 'admin.example' };
    expect(connectionFrom(flags, env)).toMatchObject({ tlsClientCert: 'deck.crt', tlsClientKey: 'deck.key', tlsServerName: 'admin.example' });
    expect(connectionFrom({ ...flags, tlsClientCert: 'mine.crt', tlsClientKey: 'mine.key' }, env)).toMatchObject({ tlsClientCert: 'mine.crt', tlsClientKey: 'mine.key' });
  });

  it("reads decK's config file, $HOME/.deck.yaml or --config, below the DECK_* variables", () => {
    const home = join(session.dir(), 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(home, '.deck.yaml'),
      'kong-addr: https://kong.from-file:8444\nheaders:\n- Kong-Admin-Token:file\ntls-skip-verify: true\ntimeout: 20\nca-cert-file: /etc/file-ca.pem\nkonnect-addr: https://ignored\n',
    );
    expect(connectionFrom(base, { HOME: home })).toEqual({
      kongAddr: 'https://kong.from-file:8444',
      headers: ['Kong-Admin-Token:file'],
      caCert: '/etc/file-ca.pem',
      tlsSkipVerify: true,
      timeoutSeconds: 20,
    });
    // A DECK_* variable outranks the file, and DECK_HEADERS replaces its list, as viper does.
    expect(
      connectionFrom(base, { HOME: home, DECK_KONG_ADDR: 'http://env:8001', DECK_HEADERS: 'X-From:env', DECK_TLS_SKIP_VERIFY: 'false' }),
    ).toMatchObject({ kongAddr: 'http://env:8001', headers: ['X-From:env'], tlsSkipVerify: false, timeoutSeconds: 20 });
    // Flags outrank everything.
    expect(connectionFrom({ ...base, kongAddr: 'http://flag:8001', timeout: '3' }, { HOME: home })).toMatchObject({ kongAddr: 'http://flag:8001', timeoutSeconds: 3 });

    const named = session.write('team.deck.json', JSON.stringify({ 'kong-addr': 'http://named:8001', headers: 'A:1 B:2' }));
    expect(connectionFrom({ ...base, config: named }, { HOME: home })).toMatchObject({ kongAddr: 'http://named:8001', headers: ['A:1', 'B:2'] });
    expect(connectionFrom(base, {})).toMatchObject({ kongAddr: 'http://localhost:8001' });
  });

  it('refuses a decK config file that is missing, broken or mistyped, naming it', () => {
    expect(() => connectionFrom({ ...base, config: join(session.dir(), 'nope.yaml') }, {})).toThrow(
      expect.objectContaining({ code: 'E_FILE_READ', message: expect.stringContaining(`cannot read the decK config file ${join(session.dir(), 'nope.yaml')}`) }),
    );
    const broken = session.write('broken.yaml', 'kong-addr: http://x\nheaders: [a\n');
    expect(() => connectionFrom({ ...base, config: broken }, {})).toThrow(expect.objectContaining({ code: 'E_USAGE', message: expect.stringMatching(new RegExp(`^${broken}:3:1: invalid YAML/JSON`)) }));
    const mistyped = session.write('mistyped.yaml', 'headers: {a: 1}\n');
    expect(() => connectionFrom({ ...base, config: mistyped }, {})).toThrow(
      expect.objectContaining({ message: `${mistyped}: headers must be a list of 'Name:value' strings` }),
    );
  });

  it('uses the config file end to end: dump reaches the Kong it names', async () => {
    const cfg = session.write('ci.deck.yaml', 'kong-addr: http://kong-from-config.test:8001\nheaders: [Kong-Admin-Token:cfg]\n');
    nock('http://kong-from-config.test:8001', { reqheaders: { 'kong-admin-token': 'cfg' } })
      .get('/')
      .reply(200, ROOT);
    const r = await runCli(['ping', '--config', cfg]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('3.4.2');
  });

  it("lets kong-ctl's own flags and variables win, headers of one name included", () => {
    const env = { DECK_KONG_ADDR: 'http://deck:8001', DECK_HEADERS: 'Kong-Admin-Token:old', KONG_CTL_HEADERS: 'Kong-Admin-Token: newer', DECK_TIMEOUT: '30' };
    const o = { ...base, kongAddr: 'http://kong-ctl:8001', header: ['Kong-Admin-Token: newest'], timeout: '5', caCert: 'mine.pem', caCertFile: 'deck.pem' };
    expect(connectionFrom(o, env)).toMatchObject({
      kongAddr: 'http://kong-ctl:8001',
      headers: ['Kong-Admin-Token:old', 'Kong-Admin-Token: newer', 'Kong-Admin-Token: newest'],
      timeoutSeconds: 5,
      caCert: 'mine.pem',
    });
  });

  it('a command run with only decK variables talks to that Kong with those headers', async () => {
    nock('http://kong-from-deck.test:8001', { reqheaders: { 'kong-admin-token': 's3cret', 'x-team': 'platform' } }).get('/').reply(200, ROOT);
    const r = await runCli(['ping'], { env: { DECK_KONG_ADDR: 'http://kong-from-deck.test:8001', DECK_HEADERS: 'Kong-Admin-Token:s3cret X-Team:platform' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Kong 3.4.2');
  });

  it("takes decK's --headers a:1,b:2 and --ca-cert-file spellings", async () => {
    nock('http://kong.test:8001', { reqheaders: { a: '1', b: '2', c: '3' } }).get('/').reply(200, ROOT);
    const r = await runCli(['ping', '--kong-addr', 'http://kong.test:8001', '--headers', 'a:1,b:2', '--headers', 'c:3']);
    expect(r.code, r.stderr).toBe(0);
    const missing = await runCli(['ping', '--kong-addr', 'https://kong.test:8444', '--ca-cert-file', '/no/such/ca.pem']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read --ca-cert /no/such/ca.pem');
  });

  it("takes decK's --no-mask-deck-env-vars-value as --no-mask", async () => {
    const text = '_format_version: "3.0"\nservices:\n- name: ${{ env "DECK_SVC_NAME" }}\n  host: orders.internal\n';
    const env = { DECK_SVC_NAME: 'not valid' };
    const masked = await runCli(['validate', '-f', '-'], { stdin: text, env });
    expect(masked.code).toBe(1);
    expect(masked.stderr).toContain("invalid value '[masked]'");
    for (const flag of ['--no-mask', '--no-mask-deck-env-vars-value']) {
      const shown = await runCli(['validate', '-f', '-', flag], { stdin: text, env });
      expect(shown.code).toBe(1);
      expect(shown.stderr).toContain("invalid value 'not valid'");
    }
  });
});
