import type { Command } from 'commander';
import { PROJECT_PLUGINS } from '../../../plugins/registry';
import { createAdminClient } from '../kong/client';
import { assertSupportedKong, fetchSchemas, getKongInfo } from '../current/fetch';
import { buildEditorSchema, type EditorSchemaInput } from '../desired/editor-schema';
import { KONG_BUNDLED_PLUGIN_SCHEMAS } from '../desired/kong-plugin-schemas';
import { KONG_BUNDLED_PLUGINS } from '../desired/bundled-plugins';
import { LATER_BUNDLED_PLUGINS } from '../desired/kong-later-fields';
import { KONG_BUNDLED_VAULTS, OFFLINE_SCHEMAS, liveSchemas } from '../desired/kong-entity-schemas';
import { KINDS } from '../model/entity';
import type { EntitySchema, FieldList } from '../model/schema';
import { fieldEntries } from '../model/schema';
import type { AdminClient } from '../kong/types';
import { addConnectionOptions, connectionFrom, type GlobalOptions } from './options';
import { writeOutput, type Io, type Outcome } from './context';

interface SchemaOpts extends GlobalOptions {
  online?: boolean;
  outputFile?: string;
}

export function registerSchema(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(program.command('schema'))
    .description(
      'write the JSON Schema of decK files for editors (completion, hover help, inline errors); ' +
        "--online: exactly the entities, plugins and plugin configs of the Kong at --kong-addr",
    )
    .option('--online', "describe the Kong at --kong-addr: its version's fields, its plugins and their configs (reads only)")
    .option('-o, --output-file <file>', 'write to FILE instead of stdout')
    .action((opts: SchemaOpts) => done(schema(opts, io)));
}

/** The fields inside a plugin's or vault's `config`, from its schema as Kong serves it. */
function configFields(schema: EntitySchema): FieldList {
  const config = fieldEntries(schema.fields).find(([name]) => name === 'config')?.[1];
  return config?.fields ?? [];
}

const projectConfigs = (): Record<string, FieldList> =>
  Object.fromEntries(PROJECT_PLUGINS.map((p) => [p.Name, p.Schema as unknown as FieldList]));

function offlineInput(): EditorSchemaInput {
  return {
    source: OFFLINE_SCHEMAS,
    pluginConfigs: projectConfigs(),
    olderPluginConfigs: Object.fromEntries(Object.entries(KONG_BUNDLED_PLUGIN_SCHEMAS).map(([name, s]) => [name, configFields(s)])),
    pluginNames: [...KONG_BUNDLED_PLUGINS, ...LATER_BUNDLED_PLUGINS.map((p) => p.name), ...PROJECT_PLUGINS.map((p) => p.Name)],
    exactPlugins: false,
    vaultConfigs: Object.fromEntries(Object.entries(KONG_BUNDLED_VAULTS).map(([name, s]) => [name, configFields(s)])),
    describes: 'Kong 3.4 to 3.9 (offline baseline; `kong-ctl schema --online` describes your node)',
  };
}

async function onlineInput(client: AdminClient): Promise<EditorSchemaInput> {
  const info = await getKongInfo(client);
  assertSupportedKong(info, client.baseUrl);
  const schemas = await fetchSchemas(client, [...KINDS], info.pluginsAvailable, { omitMissing: true, vaults: info.vaultsLoaded });
  const pluginConfigs = Object.fromEntries(Object.entries(schemas.plugins).map(([name, s]) => [name, configFields(s)]));
  // This project's plugins: their own Schema is the truth (as for validate), where the node has them.
  for (const [name, fields] of Object.entries(projectConfigs())) if (name in pluginConfigs) pluginConfigs[name] = fields;
  return {
    source: liveSchemas(info.version, schemas.entities),
    pluginConfigs,
    pluginNames: Object.keys(schemas.plugins),
    exactPlugins: true,
    vaultConfigs: Object.fromEntries(Object.entries(schemas.vaults ?? {}).map(([name, s]) => [name, configFields(s)])),
    describes: `Kong ${info.version} at ${client.baseUrl}`,
  };
}

async function schema(opts: SchemaOpts, io: Io): Promise<Outcome> {
  let input: EditorSchemaInput;
  if (opts.online) {
    const client = createAdminClient(connectionFrom(opts, io.env));
    try {
      input = await onlineInput(client);
    } finally {
      client.close();
    }
  } else input = offlineInput();
  const text = `${JSON.stringify(buildEditorSchema(input), null, 2)}\n`;
  writeOutput(io, opts.outputFile, text, `Wrote the JSON Schema of ${input.describes} to ${opts.outputFile}`);
  return 'ok';
}
