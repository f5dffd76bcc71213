import { InvalidArgumentError, Option, type Command } from 'commander';
import { readSources } from '../desired/sources';
import { formatDiagnostic, KongCtlError } from '../model/errors';
import { outputFormatOf, parseDeckDocument, renderDeckDocument, restoreTemplates, type DeckDocument } from '../file-ops/document';
import { mergeDocuments } from '../file-ops/merge';
import { selectorOrigin } from '../file-ops/select';
import { applyPatch, parsePatchFile, parseValueFlags, type Patch } from '../file-ops/patch';
import { addPlugins, checkPlugin, parsePluginFile, type PluginPatch } from '../file-ops/plugins';
import { addTags, listTags, removeTags, selectEntities } from '../file-ops/tags';
import { applyNamespace, checkPathPrefix } from '../file-ops/namespace';
import { parseRuleset, SEVERITIES, type Ruleset, type Severity } from '../file-ops/lint/ruleset';
import { lintDocument } from '../file-ops/lint/run';
import { REPORT_FORMATS, renderReport, reportOf, type ReportFormat } from '../file-ops/lint/report';
import { loadSpec } from '../file-ops/openapi2kong/spec';
import { convert } from '../file-ops/openapi2kong/convert';
import { renderConverted } from '../file-ops/openapi2kong/render';
import { readDeckInput } from '../file-ops/kong2kic/input';
import { kong2kic } from '../file-ops/kong2kic/builder';
import { renderManifests } from '../file-ops/kong2kic/writer';
import { ORDER } from '../file-ops/kong2kic/types';
import { collect } from './options';
import { write, writeOutput, type Io, type Outcome } from './context';

/**
 * `kong-ctl file …`: decK's APIOps file commands (`deck file add-tags`, `add-plugins`, `patch`,
 * `merge`…), with decK's flags and selectors, for pipelines that build the file before applying
 * it. Each reads one file (stdin by default) and writes the result (stdout by default); the
 * document is edited in place, so comments and layout outside the change stay (decK rewrites
 * the whole file). Nothing is written when any part of the command is refused. `lint` (decK's
 * `deck file lint`) changes nothing: it reports what a Spectral ruleset finds in the file.
 * `openapi2kong` (decK's `deck file openapi2kong`) makes a new decK file from an OpenAPI spec;
 * `kong2kic` (decK's `deck file kong2kic`) makes Kong Ingress Controller manifests of a decK file.
 */
interface IoOpts {
  state?: string;
  file?: string;
  outputFile?: string;
  format?: string;
}

interface SelectorOpts extends IoOpts {
  selector: string[];
}

function ioOptions(cmd: Command, formats = 'yaml or json (default: as -o FILE.json says, else the input’s own format)'): Command {
  return cmd
    .option('-s, --state <file>', 'the decK file to read ("-", the default, reads stdin)')
    .option('-f, --file <file>', 'the same as --state')
    .option('-o, --output-file <file>', 'write to FILE (may be the input itself) instead of stdout')
    .option('--format <format>', formats);
}

async function readOne(name: string, io: Io): Promise<DeckDocument[]> {
  const read = await readSources([name], io.readStdin);
  if (read.diagnostics.length) throw new KongCtlError('E_FILE_READ', read.diagnostics.map((d) => d.message).join('; '));
  return read.sources.map(parseDeckDocument);
}

async function readState(opts: IoOpts, io: Io): Promise<DeckDocument> {
  if (opts.state !== undefined && opts.file !== undefined) throw new KongCtlError('E_USAGE', '--state and --file are the same option: give one');
  const name = opts.state ?? opts.file ?? '-';
  const docs = await readOne(name, io);
  if (docs.length !== 1) throw new KongCtlError('E_USAGE', `${name} holds ${docs.length} files: these commands take one (merge them first with kong-ctl file merge)`);
  return docs[0];
}

function writeResult(d: DeckDocument, opts: IoOpts, io: Io, said: string): void {
  const text = renderDeckDocument(d, outputFormatOf(opts.format, opts.outputFile, d));
  if (!opts.outputFile || opts.outputFile === '-') {
    // The document as it is, to stdout as to a file: a file read without a final newline and left
    // untouched goes back without one.
    io.stdout.write(text);
    write(io.stderr, said);
    return;
  }
  writeOutput(io, opts.outputFile, text, `${said} Wrote ${opts.outputFile}.`);
}

