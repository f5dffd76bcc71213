import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { renderDump } from '../dump/dump';
import { addConnectionOptions, addScopeOptions, connectionFrom, type GlobalOptions } from './options';
import { readGateway } from './gateway';
import { writeOutput, type Io, type Outcome } from './context';

interface DumpOpts extends GlobalOptions {
  outputFile?: string;
  withDefaults?: boolean;
}

export function registerDump(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(addScopeOptions(program.command('dump')))
    .description('write the live configuration as a decK-format file (defaults stripped)')
    .option('-o, --output-file <file>', 'write to FILE instead of stdout')
    .option('--select-tag <tag>', 'only dump entities carrying this tag (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--with-defaults', 'keep fields whose value is Kong’s default')
    .action((opts: DumpOpts) => done(dump(opts, io)));
}

async function dump(opts: DumpOpts, io: Io): Promise<Outcome> {
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const selectTags = [...new Set(opts.selectTag)];
    const gw = await readGateway(client, { selectTags, skipConsumers: opts.skipConsumers });
    const text = renderDump(gw.current, gw.schemas, { withDefaults: Boolean(opts.withDefaults), selectTags, skipConsumers: Boolean(opts.skipConsumers) });
    writeOutput(io, opts.outputFile, text, `Wrote ${gw.current.entities.length} entities to ${opts.outputFile}`);
    return 'ok';
  } finally {
    client.close();
  }
}
