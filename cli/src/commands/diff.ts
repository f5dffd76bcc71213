import { Option, type Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { computePlan } from '../diff/compute';
import { renderPlanText } from '../output/plan-text';
import { renderPlanJson } from '../output/plan-json';
import { planDigest } from '../output/plan-digest';
import { renderPlanMarkdown } from '../output/plan-markdown';
import { isEmptyPlan, keptLine, withoutDeletes } from '../model/plan';
import { noDeletesConflicts } from '../apply/no-deletes';
import { liveIds } from '../apply/live-ids';
import { addConnectionOptions, addFileOptions, addNoDeletesOption, addOutputOptions, addScopeOptions, connectionFrom, useColor, type GlobalOptions } from './options';
import { checkAgainstKong, loadAndValidate, printDiagnostics, printWarnings, resolveAgainstGateway, writeProblemsDocument } from './desired';
import { liveOf, readGateway, scopeOf } from './gateway';
import { write, type Io, type Outcome } from './context';
import { maskSecrets } from '../desired/mask';
import { formatDiagnostic } from '../model/errors';

export function registerDiff(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addOutputOptions(addConnectionOptions(addNoDeletesOption(addScopeOptions(addFileOptions(program.command('diff'))))), ['text', 'json', 'markdown'])
    .description('show what apply would change (exit 0: no drift, 2: drift, 1: error)')
    .addOption(new Option('--non-zero-exit-code', "decK's flag: kong-ctl diff always exits 2 on drift").hideHelp())
    .action((opts: GlobalOptions) => done(diff(opts, io)));
}

async function diff(opts: GlobalOptions, io: Io): Promise<Outcome> {
  const loaded = await loadAndValidate(opts, io, { deferBaseline: true });
  if (loaded.errors) {
    writeProblemsDocument(loaded, opts, io);
    printDiagnostics(loaded, io, opts.mask);
    return 'invalid';
  }
  const { result } = loaded;
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const checked = await checkAgainstKong(loaded, client, opts, io);
    if (!checked.ok) return 'invalid';
    printWarnings(checked.checked, io, opts.mask);
    const gw = await readGateway(client, scopeOf(result, opts), result.state, checked.info);
    if (!resolveAgainstGateway(loaded, liveOf(gw), opts, io, `Kong ${checked.info.version} at ${client.baseUrl}`)) return 'invalid';
    // Looked-up entities are never written, but references name them by these ids (live-ids.ts).
    const currentIds = liveIds([...gw.lookup, ...gw.current.entities]);
    const full = computePlan(result.state, gw.current, gw.schemas, { selectTags: result.selectTags, currentIds });
    const { plan, kept } = withoutDeletes(full, opts.deletes === false);
    const conflicts = opts.deletes === false ? noDeletesConflicts(full, currentIds) : [];
    const drift = !isEmptyPlan(plan);
    // The plan is still the drift; what apply --no-deletes would refuse in it is said as it will be.
    const secrets = opts.mask ? result.secrets : [];
    const refusals = conflicts.map((d) => maskSecrets(formatDiagnostic(d), secrets));
    for (const d of conflicts) write(io.stderr, maskSecrets(formatDiagnostic({ ...d, severity: 'warning', message: `apply --no-deletes refuses this plan: ${d.message}` }), secrets));
    if (opts.output === 'json') {
      const extra = opts.deletes === false ? { kept_by_no_deletes: kept, refused_by_no_deletes: refusals } : {};
      const digest = planDigest(plan);
      write(io.stdout, JSON.stringify({ ...renderPlanJson(plan, { secrets: result.secrets, mask: opts.mask }), drift, digest, ...extra }, null, 2));
    } else if (opts.output === 'markdown') {
      const target = `Kong ${checked.info.version} at ${client.baseUrl}`;
      write(
        io.stdout,
        renderPlanMarkdown(plan, { target, secrets: result.secrets, mask: opts.mask, kept: opts.deletes === false ? kept : undefined, digest: planDigest(plan), refusals }),
      );
    } else {
      write(io.stdout, renderPlanText(plan, { color: useColor(opts, io.stdout, io.env), secrets: result.secrets, mask: opts.mask }));
      if (kept) write(io.stdout, keptLine(kept));
    }
    return drift ? 'drift' : 'ok';
  } finally {
    client.close();
  }
}