function warnUnmatched(io: Io, d: DeckDocument, unmatched: readonly string[], origin = '--selector'): void {
  for (const s of unmatched) write(io.stderr, `warning: ${origin} '${s}' selects nothing in ${d.name}`);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function registerFile(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  const file = program
    .command('file')
    .description("make, transform and lint decK files as `deck file` does, keeping their comments: openapi2kong, kong2kic, add-tags, remove-tags, list-tags, add-plugins, patch, namespace, merge, lint");

  file
    .command('openapi2kong')
    .description('convert an OpenAPI 3 spec (YAML or JSON) to a decK file, as `deck file openapi2kong` does: a service per servers block, a route per operation')
    .option('-s, --spec <file>', 'the OpenAPI spec ("-", the default, reads stdin)', '-')
    .option('-o, --output-file <file>', 'write to FILE instead of stdout')
    .addOption(new Option('--format <format>', 'yaml (the default) or json').choices(O2K_FORMATS).argParser(choice('--format', O2K_FORMATS)).default('yaml'))
    .option('--uuid-base <name>', 'the base name of the entities and of their UUIDv5 ids (default: the spec\'s x-kong-name, else info.title)')
    .option('--select-tag <tags>', 'tags for every entity, comma-separated (repeatable; default: the spec\'s x-kong-tags)', collect, [])
    .option('--no-id', 'generate no id fields (implied by --inso-compatible)')
    .option('-i, --inso-compatible', "name entities as Insomnia's Kong export does (and generate no ids)")
    .option('--generate-security', 'add openid-connect plugins for the openIdConnect security requirements')
    .option('--ignore-security-errors', 'skip security requirements --generate-security cannot turn into a plugin, instead of failing')
    .option('--skip-route-by-header', 'one route per operation: no route per value of its required enum header parameters')
    .option('--reuse-services', 'paths (or operations) with the same servers and service/upstream defaults share one service, unless a path has plugins of its own')
    .action((opts: O2kOpts) => done(openapi2kongCommand(opts, io)));

  file
    .command('kong2kic')
    .description('convert a decK file to Kong Ingress Controller manifests, as `deck file kong2kic` does: Services, HTTPRoutes or Ingresses, KongPlugins, KongConsumers and KongConsumerGroups, Secrets')
    .option('-s, --state <file>', 'the decK file to convert ("-", the default, reads stdin)', '-')
    .option('-o, --output-file <file>', 'write to FILE instead of stdout')
    .addOption(new Option('-f, --format <format>', 'yaml (the default) or json').choices(O2K_FORMATS).argParser(choice('--format', O2K_FORMATS)).default('yaml'))
    .addOption(new Option('--kic-version <version>', 'the KIC major version to write for: 3 (the default) or 2').choices(KIC_VERSIONS).argParser(choice('--kic-version', KIC_VERSIONS)).default('3'))
    .option('--ingress', 'write Ingress API manifests (Ingresses) instead of Gateway API ones (HTTPRoutes)')
    .addOption(new Option('--api <api>', "gateway (the default) or ingress: decK's former spelling of --ingress").choices(KIC_APIS).argParser(choice('--api', KIC_APIS)))
    .option('--class-name <name>', 'the ingress class (and the HTTPRoutes\' parent Gateway)', 'kong')
    .action((opts: K2kOpts) => done(kong2kicCommand(opts, io)));

  ioOptions(file.command('add-tags'))
    .description('add tags to the entities the selectors pick (every entity by default)')
    .argument('<tags...>', 'the tags to add')
    .option('--selector <jsonpath>', 'JSONPath of the entities to tag, e.g. "$.services[*]" (repeatable)', collect, [])
    .action((tags: string[], opts: SelectorOpts) => done(addTagsCommand(tags, opts, io)));

  ioOptions(file.command('remove-tags'))
    .description('remove tags from the entities the selectors pick (every entity by default)')
    .argument('[tags...]', 'the tags to remove (with --keep-only: the tags to keep)')
    .option('--selector <jsonpath>', 'JSONPath of the entities to untag (repeatable)', collect, [])
    .option('--keep-only', 'remove every tag except the ones listed (none listed: all tags)')
    .option('--keep-empty-array', 'leave `tags: []` where every tag was removed')
    .action((tags: string[], opts: RemoveTagsOpts) => done(removeTagsCommand(tags, opts, io)));

  ioOptions(file.command('list-tags'), 'plain (one per line, the default), yaml or json')
    .description('list the tags the selected entities carry (every entity by default), sorted')
    .option('--selector <jsonpath>', 'JSONPath of the entities to read (repeatable)', collect, [])
    .action((opts: SelectorOpts) => done(listTagsCommand(opts, io)));

  ioOptions(file.command('add-plugins'))
    .description('add plugins to the services, routes or consumers the selectors pick (the top-level plugins by default)')
    .argument('[plugin-files...]', 'decK plugin files ({ add-plugins: [{ selectors, overwrite, plugins }] }), applied after --config')
    .option('--selector <jsonpath>', 'JSONPath of the plugin owners, e.g. "$.services[*]" (repeatable; default: the top of the file)', collect, [])
    .option('--config <plugin>', 'a plugin as JSON or YAML, e.g. \'{"name":"cors"}\' (repeatable)', collect, [])
    .option('--overwrite', 'replace a plugin of the same name the owner already has (by default it is kept)')
    .action((files: string[], opts: AddPluginsOpts) => done(addPluginsCommand(files, opts, io)));

  ioOptions(file.command('patch'))
    .description('set or remove keys on what the selectors pick, from --value flags or decK patch files')
    .argument('[patch-files...]', 'decK patch files ({ patches: [{ selectors, values, remove }] }), applied after --value')
    .option('--selector <jsonpath>', 'JSONPath of what to patch (repeatable; default: the top of the file)', collect, [])
    .option('--value <key:json>', "set key to a JSON value on each mapping picked (`key:` alone removes the key; '[json, …]' appends to each list picked instead; repeatable)", collect, [])
    .action((files: string[], opts: PatchOpts) => done(patchCommand(files, opts, io)));

  ioOptions(file.command('namespace'))
    .description('put routes under a path prefix and/or hosts, so that APIs with the same paths can share a gateway; the services still see their own paths')
    .option('-p, --path-prefix <path>', 'the prefix, e.g. /billing: /invoices becomes /billing/invoices (strip_path false: a pre-function strips it again)')
    .option('--host <host>', 'a host each route also matches (repeatable)', collect, [])
    .option('-c, --clear-hosts', "remove the routes' hosts before adding --host ones")
    .option('--selector <jsonpath>', 'JSONPath of the routes, e.g. "$.services[?@.name==\'billing\'].routes[*]" (repeatable; default: every route)', collect, [])
    .option('--allow-empty-selectors', 'write the file unchanged when no route is selected, instead of failing')
    .action((opts: NamespaceOpts) => done(namespaceCommand(opts, io)));

  file
    .command('merge')
    .description("merge decK files into one: top-level lists concatenated in order, the first file's comments kept")
    .argument('<files...>', 'the files (or directories) to merge, in order')
    .option('-o, --output-file <file>', 'write to FILE instead of stdout')
    .option('--format <format>', 'yaml or json (default: as -o FILE.json says, else the first file’s own format)')
    .action((files: string[], opts: IoOpts) => done(mergeCommand(files, opts, io)));

  file
    .command('lint')
    .description('check a decK file against a Spectral ruleset (rules of given JSONPaths and core functions), as `deck file lint` does')
    .argument('<ruleset-file>', 'the ruleset: rules: { name: { description, severity, given, then: { field, function, functionOptions } } }')
    .option('-s, --state <file>', 'the decK file to lint ("-", the default, reads stdin)')
    .option('-f, --file <file>', 'the same as --state')
    .option('-o, --output-file <file>', 'write the report to FILE instead of stdout')
    .addOption(new Option('--format <format>', 'plain (the default), json or yaml').choices(REPORT_FORMATS).argParser(choice('--format', REPORT_FORMATS)).default('plain'))
    .addOption(
      new Option('-F, --fail-severity <severity>', 'results of this severity or above fail the run (exit code 1)')
        .choices(SEVERITIES)
        .argParser(choice('--fail-severity', SEVERITIES))
        .default('error'),
    )
    .option('-D, --display-only-failures', 'show (and count) only the results at or above --fail-severity')
    .action((ruleset: string, opts: LintOpts) => done(lintCommand(ruleset, opts, io)));
}

/** A flag's choices, taken in any case (decK's --format is); the choices stay listed for completion. */
function choice<T extends string>(flag: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    const v = value.toLowerCase() as T;
    if (!choices.includes(v)) throw new InvalidArgumentError(`${flag} must be ${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}.`);
    return v;
  };
}

