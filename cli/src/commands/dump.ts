import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { renderDump, renderDumpJson, type DumpOptions } from '../dump/dump';
import { addConnectionOptions, addScopeOptions, connectionFrom, type GlobalOptions } from './options';
import { readGateway } from './gateway';
import pLimit from 'p-limit';
import { buildCurrentState, type RawKongState } from '../current/build';
import { KIND_DEFS } from '../kinds';
import { LOOKUP_KEYS, type LookupKind } from '../desired/info';
import type { AdminClient } from '../kong/types';
import type { Entity, Kind } from '../model/entity';
import { isStdout, write, writeOutput, type Io, type Outcome } from './context';

interface DumpOpts extends GlobalOptions {
  outputFile?: string;
  withDefaults?: boolean;
  withId?: boolean;
}

export function registerDump(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(addScopeOptions(program.command('dump')))
    .description('write the live configuration as a decK-format file (defaults stripped)')
    .option('-o, --output-file <file>', 'write to FILE (.json: JSON, else YAML) instead of stdout')
    .option('--select-tag <tag>', 'only dump entities carrying this tag (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--with-defaults', 'keep fields whose value is Kong’s default')
    .option('--with-id', 'write every entity’s id, so that a rename in the file keeps the entity (an update, not a delete and a create)')
    .action((opts: DumpOpts) => done(dump(opts, io)));
}

async function dump(opts: DumpOpts, io: Io): Promise<Outcome> {
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const selectTags = [...new Set(opts.selectTag)];
    const gw = await readGateway(client, { selectTags, skipConsumers: opts.skipConsumers, skipCaCertificates: opts.skipCaCertificates });
    const outside = selectTags.length ? await readReferencedOutside(client, gw.current.entities) : [];
    const options: DumpOptions = {
      withDefaults: Boolean(opts.withDefaults),
      selectTags,
      skipConsumers: Boolean(opts.skipConsumers),
      skipCaCertificates: Boolean(opts.skipCaCertificates),
      withIds: Boolean(opts.withId),
      outside,
    };
    const said = `Wrote ${gw.current.entities.length} entities to ${opts.outputFile}`;
    if (!isStdout(opts.outputFile) && opts.outputFile!.toLowerCase().endsWith('.json')) {
      const json = renderDumpJson(gw.current, gw.schemas, options);
      writeOutput(io, opts.outputFile, json.text, said);
      for (const n of json.notes) write(io.stderr, n);
    } else writeOutput(io, opts.outputFile, renderDump(gw.current, gw.schemas, options), said);
    return 'ok';
  } finally {
    client.close();
  }
}

/**
 * The services, routes and consumers outside the select tags that entities of the dump refer to,
 * read one by one (they are few): their names and tags let the dump name them and look them up.
 */
async function readReferencedOutside(client: AdminClient, entities: Entity[]): Promise<Entity[]> {
  const inDump = new Set(entities.map((e) => e.key));
  const wanted = new Map<string, { kind: LookupKind; id: string }>();
  const lookupKinds = new Set<Kind>(Object.values(LOOKUP_KEYS));
  for (const e of entities) {
    for (const [field, key] of Object.entries(e.refs)) {
      const kind = KIND_DEFS[e.kind].foreignKeys[field];
      const id = key?.startsWith(`${kind}:#`) ? key.slice(kind.length + 2) : undefined;
      if (key && id && !inDump.has(key) && lookupKinds.has(kind)) wanted.set(key, { kind: kind as LookupKind, id });
    }
  }
  const limit = pLimit(8);
  const raw: RawKongState = {};
  await Promise.all(
    [...wanted.values()].map(({ kind, id }) =>
      limit(async () => {
        const res = await client.request<Record<string, unknown>>('GET', `${KIND_DEFS[kind].listPath}/${encodeURIComponent(id)}`, { acceptStatus: [404] });
        if (res.status === 200 && res.data) (raw[kind] ??= []).push(res.data);
      }),
    ),
  );
  return buildCurrentState(raw).entities;
}

