/**
 * The file side of every command: load, then validate offline. Problems are listed, all of
 * them, before anything talks to Kong, so an invalid file never causes a single write.
 *
 * Commands that talk to Kong validate twice. Offline first, against the schemas kong-ctl
 * knows; problems that only a newer Kong or a custom plugin could make right (an unknown
 * field, value or plugin: `Diagnostic.baseline`) are then left to the second pass, which
 * judges the files by the node's own `GET /schemas/…` before anything is planned or written.
 */
import { loadDesired, type DesiredResult, type LoadOptions } from '../desired/load';
import { validateDesired } from '../desired/validate';
import { formatDiagnostic, KongCtlError, type Diagnostic } from '../model/errors';
import { maskSecrets } from '../desired/mask';
import type { Schemas } from '../model/schema';
import type { AdminClient } from '../kong/types';
import { assertSupportedKong, fetchSchemas, getKongInfo, type KongInfo } from '../current/fetch';
import type { Io } from './context';
import { write } from './context';
import type { GlobalOptions } from './options';
import { schemasNeeded } from './gateway';
import { countByKind } from './summary';
import { isSkipped, type SkipScope } from '../kinds';
import { pendingReferences, resolveLiveReferences, type LiveEntities } from '../desired/live-references';
import { fenceFor } from '../output/plan-markdown';

export interface LoadedDesired {
  result: DesiredResult;
  diagnostics: Diagnostic[];
  errors: number;
  /** Baseline problems left for the node's schemas to judge (see the module comment). */
  deferred: number;
  /** Warnings about the run rather than the files (--skip-consumers), kept through the second pass. */
  notes: Diagnostic[];
  /** `--no-deletes`: references the files cannot resolve may name live entities in scope. */
  liveReferences: boolean;
}

export interface ValidateStage {
  /** Leave baseline problems to a second pass against the node's schemas (which needs the parse trees kept). */
  deferBaseline?: boolean;
  /** `--skip-consumers`: once the files are valid, their consumer-bound entities leave the run. */
  skipConsumers?: boolean;
  /** `--skip-ca-certificates`: likewise their CA certificates. */
  skipCaCertificates?: boolean;
  /** `--no-deletes`: see LoadedDesired. */
  liveReferences?: boolean;
  /** `convert` keeps `${{ env }}` placeholders as written: their variables need not be set. */
  unsetEnvAllowed?: boolean;
}

export async function loadAndValidate(opts: GlobalOptions, io: Io, stage: ValidateStage = {}): Promise<LoadedDesired> {
  if (!opts.file.length) {
    throw new KongCtlError('E_USAGE', 'no declarative file given: use -f FILE (repeatable, a directory, or - for stdin)');
  }
  return loadValidated(
    { files: opts.file, env: io.env, selectTags: opts.selectTag, readStdin: io.readStdin },
    {
      ...stage,
      skipConsumers: stage.skipConsumers ?? opts.skipConsumers,
      skipCaCertificates: stage.skipCaCertificates ?? opts.skipCaCertificates,
      liveReferences: stage.liveReferences ?? opts.deletes === false,
    },
  );
}

/** The file side as every command (and bench:ctl) runs it: load, validate, then let go of the parse trees. */
export async function loadValidated(options: LoadOptions, stage: ValidateStage = {}): Promise<LoadedDesired> {
  const result = await loadDesired(options);
  if (stage.unsetEnvAllowed) result.diagnostics = result.diagnostics.filter((d) => d.code !== 'E_ENV_UNSET');
  // validateDesired returns the loader's own diagnostics too, sorted by file and position.
  const liveReferences = Boolean(stage.liveReferences);
  const all = validateDesired(result, { liveReferences });
  const deferred = stage.deferBaseline ? all.filter((d) => d.baseline).length : 0;
  const diagnostics = stage.deferBaseline ? all.filter((d) => !d.baseline) : all;
  const loaded: LoadedDesired = { result, diagnostics, errors: countErrors(diagnostics), deferred, notes: [], liveReferences };
  if (!loaded.errors) leaveOutSkipped(loaded, stage);
  // A second pass reads the files again (validateAgainstKong).
  if (!loaded.errors && !stage.deferBaseline) releaseParseTrees(result);
  return loaded;
}