const O2K_FORMATS = ['yaml', 'json'] as const;

interface O2kOpts {
  spec: string;
  outputFile?: string;
  format: (typeof O2K_FORMATS)[number];
  uuidBase?: string;
  selectTag: string[];
  /** commander's --no-id: false when given. */
  id: boolean;
  insoCompatible?: boolean;
  generateSecurity?: boolean;
  ignoreSecurityErrors?: boolean;
  skipRouteByHeader?: boolean;
  reuseServices?: boolean;
}

const KIC_VERSIONS = ['3', '2'] as const;
const KIC_APIS = ['gateway', 'ingress'] as const;

interface K2kOpts {
  state: string;
  outputFile?: string;
  format: (typeof O2K_FORMATS)[number];
  kicVersion: (typeof KIC_VERSIONS)[number];
  ingress?: boolean;
  api?: (typeof KIC_APIS)[number];
  className: string;
}

interface LintOpts extends IoOpts {
  format: ReportFormat;
  failSeverity: Severity;
  displayOnlyFailures?: boolean;
}

interface RemoveTagsOpts extends SelectorOpts {
  keepOnly?: boolean;
  keepEmptyArray?: boolean;
}

interface AddPluginsOpts extends SelectorOpts {
  config: string[];
  overwrite?: boolean;
}

