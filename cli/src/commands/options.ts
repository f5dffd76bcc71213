/**
 * Options shared by every command, and their environment fallbacks. Connection options follow
 * decK's names where decK has one, so a team can switch without relearning flags.
 */
import { Command, Option } from 'commander';
import type { ConnectionOptions } from '../kong/types';

export interface GlobalOptions {
  file: string[];
  selectTag: string[];
  kongAddr: string;
  header: string[];
  caCert?: string;
  tlsSkipVerify?: boolean;
  timeout?: string;
  output: 'text' | 'json';
  mask: boolean;
  color: boolean;
  skipConsumers?: boolean;
  /** false with `--no-deletes` (commander's negated flag). */
  deletes?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addFileOptions(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'declarative file or directory (repeatable; "-" reads stdin)', collect, [])
    .option('--select-tag <tag>', 'only manage entities carrying this tag (repeatable)', collect, []);
}

/** diff, apply and dump: what the run manages besides the select tags. */
export function addScopeOptions(cmd: Command): Command {
  return cmd.option(
    '--skip-consumers',
    'leave consumers, their credentials and consumer-scoped plugins alone: not read, compared, written, deleted or dumped',
  );
}

/** diff and apply: `--no-deletes`, decK's `gateway apply`. */
export function addNoDeletesOption(cmd: Command): Command {
  return cmd.option('--no-deletes', 'create and update only: keep live entities the files do not name (decK\'s `gateway apply`)');
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--kong-addr <url>', 'Kong Admin API address').env('KONG_ADDR').default('http://localhost:8001'),
    )
    .option('-H, --header <header>', "extra header for every Admin API request, e.g. 'Kong-Admin-Token: …' (repeatable)", collect, [])
    .addOption(new Option('--ca-cert <file>', 'PEM file of CA certificates to trust').env('KONG_CTL_CA_CERT'))
    .addOption(new Option('--tls-skip-verify', 'do not verify the Admin API TLS certificate').env('KONG_CTL_TLS_SKIP_VERIFY'))
    .addOption(new Option('--timeout <seconds>', 'timeout of one Admin API request').env('KONG_CTL_TIMEOUT').default('10'));
}

export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--no-mask', 'print values substituted from environment variables instead of [masked]')
    .option('--no-color', 'never colour the output');
}

export function connectionFrom(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env): ConnectionOptions {
  // KONG_CTL_HEADERS: one 'Name: value' per line, for tokens kept out of the command line.
  const envHeaders = (env.KONG_CTL_HEADERS ?? '')
    .split('\n')
    .map((h) => h.trim())
    .filter(Boolean);
  return {
    kongAddr: o.kongAddr,
    headers: [...envHeaders, ...o.header],
    caCert: o.caCert,
    tlsSkipVerify: Boolean(o.tlsSkipVerify),
    timeoutSeconds: o.timeout ? Number(o.timeout) : undefined,
  };
}

/** Colour only on a terminal, never with NO_COLOR (https://no-color.org) or --no-color. */
export function useColor(o: Pick<GlobalOptions, 'color'>, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return o.color !== false && Boolean(stream.isTTY) && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}
