import { InvalidArgumentError, Option, type Command } from 'commander';
import { convertFile, type ConvertResult, type Located, type SourceFormat } from '../convert/convert';
import { createAdminClient } from '../kong/client';
import { readSources } from '../desired/sources';
import { KongCtlError, formatDiagnostic } from '../model/errors';
import { addConnectionOptions, collect, connectionFrom, type GlobalOptions } from './options';
import { desiredSchemas, loadValidated, validateAgainstKong, type LoadedDesired } from './desired';
import { assertSupportedKong, getKongInfo } from '../current/fetch';
import { isStdout, write, writeOutput, type Io, type Outcome } from './context';

/** `--to`: decK's names of what convert writes (`deck file convert --to`). */
const TARGETS = ['kong-gateway-3.x', '3.14'] as const;
/** `--from`: decK's names of what convert reads; 3.10 is decK's only source for `--to 3.14`. */
const SOURCES = ['kong-gateway-2.x', 'kong-gateway-3.x', '3.10'] as const;
type Target = (typeof TARGETS)[number];
type Source = (typeof SOURCES)[number];

interface ConvertOpts extends GlobalOptions {
  outputFile?: string;
  online?: boolean;
  to?: Target;
  from?: Source;
  /** decK's spelling of -f. */
  inputFile?: string;
}

/** A `--to`/`--from` value, in any case as decK takes it; anything else says what is offered. */
function formatOf<T extends string>(flag: string, choices: readonly T[], what: string): (value: string) => T {
  return (value) => {
    const v = value.toLowerCase() as T;
    if (!choices.includes(v)) throw new InvalidArgumentError(`${flag} ${value}: convert ${what}`);
    return v;
  };
}

/**
 * `kong-ctl convert`: a Kong 2.x decK file (`_format_version` "1.1"/"2.1", or none) made a Kong 3.x one,
 * by the rules Kong's own migration follows, edited in place so comments and layout stay; then
 * the result is validated (offline, or by the node's schemas with --online), so what is left to
 * do by hand is listed with its line. With `--to 3.14` (decK's `--from 3.10 --to 3.14`), a
 * Kong 3.x file gets the defaults Kong 3.14 made secure pinned to their old values, in place too.
 */
export function registerConvert(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(
    program
      .command('convert')
      .description(
        'convert a Kong 2.x decK file (_format_version "1.1", "2.1" or none) to _format_version "3.0", or with --to 3.14 pin the defaults Kong 3.14 made secure to their old values; then validate it',
      )
      .option('-f, --file <path>', 'the file to convert ("-" reads stdin)', collect, []),
  )
    .option('--input-file <path>', "decK's spelling of -f")
    .option('-o, --output-file <file>', 'write to FILE (may be the input itself) instead of stdout')
    .addOption(
      new Option('--to <format>', 'kong-gateway-3.x (the default: a Kong 2.x file made a Kong 3.x one) or 3.14 (pin the old values of the defaults Kong 3.14 made secure)')
        .choices(TARGETS)
        .argParser(formatOf('--to', TARGETS, 'writes kong-gateway-3.x (a Kong 2.x file made a Kong 3.x one, the default) or 3.14 (the defaults Kong 3.14 made secure pinned to their old values)')),
    )
    .addOption(
      new Option('--from <format>', 'what the file is, checked against its _format_version: kong-gateway-2.x, or kong-gateway-3.x (3.10, as decK names it) with --to 3.14')
        .choices(SOURCES)
        .argParser(formatOf('--from', SOURCES, 'reads kong-gateway-2.x (_format_version "1.1", "2.1" or none) or kong-gateway-3.x ("3.0"; decK\'s 3.10)')),
    )
    .option('--online', 'validate the result against the Kong at --kong-addr: its plugins and their configs too (reads only)')
    .action((opts: ConvertOpts) => done(convert(opts, io)));
}

/** `--from`/`--to` as the conversion to make; a pair decK would refuse is refused too. */
function conversionOf(opts: ConvertOpts): { pin314: boolean; from?: SourceFormat } {
  const from: SourceFormat | undefined = opts.from === undefined ? undefined : opts.from === 'kong-gateway-2.x' ? 'kong-gateway-2.x' : 'kong-gateway-3.x';
  if (opts.to === '3.14') return { pin314: true, from };
  if (from === 'kong-gateway-3.x') {
    throw new KongCtlError(
      'E_USAGE',
      `--from ${opts.from} goes with --to 3.14 (the defaults Kong 3.14 made secure pinned): a Kong 3.x file has nothing else to convert`,
    );
  }
  return { pin314: false, from };
}

function line(file: string, l: Located, severity?: 'error' | 'warning'): string {
  return `${file}:${l.line}:${l.column}: ${severity ? `${severity}: ` : ''}${l.path ? `${l.path}: ` : ''}${l.message}`;
}

