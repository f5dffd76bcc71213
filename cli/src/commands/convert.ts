import type { Command } from 'commander';
import { convertLegacyFile, type Located } from '../convert/convert';
import { createAdminClient } from '../kong/client';
import { readSources } from '../desired/sources';
import { KongCtlError, formatDiagnostic } from '../model/errors';
import { addConnectionOptions, collect, connectionFrom, type GlobalOptions } from './options';
import { desiredSchemas, loadValidated, validateAgainstKong, type LoadedDesired } from './desired';
import { assertSupportedKong, getKongInfo } from '../current/fetch';
import { isStdout, write, writeOutput, type Io, type Outcome } from './context';

interface ConvertOpts extends GlobalOptions {
  outputFile?: string;
  online?: boolean;
}

/**
 * `kong-ctl convert`: a Kong 2.x decK file (`_format_version` "1.1"/"2.1", or none) made a Kong 3.x one,
 * by the rules Kong's own migration follows, edited in place so comments and layout stay; then
 * the result is validated (offline, or by the node's schemas with --online), so what is left to
 * do by hand is listed with its line.
 */
export function registerConvert(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(
    program
      .command('convert')
      .description('convert a Kong 2.x decK file (_format_version "1.1", "2.1" or none) to _format_version "3.0", then validate it')
      .option('-f, --file <path>', 'the file to convert ("-" reads stdin)', collect, []),
  )
    .option('-o, --output-file <file>', 'write to FILE (may be the input itself) instead of stdout')
    .option('--online', 'validate the result against the Kong at --kong-addr: its plugins and their configs too (reads only)')
    .action((opts: ConvertOpts) => done(convert(opts, io)));
}

function line(file: string, l: Located, severity?: 'error' | 'warning'): string {
  return `${file}:${l.line}:${l.column}: ${severity ? `${severity}: ` : ''}${l.path ? `${l.path}: ` : ''}${l.message}`;
}

async function convert(opts: ConvertOpts, io: Io): Promise<Outcome> {
  if (opts.file.length !== 1) throw new KongCtlError('E_USAGE', 'convert takes one file: -f FILE (or -f - for stdin)');
  const read = await readSources(opts.file, io.readStdin);
  if (read.diagnostics.length) throw new KongCtlError('E_FILE_READ', read.diagnostics.map((d) => d.message).join('; '));
  if (read.sources.length !== 1) throw new KongCtlError('E_USAGE', `convert takes one file, and ${opts.file[0]} holds ${read.sources.length}`);
  const src = read.sources[0];
  const result = convertLegacyFile(src);

  for (const w of result.warnings) write(io.stderr, line(src.name, w, 'warning'));
  if (result.status === 'refused') {
    for (const e of result.errors) write(io.stderr, line(src.name, e, 'error'));
    write(io.stderr, `${src.name} was not converted; nothing was written.`);
    return 'invalid';
  }
  if (result.status === 'current') {
    write(io.stderr, `${src.name} already has _format_version "3.0": nothing to convert.`);
    writeOutput(io, opts.outputFile, result.text, `Wrote ${opts.outputFile} unchanged.`);
    return 'ok';
  }

  for (const c of result.changes) write(io.stderr, line(src.name, c));
  const out = isStdout(opts.outputFile) ? '<stdout>' : opts.outputFile!;
  const checked = await validateConverted(out, result.text, opts, io);
  const n = result.changes.length;
  const layout = result.layoutKept ? '' : ' Its comments are kept, but not all of its layout: the edits could not all be made in place.';
  write(io.stderr, `Converted ${src.name} to _format_version "3.0" with ${n} change${n === 1 ? '' : 's'}.${layout}`);
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
