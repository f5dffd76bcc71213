import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { addConnectionOptions, addFileOptions, addOutputOptions, connectionFrom, type GlobalOptions } from './options';
import { checkAgainstKong, diagnosticsJson, loadAndValidate, printDiagnostics, type LoadedDesired } from './desired';
import { write, type Io, type Outcome } from './context';
import { countByKind } from './summary';

interface ValidateOpts extends GlobalOptions {
  online?: boolean;
}

export function registerValidate(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addOutputOptions(addConnectionOptions(addFileOptions(program.command('validate'))))
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
    return report(checked, opts, io, `Kong ${info.version} at ${client.baseUrl}`);
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
    }
  }
  return loaded.errors ? 'invalid' : 'ok';
}
