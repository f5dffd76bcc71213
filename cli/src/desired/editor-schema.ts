/**
 * The JSON Schema editors use while a decK file is being written: completion, hover text and
 * inline errors in VS Code, IntelliJ or any editor with yaml-language-server
 * (`# yaml-language-server: $schema=kong-ctl.schema.json`).
 *
 * It is the schema `validate` checks files with (file-schema.ts), rewritten as plain JSON Schema
 * draft-07, which editors understand: the `x-kong` keyword, which only kong-ctl's own validator
 * runs, becomes the standard annotations it can be said with (description, default, enum,
 * bounds, lengths), and a plugin's or vault's `config` becomes the schema of the one its `name`
 * names. What JSON Schema cannot say (Lua patterns, entity checks) stays with `validate`.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { buildFileJsonSchema, fieldToJsonSchema } from './file-schema';
import type { EntitySchemaSource } from './kong-entity-schemas';

type JsonSchema = Record<string, unknown>;

export interface EditorSchemaInput {
  /** Entity schemas: the offline baseline, or a node's own. */
  source: EntitySchemaSource;
  /** Config fields (the inside of `config`) per plugin name. */
  pluginConfigs: Record<string, FieldList>;
  /**
   * Config fields of plugins known only from an older version (Kong 3.4's bundled ones, offline):
   * offered for completion, but nothing a newer version may have changed is held against a file
   * (unknown fields, other choices, missing fields).
   */
  olderPluginConfigs?: Record<string, FieldList>;
  /** Plugin names to offer; with `exactPlugins`, the only ones accepted (a node's whole set). */
  pluginNames: string[];
  exactPlugins: boolean;
  /** Config fields per vault name. */
  vaultConfigs: Record<string, FieldList>;
  /** Said in the schema's title: which Kong it describes. */
  describes: string;
}

/** Kong's annotations of one field, as JSON Schema says them. */
function annotations(f: FieldSchema, type: unknown): JsonSchema {
  const out: JsonSchema = {};
  if (typeof f.description === 'string') out.description = f.description;
  if (f.default !== undefined && f.default !== null) out.default = f.default;
  if (Array.isArray(f.one_of)) out.enum = [...f.one_of, null];
  const types = Array.isArray(type) ? type : [type];
  if (Array.isArray(f.between)) {
    out.minimum = f.between[0];
    out.maximum = f.between[1];
  }
  if (typeof f.gt === 'number') out.exclusiveMinimum = f.gt;
  // Kong's len_min/len_max count characters, elements or keys, by the field's type.
  const [min, max] = types.includes('array')
    ? ['minItems', 'maxItems']
    : types.includes('object')
      ? ['minProperties', 'maxProperties']
      : ['minLength', 'maxLength'];
  if (typeof f.len_min === 'number') out[min] = f.len_min;
  if (typeof f.len_max === 'number') out[max] = f.len_max;
  return out;
}

/** Deep copy with `x-kong` turned into annotations and `$defs` references made draft-07's `definitions`. */
function plain(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(plain);
  if (node === null || typeof node !== 'object') return node;
  const src = node as JsonSchema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'x-kong') continue;
    if (k === '$ref' && typeof v === 'string') out.$ref = v.replace('#/$defs/', '#/definitions/');
    else if (k === '$defs') out.definitions = plain(v);
    else out[k] = plain(v);
  }
  const kong = src['x-kong'] as FieldSchema | undefined;
  if (kong && typeof kong.type === 'string' && kong.type !== 'foreign') Object.assign(out, annotations(kong, src.type));
  return out;
}

const record = (fields: FieldList): FieldSchema => ({ type: 'record', fields });

/** `config` picked by `name`, one `if`/`then` per name (what editors follow for completion). */
function configByName(configs: Record<string, FieldList>, open: (schema: unknown) => unknown = (x) => x): JsonSchema[] {
  return Object.keys(configs)
    .sort()
    .map((name) => ({
      if: { properties: { name: { const: name } }, required: ['name'] },
      then: { properties: { config: open(plain(fieldToJsonSchema(record(configs[name])))) } },
    }));
}

/**
 * A schema from an older version, made to accept what a newer one may: records open to more
 * fields, no field required, a `one_of` list kept only as suggestions.
 */
function openToNewer(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openToNewer);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node as JsonSchema)) {
    if (k === 'required') continue;
    if (k === 'enum') out.examples = (v as unknown[]).filter((x) => x !== null);
    else if (k === 'additionalProperties' && v === false) out.additionalProperties = true;
    else out[k] = openToNewer(v);
  }
  return out;
}

export function buildEditorSchema(input: EditorSchemaInput): JsonSchema {
  const schema = plain(buildFileJsonSchema(input.source)) as JsonSchema;
  const defs = schema.definitions as Record<string, JsonSchema>;

  const plugin = defs.plugin;
  const names = [...new Set(input.pluginNames)].sort();
  const nameSchema = (plugin.properties as Record<string, JsonSchema>).name;
  Object.assign(nameSchema, input.exactPlugins ? { enum: names } : { examples: names });
  const older = Object.fromEntries(Object.entries(input.olderPluginConfigs ?? {}).filter(([name]) => !(name in input.pluginConfigs)));
  plugin.allOf = [...configByName(input.pluginConfigs), ...configByName(older, openToNewer)];

  const vault = defs.vault;
  if (vault) {
    const vaultName = (vault.properties as Record<string, JsonSchema>).name;
    if (vaultName) vaultName.examples = Object.keys(input.vaultConfigs).sort();
    vault.allOf = configByName(input.vaultConfigs);
  }

  const formatVersion = (schema.properties as Record<string, JsonSchema>)._format_version;
  Object.assign(formatVersion, { const: '3.0', description: "decK's file format for Kong 3.x" });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `decK file for ${input.describes} (kong-ctl)`,
    $comment: 'Generated by `kong-ctl schema`; `kong-ctl validate` checks what JSON Schema cannot say.',
    ...schema,
    required: ['_format_version'],
  };
}
