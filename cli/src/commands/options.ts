/**
 * Options shared by every command, and their environment fallbacks. Connection options follow
 * decK's names where decK has one, so a team can switch without relearning flags.
 */
import { Command, Option } from 'commander';
import type { ConnectionOptions } from '../kong/types';
import { readDeckConfig } from './deck-config';

export interface GlobalOptions {
  file: string[];
  selectTag: string[];
  /** Undefined when neither --kong-addr nor KONG_ADDR gives it (connectionFrom then falls back). */
  kongAddr?: string;
  header: string[];
  /** decK's `--headers a:1,b:2`. */
  headers?: string[];
  /** decK's `--ca-cert-file`. */
  caCertFile?: string;
  caCert?: string;
  tlsSkipVerify?: boolean;
  tlsClientCert?: string;
  tlsClientKey?: string;
  /** decK's `--tls-client-cert-file` / `--tls-client-key-file`. */
  tlsClientCertFile?: string;
  tlsClientKeyFile?: string;
  tlsServerName?: string;
  /** decK's `--config` file (default: $HOME/.deck.yaml when it exists). */
  config?: string;
  timeout?: string;
  output: 'text' | 'json' | 'markdown';
  mask: boolean;
  color: boolean;
  skipConsumers?: boolean;
  skipCaCertificates?: boolean;
  /** false with `--no-deletes` (commander's negated flag). */
  deletes?: boolean;
}

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addFileOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'declarative file or directory (repeatable; "-" reads stdin)', collect, [])
    .option('--select-tag <tag>', 'only manage entities carrying this tag (repeatable)', collect, []);
}

/** diff, apply and dump: what the run manages besides the select tags. */
export function addScopeOptions(cmd: Command): Command {
  return cmd
    .option('--skip-consumers', 'leave consumers, their credentials and consumer-scoped plugins alone: not read, compared, written, deleted or dumped')
    .option('--skip-ca-certificates', 'leave CA certificates alone (managed elsewhere): not read, compared, written, deleted or dumped');
}

/** diff and apply: `--no-deletes`, decK's `gateway apply`. */
export function addNoDeletesOption(cmd: Command): Command {
  return cmd.option('--no-deletes', 'create and update only: keep live entities the files do not name (decK\'s `gateway apply`)');
}

export const DEFAULT_KONG_ADDR = 'http://localhost:8001';

/** pflag's StringSlice (decK's `--headers`): comma-separated, repeatable. */
function collectCsv(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter((v) => v.trim() !== '')];
}

/**
 * decK's spellings are accepted too (hidden `--headers`, `--ca-cert-file`, and the DECK_*
 * environment variables below), so a pipeline that ran decK keeps its settings when it
 * switches to kong-ctl. kong-ctl's own flags and variables win over decK's.
 */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--kong-addr <url>', `Kong Admin API address (default: ${DEFAULT_KONG_ADDR}, or DECK_KONG_ADDR)`).env('KONG_ADDR'),
    )
    .option('-H, --header <header>', "extra header for every Admin API request, e.g. 'Kong-Admin-Token: …' (repeatable)", collect, [])
    .addOption(new Option('--headers <headers>', "decK's spelling: headers separated by commas").argParser(collectCsv).default([]).hideHelp())
    .addOption(new Option('--ca-cert <file>', 'PEM file of CA certificates to trust').env('KONG_CTL_CA_CERT'))
    .addOption(new Option('--ca-cert-file <file>', "decK's spelling of --ca-cert").hideHelp())
    .addOption(new Option('--tls-skip-verify', 'do not verify the Admin API TLS certificate').env('KONG_CTL_TLS_SKIP_VERIFY'))
    .addOption(new Option('--tls-client-cert <file>', 'PEM client certificate, for an Admin API that wants mutual TLS').env('KONG_CTL_TLS_CLIENT_CERT'))
    .addOption(new Option('--tls-client-key <file>', 'PEM private key of --tls-client-cert').env('KONG_CTL_TLS_CLIENT_KEY'))
    .addOption(new Option('--tls-client-cert-file <file>', "decK's spelling of --tls-client-cert").hideHelp())
    .addOption(new Option('--tls-client-key-file <file>', "decK's spelling of --tls-client-key").hideHelp())
    .addOption(new Option('--tls-server-name <name>', 'name for SNI and the certificate check, when --kong-addr does not carry it'))
    .addOption(new Option('--config <file>', "decK's config file to read connection settings from (default: $HOME/.deck.yaml, when it exists)"))
    .addOption(new Option('--timeout <seconds>', 'timeout of one Admin API request (default: 10)').env('KONG_CTL_TIMEOUT'));
}

