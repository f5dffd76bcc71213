/**
 * Plugin settings Kong 2.x accepted and Kong 3.x refuses, with what each becomes. From Kong's
 * 3.0 upgrade notes ("Deprecations and changed parameters") and decK's `file convert`; only
 * changes that keep the plugin's behaviour are made here, the rest is left to `validate`.
 * And one setting a declarative file must hold that Kong generates otherwise (`AUTO_FIELDS`).
 */
import { randomInt } from 'node:crypto';

export interface RenamedField {
  plugins: readonly string[];
  from: string;
  to: string;
  why: string;
}

export interface RemovedField {
  plugins: readonly string[] | 'all';
  /** Under `config`, or on the plugin itself. */
  where: 'config' | 'plugin';
  field: string;
  why: string;
}

export const RENAMED_CONFIG_FIELDS: readonly RenamedField[] = [
  ...['whitelist', 'blacklist'].map((from) => ({
    plugins: ['acl', 'bot-detection', 'ip-restriction'],
    from,
    to: from === 'whitelist' ? 'allow' : 'deny',
    why: `Kong 3.0 removed the deprecated ${from}`,
  })),
  {
    plugins: ['pre-function', 'post-function'],
    from: 'functions',
    to: 'access',
    why: 'Kong 3.0 removed the deprecated functions, which ran in the access phase',
  },
];

export const REMOVED_FIELDS: readonly RemovedField[] = [
  { plugins: 'all', where: 'plugin', field: 'run_on', why: 'Kong 2.1 removed it: it only ever mattered to the retired service mesh' },
  { plugins: ['aws-lambda'], where: 'config', field: 'proxy_scheme', why: 'Kong 3.0 removed it (the proxy URL carries the scheme)' },
];

export interface AutoField {
  plugins: readonly string[];
  /** Under `config`. */
  field: string;
  generate: () => string;
  why: string;
}

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** decK's `randomString(32)` (crypto randomness, letters and digits). */
function randomNamespace(): string {
  let out = '';
  for (let i = 0; i < 32; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/**
 * Settings Kong generates when a plugin is created without them (`auto` in its schema), which a
 * declarative file must therefore fix, as decK's convert does (`generateAutoFields`, run on every
 * 2.x → 3.x conversion). rate-limiting-advanced's `namespace` keys its counters: left out, every
 * DB-less node generates its own at every load, and the nodes stop sharing their counts. A
 * plugin without a `config` is left as it is, as decK does.
 */
export const AUTO_FIELDS: readonly AutoField[] = [
  {
    plugins: ['rate-limiting-advanced'],
    field: 'namespace',
    generate: randomNamespace,
    why:
      "as decK's convert does: where a file leaves it out, Kong generates one, a new one at every load of a DB-less node, whose nodes then stop sharing counters; " +
      "to keep this plugin's counters, put the namespace your Kong 2.x shows for it instead",
  },
];

/** http-log: Kong 3.0 takes one string per header name where 2.x took an array of values. */
export const SINGLE_VALUE_HEADERS = { plugin: 'http-log', field: 'headers' } as const;

export function appliesTo(plugins: readonly string[] | 'all', name: unknown): boolean {
  return plugins === 'all' || (typeof name === 'string' && plugins.includes(name));
}
