/**
 * What Kong versions after the recorded 3.4.2 baseline, up to the 3.9 this project's runtime
 * ships, added to the core entities' schemas and to the bundled plugins, so that an offline
 * `kong-ctl validate` accepts a file written for such a Kong. Read from Kong's source and
 * changelogs (kong/db/schema/entities/routes.lua, kong/plugins/jwt/daos.lua,
 * kong/constants.lua, changelog/3.5.0 … 3.9.0): Kong 3.5 to 3.9 added no stored field to any
 * core entity (their migrations only touch clustering tables). Online, the node's own schemas
 * decide instead (validate --online, diff, apply), whatever its version, including ones newer
 * than this list.
 */
import type { Kind } from '../model/entity';
import type { EntitySchema, FieldSchema } from '../model/schema';

export interface LaterField {
  kind: Kind;
  /** The first Kong version whose schema has it. */
  since: string;
  name: string;
  schema: FieldSchema;
}

/** New values of an existing field's `one_of` (or of its elements'). */
export interface LaterValues {
  kind: Kind;
  since: string;
  field: string;
  values: string[];
}

export const LATER_FIELDS: LaterField[] = [
  // Only under `router_flavor = expressions` (since 3.0; `expression` optional and `priority`
  // bounded since 3.7). Offline the flavor is unknown, so both are accepted; a node with another
  // flavor refuses them in the online pass.
  { kind: 'route', since: '3.0', name: 'expression', schema: { type: 'string' } },
  { kind: 'route', since: '3.0', name: 'priority', schema: { type: 'integer', between: [0, 70368744177663], default: 0 } },
];

export const LATER_VALUES: LaterValues[] = [
  // Kong 3.7 (#12638, #12726).
  { kind: 'jwt_secret', since: '3.7', field: 'algorithm', values: ['ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'] },
];

/** Plugins bundled with Kong OSS after 3.4, by the version that added them. */
export const LATER_BUNDLED_PLUGINS: ReadonlyArray<{ name: string; since: string }> = [
  { name: 'ai-proxy', since: '3.6' },
  { name: 'ai-prompt-decorator', since: '3.6' },
  { name: 'ai-prompt-template', since: '3.6' },
  { name: 'ai-prompt-guard', since: '3.6' },
  { name: 'ai-request-transformer', since: '3.6' },
  { name: 'ai-response-transformer', since: '3.6' },
  { name: 'standard-webhooks', since: '3.8' },
  { name: 'redirect', since: '3.9' },
];

function addValues(schema: FieldSchema, values: string[]): FieldSchema {
  if (Array.isArray(schema.one_of)) return { ...schema, one_of: [...schema.one_of, ...values.filter((v) => !schema.one_of!.includes(v))] };
  if (schema.elements) return { ...schema, elements: addValues(schema.elements, values) };
  return schema;
}

/** The baseline schema of `kind` with what later versions added. */
export function withLaterFields(kind: Kind, base: EntitySchema): EntitySchema {
  const fields = LATER_FIELDS.filter((f) => f.kind === kind);
  const values = LATER_VALUES.filter((v) => v.kind === kind);
  if (!fields.length && !values.length) return base;
  const list = base.fields.map((item) => {
    const [name, schema] = Object.entries(item)[0]!;
    let s = schema;
    for (const v of values) if (v.field === name) s = addValues(s, v.values);
    return s === schema ? item : { [name]: s };
  });
  for (const f of fields) list.push({ [f.name]: f.schema });
  return { ...base, fields: list };
}