/** `formats`: diff adds `markdown` (a pull-request comment). */
export function addOutputOptions(cmd: Command, formats: string[] = ['text', 'json']): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format').choices(formats).default('text'))
    .option('--no-mask', 'print values substituted from environment variables instead of [masked]')
    .addOption(new Option('--no-mask-deck-env-vars-value', "decK's spelling of --no-mask").hideHelp())
    .option('--no-color', 'never colour the output')
    .hook('preAction', (c) => {
      if (c.getOptionValue('maskDeckEnvVarsValue') === false) c.setOptionValue('mask', false);
    });
}

const isTrue = (v: string | undefined) => v !== undefined && /^(1|t|true)$/i.test(v.trim());

/**
 * Where each setting comes from, first found wins: kong-ctl's flags and variables, decK's flag
 * spellings, decK's DECK_* variables, decK's config file (deck-config.ts), the default.
 */
export function connectionFrom(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  const cfg = readDeckConfig(o.config, env);
  // KONG_CTL_HEADERS: one 'Name: value' per line, for tokens kept out of the command line.
  const envHeaders = (env.KONG_CTL_HEADERS ?? '')
    .split('\n')
    .map((h) => h.trim())
    .filter(Boolean);
  // DECK_HEADERS as decK reads it (viper's string slice from the environment): separated by white space.
  // As in viper, the variable replaces the config file's list rather than adding to it.
  const deckHeaders = env.DECK_HEADERS !== undefined ? env.DECK_HEADERS.split(/\s+/).filter(Boolean) : (cfg.headers ?? []);
  const timeout = o.timeout ?? env.DECK_TIMEOUT ?? cfg.timeout;
  return {
    kongAddr: o.kongAddr ?? env.DECK_KONG_ADDR ?? cfg.kongAddr ?? DEFAULT_KONG_ADDR,
    // Later ones replace earlier ones of the same name: decK's, then kong-ctl's variable, then the flags.
    headers: [...deckHeaders, ...envHeaders, ...(o.headers ?? []), ...o.header],
    caCert: o.caCert ?? o.caCertFile ?? env.DECK_CA_CERT ?? cfg.caCert ?? env.DECK_CA_CERT_FILE ?? cfg.caCertFile,
    tlsSkipVerify: Boolean(o.tlsSkipVerify) || (env.DECK_TLS_SKIP_VERIFY !== undefined ? isTrue(env.DECK_TLS_SKIP_VERIFY) : Boolean(cfg.tlsSkipVerify)),
    tlsClientCert:
      o.tlsClientCert ?? o.tlsClientCertFile ?? env.DECK_TLS_CLIENT_CERT ?? cfg.tlsClientCert ?? env.DECK_TLS_CLIENT_CERT_FILE ?? cfg.tlsClientCertFile,
    tlsClientKey: o.tlsClientKey ?? o.tlsClientKeyFile ?? env.DECK_TLS_CLIENT_KEY ?? cfg.tlsClientKey ?? env.DECK_TLS_CLIENT_KEY_FILE ?? cfg.tlsClientKeyFile,
    tlsServerName: o.tlsServerName ?? env.DECK_TLS_SERVER_NAME ?? cfg.tlsServerName,
    timeoutSeconds: timeout ? Number(timeout) : undefined,
  };
}

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org) or --no-color. */
export function useColor(o: Pick<GlobalOptions, 'color'>, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return o.color !== false && Boolean(stream.isTTY) && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}
