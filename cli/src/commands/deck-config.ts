/**
 * decK's config file, `$HOME/.deck.yaml` (or `.yml`, `.json`) or the one `--config` names, read
 * for what kong-ctl shares with decK: the connection settings. Its keys are decK's flag names
 * (viper binds them), and it ranks below the DECK_* variables, as in decK.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { KongCtlError } from '../model/errors';
import { isPlainObject } from '../desired/kong-schema-check';
import { yamlProblemText } from '../desired/parse';

export interface DeckConfig {
  kongAddr?: string;
  headers?: string[];
  tlsSkipVerify?: boolean;
  tlsServerName?: string;
  caCert?: string;
  caCertFile?: string;
  tlsClientCert?: string;
  tlsClientCertFile?: string;
  tlsClientKey?: string;
  tlsClientKeyFile?: string;
  timeout?: string;
}

const STRING_KEYS: Record<string, keyof DeckConfig> = {
  'kong-addr': 'kongAddr',
  'tls-server-name': 'tlsServerName',
  'ca-cert': 'caCert',
  'ca-cert-file': 'caCertFile',
  'tls-client-cert': 'tlsClientCert',
  'tls-client-cert-file': 'tlsClientCertFile',
  'tls-client-key': 'tlsClientKey',
  'tls-client-key-file': 'tlsClientKeyFile',
  timeout: 'timeout',
};

function defaultFile(env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) return undefined;
  return ['.deck.yaml', '.deck.yml', '.deck.json'].map((n) => join(home, n)).find((f) => existsSync(f));
}

export function readDeckConfig(explicit: string | undefined, env: NodeJS.ProcessEnv): DeckConfig {
  const file = explicit ?? defaultFile(env);
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KongCtlError('E_FILE_READ', `cannot read the decK config file ${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new KongCtlError('E_USAGE', `${file}:${e.linePos?.[0].line ?? 1}:${e.linePos?.[0].col ?? 1}: invalid YAML/JSON: ${yamlProblemText(e.message)}`);
  }
  const raw = doc.toJS() ?? {};
  if (!isPlainObject(raw)) throw new KongCtlError('E_USAGE', `${file}: expected a mapping of decK settings (kong-addr, headers, …)`);
  const out: DeckConfig = {};
  for (const [key, field] of Object.entries(STRING_KEYS)) {
    const v = raw[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' && typeof v !== 'number') throw new KongCtlError('E_USAGE', `${file}: ${key} must be a string, not ${JSON.stringify(v)}`);
    (out as Record<string, unknown>)[field] = String(v);
  }
  const headers = raw.headers;
  if (typeof headers === 'string') out.headers = headers.split(/\s+/).filter(Boolean);
  else if (Array.isArray(headers) && headers.every((h) => typeof h === 'string')) out.headers = headers;
  else if (headers !== undefined && headers !== null) throw new KongCtlError('E_USAGE', `${file}: headers must be a list of 'Name:value' strings`);
  const skip = raw['tls-skip-verify'];
  if (typeof skip === 'boolean') out.tlsSkipVerify = skip;
  else if (typeof skip === 'string') out.tlsSkipVerify = /^(1|t|true)$/i.test(skip.trim());
  return out;
}