interface NamespaceOpts extends SelectorOpts {
  pathPrefix?: string;
  host: string[];
  clearHosts?: boolean;
  allowEmptySelectors?: boolean;
}

interface PatchOpts extends SelectorOpts {
  value: string[];
}

async function addTagsCommand(tags: string[], opts: SelectorOpts, io: Io): Promise<Outcome> {
  const d = await readState(opts, io);
  const picked = selectEntities(d, opts.selector, 'tags go on entities only');
  warnUnmatched(io, d, picked.unmatched);
  const n = addTags(d, picked.locations, tags);
  writeResult(d, opts, io, `Tagged ${plural(n, 'entity', 'entities')}.`);
  return 'ok';
}

async function removeTagsCommand(tags: string[], opts: RemoveTagsOpts, io: Io): Promise<Outcome> {
  if (!opts.keepOnly && tags.length === 0) throw new KongCtlError('E_USAGE', 'no tags to remove: list them, or use --keep-only to keep only those listed');
  const d = await readState(opts, io);
  const picked = selectEntities(d, opts.selector, 'tags are on entities only');
  warnUnmatched(io, d, picked.unmatched);
  const n = removeTags(d, picked.locations, tags, { keepOnly: Boolean(opts.keepOnly), keepEmptyArray: Boolean(opts.keepEmptyArray) });
  writeResult(d, opts, io, `Removed tags from ${plural(n, 'entity', 'entities')}.`);
  return 'ok';
}

function tagListText(tags: string[], format: string): string {
  if (format === 'plain') return tags.join('\n');
  if (format === 'json') return JSON.stringify({ tags }, null, 2);
  return tags.length ? `tags:\n${tags.map((t) => `- ${JSON.stringify(t)}`).join('\n')}` : 'tags: []';
}

async function listTagsCommand(opts: SelectorOpts, io: Io): Promise<Outcome> {
  const format = (opts.format ?? 'plain').toLowerCase();
  if (!['plain', 'yaml', 'json'].includes(format)) throw new KongCtlError('E_USAGE', `--format must be plain, yaml or json, not '${opts.format}'`);
  const d = await readState(opts, io);
  const picked = selectEntities(d, opts.selector, 'tags are on entities only');
  warnUnmatched(io, d, picked.unmatched);
  const tags = listTags(d, picked.locations).map((t) => restoreTemplates(d, t));
  writeOutput(io, opts.outputFile, tagListText(tags, format), `Wrote ${plural(tags.length, 'tag')} to ${opts.outputFile}.`);
  return 'ok';
}

