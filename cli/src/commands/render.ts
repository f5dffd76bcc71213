import type { Command } from 'commander';
import { Document } from 'yaml';
import { renderDeclarative } from '../apply/declarative';
import { createAdminClient } from '../kong/client';
import { KongCtlError } from '../model/errors';
import { addConnectionOptions, addFileOptions, connectionFrom, type GlobalOptions } from './options';
import { checkAgainstKong, loadAndValidate, printDiagnostics, printWarnings } from './desired';
import { isJsonFile, isStdout, writeOutput, type Io, type Outcome } from './context';
import { countByKind } from './summary';

interface RenderOpts extends GlobalOptions {
  online?: boolean;
  outputFile?: string;
}

/**
 * `kong-ctl render`: the files as the one declarative configuration a DB-less Kong loads, either
 * at start (`declarative_config`) or through `POST /config`; byte for byte the document DB-less
 * `apply` sends, so `_info.defaults`, templating and the fail-closed guards are all in it.
 */
export function registerRender(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(addFileOptions(program.command('render')))
    .description("write the files as the one declarative config a DB-less Kong loads (its `declarative_config`), after validating them")
    .option('-o, --output-file <file>', 'write to FILE (.json: JSON, else YAML) instead of stdout')
    .option('--online', 'validate against the Kong at --kong-addr (its version, its plugins) instead of the offline baseline')
    .option('--no-mask', 'allow printing values substituted from environment variables to stdout')
    .action((opts: RenderOpts) => done(render(opts, io)));
}

async function render(opts: RenderOpts, io: Io): Promise<Outcome> {
  const loaded = await loadAndValidate(opts, io, { deferBaseline: Boolean(opts.online) });
  if (loaded.errors) {
    printDiagnostics(loaded, io, true, undefined, 'kong-ctl render --online');
    return 'invalid';
  }
  let checked = loaded;
  if (opts.online) {
    const client = createAdminClient(connectionFrom(opts, io.env));
    try {
      const second = await checkAgainstKong(loaded, client, { output: 'text', mask: true }, io);
      if (!second.ok) return 'invalid';
      checked = second.checked;
    } finally {
      client.close();
    }
  }
  const { result } = checked;
  if (Object.keys(result.lookupTags).length) {
    throw new KongCtlError(
      'E_USAGE',
      '_info.default_lookup_tags cannot be rendered: a declarative configuration is the whole of a DB-less node, so every entity the files refer to must be in them.',
    );
  }
  const toStdout = isStdout(opts.outputFile);
  if (toStdout && opts.mask && result.secrets.length) {
    throw new KongCtlError(
      'E_USAGE',
      `the rendered configuration holds ${result.secrets.length} value(s) from the environment: write it to a file with -o FILE, or print it with --no-mask`,
    );
  }
  printWarnings(checked, io, true);

  const rendered = renderDeclarative(result.state);
  const sources = result.files.map((f) => f.name).join(', ');
  const json = isJsonFile(opts.outputFile);
  let text: string;
  if (json) text = `${JSON.stringify(JSON.parse(rendered.text), null, 2)}\n`;
  else {
    const doc = new Document(JSON.parse(rendered.text));
    doc.commentBefore = ` Rendered by kong-ctl from ${sources}: the whole configuration of a DB-less Kong\n (declarative_config, or POST /config). Edit the sources, not this file.`;
    text = doc.toString();
  }
  writeOutput(io, opts.outputFile, text, `Wrote ${rendered.entityCount} entities (${countByKind(result.state.entities)}) to ${opts.outputFile}`);
  return 'ok';
}
