import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { renderDump, renderDumpJson, type DumpOptions } from '../dump/dump';
import { addConnectionOptions, addScopeOptions, connectionFrom, type GlobalOptions, collect } from './options';
import { readGateway } from './gateway';
import { fetchReferencedOutside } from '../current/referenced';
import { isJsonFile, write, writeOutput, type Io, type Outcome } from './context';

interface DumpOpts extends GlobalOptions {
  outputFile?: string;
  withDefaults?: boolean;
  withId?: boolean;
}

export function registerDump(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(addScopeOptions(program.command('dump')))
    .description('write the live configuration as a decK-format file (defaults stripped)')
    .option('-o, --output-file <file>', 'write to FILE (.json: JSON, else YAML) instead of stdout')
    .option('--select-tag <tag>', 'only dump entities carrying this tag (repeatable)', collect, [])
    .option('--with-defaults', 'keep fields whose value is Kong’s default')
    .option('--with-id', 'write every entity’s id, so that a rename in the file keeps the entity (an update, not a delete and a create)')
    .action((opts: DumpOpts) => done(dump(opts, io)));
}

async function dump(opts: DumpOpts, io: Io): Promise<Outcome> {
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const selectTags = [...new Set(opts.selectTag)];
    const gw = await readGateway(client, { selectTags, skipConsumers: opts.skipConsumers, skipCaCertificates: opts.skipCaCertificates });
    const outside = selectTags.length ? await fetchReferencedOutside(client, gw.current.entities) : [];
    const options: DumpOptions = {
      withDefaults: Boolean(opts.withDefaults),
      selectTags,
      skipConsumers: Boolean(opts.skipConsumers),
      skipCaCertificates: Boolean(opts.skipCaCertificates),
      withIds: Boolean(opts.withId),
      outside,
      groupPlugins: gw.groupPlugins,
    };
    const said = `Wrote ${gw.current.entities.length} entities to ${opts.outputFile}`;
    if (isJsonFile(opts.outputFile)) {
      const json = renderDumpJson(gw.current, gw.schemas, options);
      writeOutput(io, opts.outputFile, json.text, said);
      for (const n of json.notes) write(io.stderr, n);
    } else writeOutput(io, opts.outputFile, renderDump(gw.current, gw.schemas, options), said);
    return 'ok';
  } finally {
    client.close();
  }
}
