import type { Command } from 'commander';
import { DEFAULT_PARALLELISM } from '../apply/types';
import { KongCtlError } from '../model/errors';
import { applyLoaded, type ApplyOpts } from './apply';
import { loadValidated } from './desired';
import { addConnectionOptions, addOutputOptions, addScopeOptions, collect } from './options';
import type { Io, Outcome } from './context';

interface ResetOpts extends ApplyOpts {
  force?: boolean;
}

/**
 * `kong-ctl reset` (decK's `gateway reset`): apply of a file that declares nothing, so every
 * entity in scope (`--select-tag`, `--skip-consumers`) is deleted, in dependency order, by the
 * same plan, guards and report as apply. It never asks: without --force it refuses.
 */
export function registerReset(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addOutputOptions(addConnectionOptions(addScopeOptions(program.command('reset'))))
    .description('delete every entity in scope from Kong (all of them, or those with --select-tag); refuses without --force')
    .option('--select-tag <tag>', 'delete only entities carrying this tag (repeatable)', collect, [])
    .option('--force', 'really delete: reset refuses without it')
    .option('--dry-run', 'print what would be deleted, but write nothing')
    .option('--parallelism <n>', 'Admin API writes in flight at once', String(DEFAULT_PARALLELISM))
    .action((opts: ResetOpts) => done(reset(opts, io)));
}

async function reset(opts: ResetOpts, io: Io): Promise<Outcome> {
  if (!opts.force && !opts.dryRun) {
    throw new KongCtlError(
      'E_USAGE',
      `reset deletes every entity ${opts.selectTag.length ? `tagged ${opts.selectTag.join(', ')}` : 'of the gateway'}: add --force to do it, or --dry-run to see what it would delete`,
    );
  }
  const loaded = await loadValidated(
    { files: [], sources: [{ name: '<reset>', text: '_format_version: "3.0"\n' }], env: io.env, selectTags: opts.selectTag },
    { deferBaseline: true, skipConsumers: opts.skipConsumers, skipCaCertificates: opts.skipCaCertificates },
  );
  // --force is the consent the deletion guard otherwise asks for with --allow-mass-delete.
  return applyLoaded(loaded, { ...opts, file: [], maxDeletes: String(Number.MAX_SAFE_INTEGER), allowMassDelete: true }, io);
}