async function addPluginsCommand(files: string[], opts: AddPluginsOpts, io: Io): Promise<Outcome> {
  if (opts.config.length === 0 && files.length === 0) throw new KongCtlError('E_USAGE', 'no plugins to add: give --config PLUGIN or a plugin file');
  const patches: PluginPatch[] = [];
  if (opts.config.length) {
    const plugins = opts.config.map((text, i) => checkPlugin(parseDeckDocument({ name: `--config ${i + 1}`, text }).doc.toJS(), `--config '${text}'`));
    patches.push({ origin: '--config', selectors: opts.selector, plugins, overwrite: Boolean(opts.overwrite) });
  }
  for (const f of files) for (const pf of await readOne(f, io)) patches.push(...parsePluginFile(pf));
  const d = await readState(opts, io);
  const total = { added: 0, replaced: 0, kept: 0 };
  for (const p of patches) {
    const r = addPlugins(d, p);
    warnUnmatched(io, d, r.unmatched, selectorOrigin(p.origin));
    total.added += r.added;
    total.replaced += r.replaced;
    total.kept += r.kept;
  }
  const kept = total.kept ? `, kept ${plural(total.kept, 'existing one')} (--overwrite replaces them)` : '';
  writeResult(d, opts, io, `Added ${plural(total.added, 'plugin')}, replaced ${total.replaced}${kept}.`);
  return 'ok';
}

async function patchCommand(files: string[], opts: PatchOpts, io: Io): Promise<Outcome> {
  if (opts.value.length === 0 && files.length === 0) throw new KongCtlError('E_USAGE', 'nothing to patch: give --value key:json (with --selector) or a patch file');
  if (opts.selector.length && opts.value.length === 0) throw new KongCtlError('E_USAGE', '--selector needs --value: what to set on what it selects');
  const patches: Patch[] = [];
  if (opts.value.length) patches.push({ origin: '--value', selectors: opts.selector, ...parseValueFlags(opts.value) });
  for (const f of files) for (const pf of await readOne(f, io)) patches.push(...parsePatchFile(pf));
  const d = await readState(opts, io);
  let changed = 0;
  for (const p of patches) {
    const r = applyPatch(d, p);
    warnUnmatched(io, d, r.unmatched, selectorOrigin(p.origin));
    changed += r.changed;
  }
  writeResult(d, opts, io, `Patched ${plural(changed, 'place')}.`);
  return 'ok';
}

async function namespaceCommand(opts: NamespaceOpts, io: Io): Promise<Outcome> {
  if (opts.pathPrefix === undefined && opts.host.length === 0 && !opts.clearHosts) {
    throw new KongCtlError('E_USAGE', 'no namespace given: --path-prefix PATH, --host HOST (repeatable) or both');
  }
  if (opts.pathPrefix !== undefined) checkPathPrefix(opts.pathPrefix);
  const d = await readState(opts, io);
  const r = applyNamespace(d, {
    pathPrefix: opts.pathPrefix,
    hosts: opts.host,
    clearHosts: Boolean(opts.clearHosts),
    selectors: opts.selector,
    allowEmptySelectors: Boolean(opts.allowEmptySelectors),
  });
  for (const w of r.warnings) write(io.stderr, `warning: ${w}`);
  const said: string[] = [];
  if (opts.pathPrefix !== undefined) {
    const stripped = r.stripped ? ` (${r.stripped} with strip_path false: a pre-function strips it before the service)` : '';
    said.push(`Put ${plural(r.prefixed, 'route')} under ${opts.pathPrefix}${stripped}.`);
  }
  if (opts.host.length || opts.clearHosts) said.push(`Changed the hosts of ${plural(r.hosted, 'route')}.`);
  writeResult(d, opts, io, said.join(' '));
  return 'ok';
}

async function mergeCommand(files: string[], opts: IoOpts, io: Io): Promise<Outcome> {
  const docs: DeckDocument[] = [];
  for (const f of files) docs.push(...(await readOne(f, io)));
  const merged = mergeDocuments(docs, io.env);
  writeResult(merged, opts, io, `Merged ${plural(docs.length, 'file')}.`);
  return 'ok';
}