async function convert(opts: ConvertOpts, io: Io): Promise<Outcome> {
  const files = opts.inputFile === undefined ? opts.file : [...opts.file, opts.inputFile];
  if (files.length !== 1) throw new KongCtlError('E_USAGE', 'convert takes one file: -f FILE (or -f - for stdin)');
  const conversion = conversionOf(opts);
  const read = await readSources(files, io.readStdin);
  if (read.diagnostics.length) throw new KongCtlError('E_FILE_READ', read.diagnostics.map((d) => d.message).join('; '));
  if (read.sources.length !== 1) throw new KongCtlError('E_USAGE', `convert takes one file, and ${files[0]} holds ${read.sources.length}`);
  const src = read.sources[0];
  const result = convertFile(src, conversion);

  for (const w of result.warnings) write(io.stderr, line(src.name, w, 'warning'));
  if (result.status === 'refused') {
    for (const e of result.errors) write(io.stderr, line(src.name, e, 'error'));
    write(io.stderr, `${src.name} was not converted; nothing was written.`);
    return 'invalid';
  }
  if (result.status === 'current') {
    write(
      io.stderr,
      conversion.pin314
        ? `${src.name} already sets every value whose default Kong 3.14 made secure, or leaves it to the new default: nothing to pin.`
        : `${src.name} already has _format_version "3.0": nothing to convert.`,
    );
    writeOutput(io, opts.outputFile, result.text, `Wrote ${opts.outputFile} unchanged.`);
    return 'ok';
  }

  for (const c of [...result.changes, ...result.pins]) write(io.stderr, line(src.name, c));
  const out = isStdout(opts.outputFile) ? '<stdout>' : opts.outputFile!;
  const checked = await validateConverted(out, result.text, opts, io);
  const layout = result.layoutKept ? '' : ' Its comments are kept, but not all of its layout: the edits could not all be made in place.';
  const said = summary(src.name, out, result);
  said[0] += layout;
  for (const s of said) write(io.stderr, s);
  // Written even when problems remain: they are the user's to fix, in this very file.
  writeOutput(io, opts.outputFile, result.text, `Wrote ${opts.outputFile}.`);
  for (const d of checked.loaded.diagnostics) write(io.stderr, formatDiagnostic(d));
  const errors = checked.loaded.errors;
  if (errors) {
    write(io.stderr, `${errors} problem${errors === 1 ? '' : 's'} above ${errors === 1 ? 'is' : 'are'} left for you to fix in ${out}: ${checked.judge} would refuse it as it is.`);
    return 'invalid';
  }
  const more = opts.online ? '' : "; --online also checks its plugins' configs against your Kong";
  write(io.stderr, `${out} is valid for ${checked.judge}${more}.`);
  return 'ok';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What was done, and the pins that keep TLS verification off: each to review, at its line in the new file. */
function summary(name: string, out: string, r: Extract<ConvertResult, { status: 'converted' }>): string[] {
  const lines: string[] = [];
  if (r.changes.length) lines.push(`Converted ${name} to _format_version "3.0" with ${plural(r.changes.length, 'change')}.`);
  if (!r.pins.length) return lines;
  lines.push(
    `Pinned ${plural(r.pins.length, 'value')} in ${name} to what Kong before 3.14 defaulted to, so that Kong 3.14 keeps behaving as it did ` +
      '(and `kong-ctl diff` shows no update for them); each pin is yours to keep or to remove for the new secure default.',
  );
  if (r.review.length) {
    lines.push(
      `${plural(r.review.length, 'pin')} keep${r.review.length === 1 ? 's' : ''} TLS certificate verification off, which is insecure: ` +
        'review each one below, and remove it where the upstream or server has a certificate Kong can verify:',
    );
    for (const l of r.review) lines.push(`  ${out}:${l.line}:${l.column}: ${l.path}: false`);
  }
  return lines;
}

/** The converted text validated as `validate` would, by the offline checks or the node's schemas. */
async function validateConverted(name: string, text: string, opts: ConvertOpts, io: Io): Promise<{ loaded: LoadedDesired; judge: string }> {
  const loaded = await loadValidated(
    { files: [], sources: [{ name, text }], env: io.env },
    { unsetEnvAllowed: true, deferBaseline: Boolean(opts.online) },
  );
  const offline = 'Kong 3.x (offline checks)';
  if (!opts.online || loaded.errors) return { loaded, judge: offline };
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const info = await getKongInfo(client);
    assertSupportedKong(info, client.baseUrl);
    const checked = validateAgainstKong(loaded, { version: info.version, routerFlavor: info.routerFlavor, schemas: await desiredSchemas(client, loaded.result) });
    return { loaded: checked, judge: `Kong ${info.version} at ${client.baseUrl}` };
  } finally {
    client.close();
  }
}
