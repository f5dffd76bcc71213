import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { computePlan } from '../diff/compute';
import { renderPlanText } from '../output/plan-text';
import { renderPlanJson } from '../output/plan-json';
import { planDigest } from '../output/plan-digest';
import { readFileSync } from 'node:fs';
import { isEmptyPlan, keptLine, withoutDeletes } from '../model/plan';
import { noDeletesConflicts } from '../apply/no-deletes';
import { formatDiagnostic, KongCtlError } from '../model/errors';
import { maskSecrets } from '../desired/mask';
import { applyPlan } from '../apply/execute';
import { liveIds } from '../apply/live-ids';
import { applyDbless } from '../apply/dbless';
import { routeServicesOf } from '../apply/fail-closed-order';
import { checkDeleteGuard, DEFAULT_MAX_DELETES } from '../apply/guard';
import { findOutOfScopeConflicts } from '../apply/out-of-scope';
import { applyReportJson, applySucceeded, dblessResultJson, renderApplyText, renderDblessText } from '../apply/report';
import { DEFAULT_PARALLELISM } from '../apply/types';
import { assertSupportedKong, getKongInfo, isDbless } from '../current/fetch';
import { addConnectionOptions, addFileOptions, addNoDeletesOption, addOutputOptions, addScopeOptions, connectionFrom, useColor, type GlobalOptions } from './options';
import { checkAgainstKong, loadAndValidate, printDiagnostics, printWarnings, resolveAgainstGateway, writeProblemsDocument, type LoadedDesired } from './desired';
import { liveOf, readGateway, scopeOf } from './gateway';
import { progressReporter } from './progress';
import { write, type Io, type Outcome } from './context';

export interface ApplyOpts extends GlobalOptions {
  /** `--plan FILE`: a `diff -o json` document whose digest the plan must still have. */
  plan?: string;
  parallelism: string;
  dryRun?: boolean;
  maxDeletes: string;
  allowMassDelete?: boolean;
}

export function registerApply(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addOutputOptions(addConnectionOptions(addNoDeletesOption(addScopeOptions(addFileOptions(program.command('apply'))))))
    .description('print the plan, then make Kong match the files (exit 0: done, 1: any failure)')
    .option('--parallelism <n>', 'Admin API writes in flight at once', String(DEFAULT_PARALLELISM))
    .option('--dry-run', 'print the plan and check it, but write nothing')
    .option('--max-deletes <n>', 'refuse a plan that deletes more entities than this', String(DEFAULT_MAX_DELETES))
    .option('--allow-mass-delete', 'allow a plan beyond --max-deletes, or one that deletes everything in scope')
    .option('--plan <file>', 'apply only if the plan is still the one `diff -o json` saved in FILE (the reviewed one); refuse otherwise')
    .action((opts: ApplyOpts) => done(apply(opts, io)));
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new KongCtlError('E_USAGE', `${flag} must be a whole number of at least 1, got '${value}'`);
  return n;
}

async function apply(opts: ApplyOpts, io: Io): Promise<Outcome> {
  const reviewed = opts.plan === undefined ? undefined : readReviewedDigest(opts.plan);
  return applyLoaded(await loadAndValidate(opts, io, { deferBaseline: true }), opts, io, reviewed);
}

/** The digest of the plan `diff -o json` wrote to `file`: what `apply --plan` must find again. */
function readReviewedDigest(file: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new KongCtlError(e.code ? 'E_FILE_READ' : 'E_USAGE', `--plan ${file}: ${e.code ? `cannot read it: ${e.message}` : `not JSON: ${e.message}`}`);
  }
  const digest = (doc as { digest?: unknown } | null)?.digest;
  if (typeof digest !== 'string' || !digest.startsWith('sha256:')) {
    throw new KongCtlError('E_USAGE', `--plan ${file} holds no plan digest: give the output of \`kong-ctl diff -o json\``);
  }
  return digest;
}