async function readRuleset(name: string, io: Io): Promise<Ruleset> {
  const read = await readSources([name], io.readStdin);
  if (read.diagnostics.length) throw new KongCtlError('E_FILE_READ', read.diagnostics.map((d) => d.message).join('; '));
  if (read.sources.length !== 1) throw new KongCtlError('E_USAGE', `${name} holds ${read.sources.length} files: give the one ruleset file`);
  return parseRuleset(read.sources[0]);
}

async function lintCommand(rulesetFile: string, opts: LintOpts, io: Io): Promise<Outcome> {
  if (rulesetFile === '-' && (opts.state ?? opts.file ?? '-') === '-') {
    throw new KongCtlError('E_USAGE', 'the ruleset and the decK file cannot both come from stdin: give the decK file with -s FILE');
  }
  // The ruleset first, as decK: a broken one is refused before the file is read.
  const ruleset = await readRuleset(rulesetFile, io);
  const d = await readState(opts, io);
  const report = reportOf(lintDocument(d, ruleset), opts.failSeverity, Boolean(opts.displayOnlyFailures));
  const said = `Linted ${d.name}: ${plural(report.totalCount, 'violation')}, ${plural(report.failCount, 'failure')}. Wrote ${opts.outputFile}.`;
  writeOutput(io, opts.outputFile, renderReport(report, opts.format, d.name), said);
  return report.failCount > 0 ? 'invalid' : 'ok';
}

async function openapi2kongCommand(opts: O2kOpts, io: Io): Promise<Outcome> {
  const read = await readSources([opts.spec], io.readStdin);
  if (read.diagnostics.length) throw new KongCtlError('E_FILE_READ', read.diagnostics.map((d) => d.message).join('; '));
  if (read.sources.length !== 1) throw new KongCtlError('E_USAGE', `${opts.spec} holds ${read.sources.length} files: give the one OpenAPI spec`);
  // decK's --select-tag is a comma-separated list; none given means the spec's x-kong-tags.
  const tags = opts.selectTag.flatMap((t) => t.split(',')).filter((t) => t !== '');
  const result = convert(loadSpec(read.sources[0]), {
    tags: tags.length ? tags : undefined,
    docName: opts.uuidBase,
    inso: Boolean(opts.insoCompatible),
    skipId: !opts.id || Boolean(opts.insoCompatible),
    oidc: Boolean(opts.generateSecurity),
    ignoreSecurityErrors: Boolean(opts.ignoreSecurityErrors),
    skipRouteByHeader: Boolean(opts.skipRouteByHeader),
    reuseServices: Boolean(opts.reuseServices),
  });
  const services = (result.services as unknown[]).length;
  writeOutput(io, opts.outputFile, renderConverted(result, opts.format), `Converted ${read.sources[0].name} to ${plural(services, 'service')}. Wrote ${opts.outputFile}.`);
  return 'ok';
}

async function kong2kicCommand(opts: K2kOpts, io: Io): Promise<Outcome> {
  if (opts.ingress && opts.api === 'gateway') throw new KongCtlError('E_USAGE', '--ingress and --api gateway contradict each other: give one');
  if (opts.className.trim() === '') throw new KongCtlError('E_USAGE', '--class-name must not be empty');
  const input = await readDeckInput(opts.state, io);
  const errors = input.diagnostics.filter((d) => d.severity !== 'warning');
  for (const d of input.diagnostics) write(io.stderr, formatDiagnostic(d));
  if (errors.length) {
    write(io.stderr, `${plural(errors.length, 'problem')} found in ${input.name}; nothing was written.`);
    return 'invalid';
  }
  const api = opts.ingress || opts.api === 'ingress' ? 'ingress' : 'gateway';
  const version = opts.kicVersion === '2' ? 2 : 3;
  const { out, warnings } = kong2kic(input.content, { api, version, className: opts.className });
  for (const w of warnings) write(io.stderr, `warning: ${input.name}: ${w}`);
  const count = ORDER.reduce((n, b) => n + out[b].length, 0);
  const said = `Converted ${input.name} to ${plural(count, 'manifest')} for KIC v${version} (${api === 'gateway' ? 'Gateway API' : 'Ingress API'}). Wrote ${opts.outputFile}.`;
  writeOutput(io, opts.outputFile, renderManifests(out, opts.format), said);
  return 'ok';
}
