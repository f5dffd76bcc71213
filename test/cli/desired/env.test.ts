import { describe, expect, it } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { maskSecrets, maskValue } from '../../../cli/src/desired/mask';
import { renderEnvTemplate } from '../../../cli/src/desired/template';
import { validateDesired } from '../../../cli/src/desired/validate';
import { formatDiagnostic } from '../../../cli/src/model/errors';
import { brief, sample } from './helpers';

const ENV = {
  DECK_BILLING_HOST: 'billing.internal',
  DECK_BILLING_PORT: '8080',
  KONG_CTL_KEY_HEADER: 'x-billing-key',
  DECK_BILLING_BOT_KEY: 'bot-key-5d1f9a',
  DECK_BILLING_BOT_PASSWORD: 'p@ss: w0rd',
};

function fromStdin(text: string, env: NodeJS.ProcessEnv) {
  return loadDesired({ files: ['-'], env, readStdin: async () => text });
}

describe('${{ env "…" }} templating', () => {
  it('substitutes DECK_ and KONG_CTL_ variables in the text before parsing', async () => {
    const r = await loadDesired({ files: [sample('env.yaml')], env: ENV });
    expect(validateDesired(r)).toEqual([]);
    const byKey = Object.fromEntries(r.state.entities.map((e) => [e.key, e]));
    expect(byKey['service:billing'].fields).toEqual({ name: 'billing', host: 'billing.internal', port: 8080 });
    expect(byKey['plugin:key-auth@service=billing'].fields.config).toEqual({ key_names: ['x-billing-key'] });
    expect(byKey['keyauth_credential:sha256=3502393ab8b02af5'].refs).toEqual({ consumer: 'consumer:billing-bot' });
    expect(byKey['basicauth_credential:billing-bot'].fields.password).toBe('p@ss: w0rd');
  });

  it('records every substituted value as a secret and marks the fields they went into', async () => {
    const r = await loadDesired({ files: [sample('env.yaml')], env: ENV });
    expect(r.secrets.sort()).toEqual(['8080', 'billing.internal', 'bot-key-5d1f9a', 'p@ss: w0rd', 'x-billing-key']);
    expect(Object.fromEntries(r.state.entities.map((e) => [e.key, e.masked]))).toEqual({
      'service:billing': ['host', 'port'],
      'plugin:key-auth@service=billing': ['config.key_names'],
      'consumer:billing-bot': undefined,
      'keyauth_credential:sha256=3502393ab8b02af5': ['key'],
      'basicauth_credential:billing-bot': ['password'],
    });
  });

  it('keeps positions of the file as written after a substitution on the same line', async () => {
    const text = [
      '_format_version: "3.0"',
      'services:',
      '  - { name: s, host: ${{ env "DECK_LONG_HOST_NAME_VARIABLE" }}, port: eighty, retries: -1 }',
      '    # a comment line',
      '  - name: t',
      '    host: ${{ env "DECK_T" }}',
      '    prot: http',
    ].join('\n');
    const r = await fromStdin(text, { DECK_LONG_HOST_NAME_VARIABLE: 'h', DECK_T: 'a-much-longer-value-than-the-expression.internal' });
    expect(validateDesired(r).map(brief)).toEqual([
      '<stdin>:3:71 services[0]: port: expected an integer',
      '<stdin>:3:88 services[0]: retries: value should be between 0 and 32767',
      "<stdin>:7:5 services[1]: prot: unknown field (did you mean 'port'?)",
    ]);
  });

  it('an unset variable, a variable without the prefix and an unsupported expression are reported where written', async () => {
    const r = await loadDesired({ files: [sample('env-unset.yaml')], env: { HOME: '/root' } });
    // The stand-ins (decK's mocked values) keep the file checkable without echo problems.
    expect(validateDesired(r).map(brief)).toEqual([
      "env-unset.yaml:5:14: environment variable 'DECK_OPS_KEY' present in state file but not set",
      "env-unset.yaml:8:19: environment variables in the state file must be prefixed with 'DECK_' or 'KONG_CTL_', found: 'HOME'",
      'env-unset.yaml:11:17: unsupported template expression \'${{ lookup "DECK_X" }}\': only ${{ env "DECK_NAME" }} (optionally | toBool, toInt, toFloat) is supported',
    ]);
    expect(r.secrets).toEqual([]);
    expect(r.state.entities.find((e) => e.kind === 'keyauth_credential')?.fields.key).toBe('DECK_OPS_KEY');
  });

  it('converts with toInt, toBool and toFloat like decK, and reports values that do not convert', async () => {
    const text = [
      '_format_version: "3.0"',
      'services:',
      '  - name: s',
      '    host: s.internal',
      '    port: ${{ env "DECK_PORT" | toInt }}',
      '    enabled: ${{ env "DECK_ON" | toBool }}',
      '    retries: ${{ env "DECK_RETRIES" | toInt }}',
    ].join('\n');
    const ok = await fromStdin(text, { DECK_PORT: '0443', DECK_ON: 'F', DECK_RETRIES: '2' });
    expect(ok.state.entities[0].fields).toEqual({ name: 's', host: 's.internal', port: 443, enabled: false, retries: 2 });
    const bad = await fromStdin(text, { DECK_PORT: 'https', DECK_ON: 'yes', DECK_RETRIES: '2' });
    expect(validateDesired(bad).map(brief)).toEqual([
      `<stdin>:5:11: toInt(env "DECK_PORT"): 'https' is not an integer`,
      `<stdin>:6:14: toBool(env "DECK_ON"): 'yes' is not a boolean`,
    ]);
  });

  it('renders comments to nothing and leaves text without templates alone', () => {
    expect(renderEnvTemplate('a: 1 ${{/* note */}}\n', {}).text).toBe('a: 1 \n');
    const plain = 'a: "${ not a template }"\n';
    expect(renderEnvTemplate(plain, {})).toEqual({ text: plain, substitutions: [], problems: [] });
  });
});