/** apply from files already loaded and validated offline (`reset` brings an empty one). */
export async function applyLoaded(loaded: LoadedDesired, opts: ApplyOpts, io: Io, reviewed?: string): Promise<Outcome> {
  const parallelism = positiveInt(opts.parallelism, '--parallelism');
  const maxDeletes = positiveInt(opts.maxDeletes, '--max-deletes');
  const json = opts.output === 'json';
  if (loaded.errors) {
    writeProblemsDocument(loaded, opts, io);
    printDiagnostics(loaded, io, opts.mask);
    return 'invalid';
  }
  const { result } = loaded;
  const secrets = opts.mask ? result.secrets : [];
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const info = await getKongInfo(client);
    assertSupportedKong(info, client.baseUrl);

    if (isDbless(info)) {
      if (reviewed !== undefined) {
        throw new KongCtlError('E_USAGE', '--plan cannot work on a DB-less node: its apply sends the whole configuration at once, with no plan to compare.');
      }
      if (opts.deletes === false) {
        throw new KongCtlError(
          'E_USAGE',
          '--no-deletes cannot work on a DB-less node: its one write, POST /config, replaces the whole configuration. Give the complete configuration instead.',
        );
      }
      if (Object.keys(result.lookupTags).length) {
        throw new KongCtlError(
          'E_USAGE',
          '_info.default_lookup_tags cannot work on a DB-less node: its one write, POST /config, replaces the whole configuration, ' +
            'so every entity the files refer to must be in them.',
        );
      }
      // One POST /config replaces the node's whole configuration: the only transactional write.
      // Kong validates all of it against its own schemas before loading any, and its flattened
      // errors come back with their file:line: no second pass is needed here.
      printWarnings(loaded, io, opts.mask);
      const res = await applyDbless(result.state, client, {
        selectTags: result.selectTags,
        skipConsumers: Boolean(opts.skipConsumers),
        skipCaCertificates: Boolean(opts.skipCaCertificates),
        dryRun: Boolean(opts.dryRun),
        allowEmpty: Boolean(opts.allowMassDelete),
        maxDeletes,
      });
      if (json) write(io.stdout, JSON.stringify(dblessResultJson(res), null, 2));
      else write(io.stdout, maskSecrets(renderDblessText(res), secrets));
      return res.status === 'invalid' ? 'failed' : 'ok';
    }

    const checked = await checkAgainstKong(loaded, client, opts, io, info);
    if (!checked.ok) return 'invalid';
    printWarnings(checked.checked, io, opts.mask);
    const gw = await readGateway(client, scopeOf(result, opts), result.state, info);
    if (!resolveAgainstGateway(loaded, liveOf(gw), opts, io, `Kong ${info.version} at ${client.baseUrl}`)) return 'invalid';
    // Looked-up entities are never written, but references name them by these ids (live-ids.ts).
    const currentIds = liveIds([...gw.lookup, ...gw.current.entities]);
    const full = computePlan(result.state, gw.current, gw.schemas, { selectTags: result.selectTags, currentIds });
    const { plan, kept } = withoutDeletes(full, opts.deletes === false);
    const conflicts = opts.deletes === false ? noDeletesConflicts(full, currentIds) : [];
    const digest = planDigest(plan);
    const planJson = () => ({
      ...renderPlanJson(plan, { secrets: result.secrets, mask: opts.mask }),
      digest,
      ...(opts.deletes === false ? { kept_by_no_deletes: kept } : {}),
    });
    if (!json) {
      write(io.stdout, renderPlanText(plan, { color: useColor(opts, io.stdout, io.env), secrets: result.secrets, mask: opts.mask }));
      if (kept) write(io.stdout, keptLine(kept));
    }

    const refusals = [
      reviewed !== undefined && reviewed !== digest
        ? {
            code: 'E_PLAN_CHANGED' as const,
            message: `this plan (${digest}) is not the one in ${opts.plan} (${reviewed}): the files or the gateway changed since it was made; review the new plan`,
          }
        : null,
      checkDeleteGuard(plan, gw.current.entities.length, { maxDeletes, allowDeletes: Boolean(opts.allowMassDelete) }),
      ...conflicts,
      ...(await findOutOfScopeConflicts(plan, client, result.selectTags, parallelism)),
    ].filter((d) => d !== null);
    if (refusals.length) {
      if (json) {
        write(io.stdout, JSON.stringify({ ...planJson(), refused: refusals.map((d) => formatDiagnostic(d)) }, null, 2));
      }
      for (const d of refusals) write(io.stderr, maskSecrets(formatDiagnostic(d), secrets));
      write(io.stderr, 'Nothing was written to Kong.');
      return 'failed';
    }

    if (isEmptyPlan(plan) || opts.dryRun) {
      if (json) write(io.stdout, JSON.stringify({ ...planJson(), dry_run: Boolean(opts.dryRun) }, null, 2));
      else if (opts.dryRun && !isEmptyPlan(plan)) write(io.stdout, 'Dry run: nothing was written to Kong.');
      return 'ok';
    }

    const progress = progressReporter(io, json);
    const report = await applyPlan(plan, client, {
      parallelism,
      dryRun: false,
      currentIds,
      selectTags: result.selectTags,
      routeServices: routeServicesOf(result.state, gw.current),
      onProgress: progress.update,
    });
    progress.finish();
    if (json) {
      write(io.stdout, JSON.stringify({ ...planJson(), apply: applyReportJson(report) }, null, 2));
    } else {
      write(io.stdout, maskSecrets(renderApplyText(report), secrets));
    }
    return applySucceeded(report) ? 'ok' : 'failed';
  } finally {
    client.close();
  }
}
