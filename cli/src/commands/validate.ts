import type { Command } from 'commander';
import { addFileOptions, addOutputOptions, type GlobalOptions } from './options';
import { diagnosticsJson, loadAndValidate, printDiagnostics } from './desired';
import { write, type Io, type Outcome } from './context';
import { countByKind } from './summary';

export function registerValidate(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addOutputOptions(addFileOptions(program.command('validate')))
    .description('check declarative files offline (never contacts Kong); lists every problem with file:line:column')
    .action((opts: GlobalOptions) => done(validate(opts, io)));
}

async function validate(opts: GlobalOptions, io: Io): Promise<Outcome> {
  const loaded = await loadAndValidate(opts, io);
  if (opts.output === 'json') {
    write(io.stdout, JSON.stringify(diagnosticsJson(loaded, opts.mask), null, 2));
    if (loaded.errors) printDiagnostics(loaded, io, opts.mask);
  } else {
    printDiagnostics(loaded, io, opts.mask);
    if (!loaded.errors) {
      const n = loaded.result.state.entities.length;
      write(io.stdout, `Valid: ${n} entit${n === 1 ? 'y' : 'ies'} (${countByKind(loaded.result.state.entities)}).`);
    }
  }
  return loaded.errors ? 'invalid' : 'ok';
}