/**
 * The files are validated whole (a broken consumer is still a broken file); then what a --skip-*
 * flag leaves alone (consumers, their credentials and consumer-scoped plugins; CA certificates)
 * leaves the desired state, with a warning that counts it, so that nobody wonders why a consumer
 * in the file never reaches Kong.
 */
function leaveOutSkipped(loaded: LoadedDesired, skip: SkipScope): void {
  const { state } = loaded.result;
  const flags: Array<[string, SkipScope]> = [
    ['--skip-consumers', { skipConsumers: skip.skipConsumers }],
    ['--skip-ca-certificates', { skipCaCertificates: skip.skipCaCertificates }],
  ];
  for (const [flag, one] of flags) {
    const skipped = state.entities.filter((e) => isSkipped(e, one));
    if (!skipped.length) continue;
    state.entities = state.entities.filter((e) => !isSkipped(e, one));
    loaded.notes.push({ severity: 'warning', message: `${flag}: the files' ${countByKind(skipped)} are left out of this run` });
  }
}

function countErrors(diagnostics: Diagnostic[]): number {
  return diagnostics.filter((d) => d.severity !== 'warning').length;
}

/**
 * Every entity already carries its file:line; the YAML documents (hundreds of MB for a file of
 * 35k entities) are not needed once validation is done, and reading Kong comes next.
 */
function releaseParseTrees(result: DesiredResult): void {
  for (const f of result.files) {
    f.doc = undefined;
    f.content = undefined;
  }
}

/** The schemas of the kinds and plugins the files use, from the node (each fetched once per run). */
export function desiredSchemas(client: AdminClient, result: DesiredResult): Promise<Schemas> {
  const { kinds, plugins, vaults } = schemasNeeded(result.state.entities);
  return fetchSchemas(client, kinds, plugins, { omitMissing: true, vaults });
}

/**
 * The second pass: the files against the node's own schemas (its version's fields and values,
 * the plugins it has, their configs), before anything is planned or written.
 */
export function validateAgainstKong(loaded: LoadedDesired, kong: { version: string; schemas: Schemas; routerFlavor?: string }): LoadedDesired {
  const diagnostics = validateDesired(loaded.result, { kong, liveReferences: loaded.liveReferences });
  const out = { ...loaded, diagnostics, errors: countErrors(diagnostics), deferred: 0 };
  if (!out.errors) releaseParseTrees(loaded.result);
  return out;
}

/**
 * The second pass as diff and apply run it (validate --online too): problems are printed as the
 * first pass prints them, with the node named, and the command stops before reading live state.
 */
export async function checkAgainstKong(
  loaded: LoadedDesired,
  client: AdminClient,
  opts: Pick<GlobalOptions, 'output' | 'mask'>,
  io: Io,
  known?: KongInfo,
): Promise<{ ok: boolean; info: KongInfo; checked: LoadedDesired }> {
  const info = known ?? (await getKongInfo(client));
  assertSupportedKong(info, client.baseUrl);
  const checked = validateAgainstKong(loaded, { version: info.version, routerFlavor: info.routerFlavor, schemas: await desiredSchemas(client, loaded.result) });
  if (checked.errors) {
    writeProblemsDocument(checked, opts, io, `Kong ${info.version} at ${client.baseUrl}`);
    printDiagnostics(checked, io, opts.mask, `Kong ${info.version} at ${client.baseUrl}`);
  }
  return { ok: checked.errors === 0, info, checked };
}

/**
 * The references left for the gateway (desired/live-references.ts: `_info.default_lookup_tags`,
 * `--no-deletes`), resolved once it has been read. Problems are printed as the file checks print
 * theirs, and the command stops before planning; otherwise the desired state takes the live keys.
 */
