/**
 * The file side of every command: load, then validate offline. Problems are listed, all of
 * them, before anything talks to Kong, so an invalid file never causes a single write.
 */
import { loadDesired, type DesiredResult, type LoadOptions } from '../desired/load';
import { validateDesired } from '../desired/validate';
import { formatDiagnostic, KongCtlError, type Diagnostic } from '../model/errors';
import { maskSecrets } from '../desired/mask';
import type { Io } from './context';
import { write } from './context';
import type { GlobalOptions } from './options';

export interface LoadedDesired {
  result: DesiredResult;
  diagnostics: Diagnostic[];
  errors: number;
}

export async function loadAndValidate(opts: GlobalOptions, io: Io): Promise<LoadedDesired> {
  if (!opts.file.length) {
    throw new KongCtlError('E_USAGE', 'no declarative file given: use -f FILE (repeatable, a directory, or - for stdin)');
  }
  return loadValidated({ files: opts.file, env: io.env, selectTags: opts.selectTag, readStdin: io.readStdin });
}

/** The file side as every command (and bench:ctl) runs it: load, validate, then let go of the parse trees. */
export async function loadValidated(options: LoadOptions): Promise<LoadedDesired> {
  const result = await loadDesired(options);
  // validateDesired returns the loader's own diagnostics too, sorted by file and position.
  const diagnostics = validateDesired(result);
  const errors = diagnostics.filter((d) => d.severity !== 'warning').length;
  // Every entity already carries its file:line; the YAML documents (hundreds of MB for a file of
  // 35k entities) are not needed once validation is done, and reading Kong comes next.
  if (!errors) for (const f of result.files) {
    f.doc = undefined;
    f.content = undefined;
  }
  return { result, diagnostics, errors };
}

/** Diagnostics go to stderr as `file:line:col: error: path: message`, secrets masked. */
export function printDiagnostics(loaded: LoadedDesired, io: Io, mask: boolean): void {
  const secrets = mask ? loaded.result.secrets : [];
  for (const d of loaded.diagnostics) write(io.stderr, maskSecrets(formatDiagnostic(d), secrets));
  if (loaded.errors) {
    const files = loaded.result.files.length;
    write(io.stderr, `${loaded.errors} problem${loaded.errors === 1 ? '' : 's'} found in ${files} file${files === 1 ? '' : 's'}; nothing was sent to Kong.`);
  }
}

export function diagnosticsJson(loaded: LoadedDesired, mask: boolean): Record<string, unknown> {
  const secrets = mask ? loaded.result.secrets : [];
  return {
    format_version: 1,
    valid: loaded.errors === 0,
    problems: loaded.diagnostics.map((d) => ({
      severity: d.severity ?? 'error',
      message: maskSecrets(d.message, secrets),
      ...(d.source ? { file: d.source.file, line: d.source.line, column: d.source.column, path: d.source.path } : {}),
    })),
  };
}
