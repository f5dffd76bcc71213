import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { fetchCurrent, fetchLookup } from '../current/fetch';
import { pendingReferences } from '../desired/live-references';
import { addConnectionOptions, addFileOptions, addNoDeletesOption, addOutputOptions, connectionFrom, type GlobalOptions } from './options';
import { checkAgainstKong, diagnosticsJson, loadAndValidate, printDiagnostics, resolveAgainstGateway, type LoadedDesired } from './desired';
import { write, type Io, type Outcome } from './context';
import { countByKind } from './summary';

interface ValidateOpts extends GlobalOptions {
  online?: boolean;
}

export function registerValidate(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addOutputOptions(addConnectionOptions(addNoDeletesOption(addFileOptions(program.command('validate')))))
    .description(
      'check declarative files (offline: never contacts Kong; --online: also against the node\'s own schemas and plugins); ' +
        'lists every problem with file:line:column',
    )
    .option('--online', "also check against the Kong at --kong-addr: its version's fields, its plugins and their configs (reads only)")
    .action((opts: ValidateOpts) => done(validate(opts, io)));
}

async function validate(opts: ValidateOpts, io: Io): Promise<Outcome> {
  const loaded = await loadAndValidate(opts, io, { deferBaseline: Boolean(opts.online) });
  if (loaded.errors || !opts.online) return report(loaded, opts, io);
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const { ok, info, checked } = await checkAgainstKong(loaded, client, opts, io);
    if (!ok) return 'invalid';
    const against = `Kong ${info.version} at ${client.baseUrl}`;
    const { result } = checked;
    if (pendingReferences(result, checked.liveReferences).length) {
      // Only --no-deletes needs the live state in scope; lookups alone need only what they find.
      const live = checked.liveReferences
        ? await fetchCurrent(client, { selectTags: result.selectTags, lookupTags: result.lookupTags })
        : { state: { entities: [] }, lookup: await fetchLookup(client, { lookupTags: result.lookupTags }) };
      if (!resolveAgainstGateway(checked, { lookup: live.lookup, inScope: live.state.entities }, opts, io, against)) return 'invalid';
    }
    return report(checked, opts, io, against);
  } finally {
    client.close();
  }
}

function report(loaded: LoadedDesired, opts: ValidateOpts, io: Io, against?: string): Outcome {
  if (opts.output === 'json') {
    write(io.stdout, JSON.stringify(diagnosticsJson(loaded, opts.mask), null, 2));
    if (loaded.errors) printDiagnostics(loaded, io, opts.mask, against);
  } else {
    printDiagnostics(loaded, io, opts.mask, against);
    if (!loaded.errors) {
      const n = loaded.result.state.entities.length;
      const by = against ? `, checked against ${against}` : '';
      write(io.stdout, `Valid: ${n} entit${n === 1 ? 'y' : 'ies'} (${countByKind(loaded.result.state.entities)})${by}.`);
      const open = against ? 0 : pendingReferences(loaded.result, loaded.liveReferences).length;
      if (open) {
        write(
          io.stdout,
          `${open} reference${open === 1 ? '' : 's'} to entities the files do not declare ${open === 1 ? 'is' : 'are'} left for Kong to resolve ` +
            '(default_lookup_tags or --no-deletes): `kong-ctl validate --online` resolves them.',
        );
      }
    }
  }
  return loaded.errors ? 'invalid' : 'ok';
}