export function resolveAgainstGateway(
  loaded: LoadedDesired,
  live: LiveEntities,
  opts: Pick<GlobalOptions, 'output' | 'mask'>,
  io: Io,
  against: string,
): boolean {
  const { result } = loaded;
  if (!pendingReferences(result, loaded.liveReferences).length) return true;
  const resolved = resolveLiveReferences(result, live, { liveReferences: loaded.liveReferences });
  if (resolved.diagnostics.length) {
    const failed: LoadedDesired = { ...loaded, diagnostics: resolved.diagnostics, errors: countErrors(resolved.diagnostics) };
    writeProblemsDocument(failed, opts, io, against);
    printDiagnostics(failed, io, opts.mask, against);
    return false;
  }
  result.state = resolved.state;
  return true;
}

/**
 * The warnings of files that passed (diff and apply go on to Kong): on stderr, so that JSON on
 * stdout stays one document. Give it the last pass's result only: a second pass repeats the
 * first pass's warnings.
 */
export function printWarnings(loaded: LoadedDesired, io: Io, mask: boolean): void {
  const secrets = mask ? loaded.result.secrets : [];
  for (const d of [...loaded.diagnostics, ...loaded.notes]) {
    if (d.severity === 'warning') write(io.stderr, maskSecrets(formatDiagnostic(d), secrets));
  }
}

/**
 * Diagnostics go to stderr as `file:line:col: error: path: message`, secrets masked. `online`:
 * the command that judges the files by a node's own schemas (render's own `--online` for render:
 * `validate --online` would pass, and render still refuse offline).
 */
export function printDiagnostics(loaded: LoadedDesired, io: Io, mask: boolean, against?: string, online = 'kong-ctl validate --online'): void {
  const secrets = mask ? loaded.result.secrets : [];
  for (const d of loaded.diagnostics) write(io.stderr, maskSecrets(formatDiagnostic(d), secrets));
  if (loaded.errors) {
    const files = loaded.result.files.length;
    const judged = against ? ` (checked against ${against})` : '';
    write(io.stderr, `${loaded.errors} problem${loaded.errors === 1 ? '' : 's'} found in ${files} file${files === 1 ? '' : 's'}${judged}; nothing was sent to Kong.`);
  }
  const baseline = loaded.diagnostics.filter((d) => d.baseline && d.severity !== 'warning').length;
  if (baseline) {
    write(
      io.stderr,
      `${baseline === 1 ? 'One of these problems' : `${baseline} of these problems`} (unknown field, value, plugin or vault) ` +
        `may be fine on your Kong: a newer version, a custom plugin or a Kong Enterprise vault. \`${online}\` checks the files against its own schemas.`,
    );
  }
}

/**
 * The problems as the document stdout carries for `-o json` or `-o markdown` (a pull-request
 * comment says why the plan is missing); text output has only the stderr lines.
 */
export function writeProblemsDocument(loaded: LoadedDesired, opts: Pick<GlobalOptions, 'output' | 'mask'>, io: Io, against?: string): void {
  if (opts.output === 'json') write(io.stdout, JSON.stringify(diagnosticsJson(loaded, opts.mask), null, 2));
  else if (opts.output === 'markdown') write(io.stdout, diagnosticsMarkdown(loaded, opts.mask, against));
}

function diagnosticsMarkdown(loaded: LoadedDesired, mask: boolean, against?: string): string {
  const secrets = mask ? loaded.result.secrets : [];
  const lines = loaded.diagnostics.map((d) => maskSecrets(formatDiagnostic(d), secrets));
  const fence = fenceFor(lines.join('\n'));
  const n = loaded.errors;
  const judged = against ? ` (checked against ${against})` : '';
  return `### kong-ctl: ${n} problem${n === 1 ? '' : 's'} in the files${judged}\n\nNothing was planned or sent to Kong.\n\n${fence}\n${lines.join('\n')}\n${fence}\n`;
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
      ...(d.baseline ? { baseline: true } : {}),
    })),
  };
}
