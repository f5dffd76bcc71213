/**
 * Schema defaults Kong draws at random when the schema module loads, rather than real defaults:
 * the session plugin's `config.secret` (kong/plugins/session/schema.lua, `default =
 * random_string()`). A node's `GET /schemas/plugins/session` answers its own draw, which changes
 * with every restart and differs between nodes; a plugin created without a secret keeps the draw
 * of the node that created it. Used as the desired value, that default would plan to overwrite
 * the live secret (ending every user's session) on every apply that a different draw answers.
 * Such a field is marked as one Kong generates (`auto`, as Kong's own generated ids and keys
 * are): left out of the file, the live value stands; written in the file, it is compared as usual.
 */
import type { EntitySchema, FieldList, FieldSchema } from '../model/schema';

export const RANDOM_DEFAULTS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
  session: [['config', 'secret']],
};

function withGenerated(fields: FieldList, path: readonly string[]): FieldList {
  const [head, ...rest] = path;
  return fields.map((entry) => {
    const [name, field] = Object.entries(entry)[0] as [string, FieldSchema];
    if (name !== head) return entry;
    if (rest.length === 0) {
      const { default: _drawn, ...kept } = field;
      return { [name]: { ...kept, auto: true } };
    }
    return field.fields ? { [name]: { ...field, fields: withGenerated(field.fields, rest) } } : entry;
  });
}

/** The plugin's schema with its randomly drawn defaults marked as generated. */
export function markRandomDefaults(plugin: string, schema: EntitySchema): EntitySchema {
  const paths = RANDOM_DEFAULTS[plugin];
  if (!paths) return schema;
  let fields = schema.fields;
  for (const p of paths) fields = withGenerated(fields, p);
  return { ...schema, fields };
}