describe('masking', () => {
  it('masks every substituted value in printed diagnostics and JSON trees', async () => {
    const text = [
      '_format_version: "3.0"',
      'consumers:',
      '  - username: bot',
      '    basicauth_credentials:',
      '      - username: bot',
      '        password: ${{ env "DECK_PW" }}',
      '        passwd: ${{ env "DECK_PW" }}',
    ].join('\n');
    const r = await fromStdin(text, { DECK_PW: 'hunter22' });
    const printed = validateDesired(r).map(formatDiagnostic).join('\n');
    expect(printed).toBe("<stdin>:7:9: error: consumers[0].basicauth_credentials[0]: passwd: unknown field (did you mean 'password'?)");
    const cred = r.state.entities.find((e) => e.kind === 'basicauth_credential');
    expect(maskValue(cred?.fields, r.secrets)).toEqual({ username: 'bot', password: '[masked]', passwd: '[masked]' });
    expect(maskSecrets(JSON.stringify(cred?.fields), r.secrets)).toBe('{"username":"bot","password":"[masked]","passwd":"[masked]"}');
  });

  it('masks longest secrets first, and short ones only where they stand alone', () => {
    expect(maskSecrets('token=abc123 and abc', ['abc', 'abc123'])).toBe('token=[masked] and [masked]');
    expect(maskSecrets('port 80, 8080, v80', ['80'])).toBe('port [masked], 8080, v80');
    expect(maskSecrets('nothing here', [])).toBe('nothing here');
    expect(maskSecrets('a.b*c', ['.b*'])).toBe('a[masked]c');
    expect(maskValue({ port: 80, list: ['80', 'x80'], ok: true }, ['80'])).toEqual({ port: '[masked]', list: ['[masked]', 'x80'], ok: true });
  });
});
