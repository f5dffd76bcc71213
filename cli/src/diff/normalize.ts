/**
 * Normalisation of both sides before they are compared, so that what the file means and
 * what Kong returns for it look the same. Everything is driven by the live node's schemas;
 * nothing here knows a default value.
 *
 * Desired side (`prepareDesired`), in Kong's own order of processing a write:
 *  1. server-managed fields (`id`, `created_at`, `updated_at`) never live in `fields`;
 *  2. a service `url` is split into protocol/host/port/path (service-url.ts);
 *  3. translatable shorthand fields move to their canonical place (shorthand.ts);
 *  4. absent fields take their schema defaults, recursively (defaults.ts), and their paths
 *     are kept (`defaulted`): there the value is the node's, not the file's;
 *  5. the select tags are added to `tags` (everything kong-ctl creates carries them);
 *  6. the kind's own normalisation (targets: `10.0.0.1` → `10.0.0.1:8000`).
 * The result is what apply sends. Current side (`prepareCurrent`): steps 1, 4 and 6, which
 * leave what Kong returned unchanged but make a partial answer comparable too.
 */
import type { Entity, Kind } from '../model/entity';
import type { Schemas } from '../model/schema';
import { KIND_DEFS } from '../kinds';
import { fillDefaults, fillDefaultsTracked } from './defaults';
import { entityFields } from './schema-fields';
import { expandServiceUrl } from './service-url';
import { translateShorthands } from './shorthand';
import { withRouteSubschemaDefaults } from '../kinds/route-subschemas';

export const SERVER_MANAGED_FIELDS = ['id', 'created_at', 'updated_at'];

/**
 * Fields Kong derives from other fields and that the schema does not mark `auto`:
 * compared only when the file sets them (a CA certificate's digest follows from `cert`).
 */
const DERIVED_FIELDS: Partial<Record<Kind, string[]>> = { ca_certificate: ['cert_digest'] };

export interface PreparedDesired {
  /** The desired entity as apply sends it: defaults filled, shorthands translated. */
  entity: Entity;
  /** Field paths the file leaves for Kong to generate: whatever Kong holds there is accepted. */
  unmanaged: string[];
  /**
   * Field paths the file leaves out that take Kong's default (or stay unset): a change at or
   * under one comes from the node, not from the file (`FieldChange.fromDefault`).
   */
  defaulted: string[];
}

export function prepareDesired(e: Entity, schemas: Schemas, selectTags: string[] = []): PreparedDesired {
  let fields = withoutServerManaged(e.fields);
  let masked = [...(e.masked ?? [])];
  if (e.kind === 'service') ({ fields, masked } = expandServiceUrl(fields, masked));
  const { fields: list, shorthands } = entityFields(e.kind, fields, schemas);
  fields = translateShorthands(fields, list, shorthands, masked);
  // Kong's route subschemas have defaults of their own its /schemas/routes does not show.
  let subschemaDefaults: string[] = [];
  if (e.kind === 'route') {
    const routed = withRouteSubschemaDefaults(fields);
    subschemaDefaults = Object.keys(routed).filter((k) => fields[k] === undefined);
    fields = routed;
  }
  const filled = fillDefaultsTracked(fields, list);
  fields = filled.fields;
  const unmanaged = filled.unmanaged;
  let defaulted = [...subschemaDefaults, ...filled.defaulted];
  for (const f of DERIVED_FIELDS[e.kind] ?? []) if (fields[f] === undefined || fields[f] === null) unmanaged.push(f);
  if (selectTags.length > 0) {
    fields = { ...fields, tags: withTags(fields.tags, selectTags) };
    // The select tags are the files' (or the command line's) word, not a default.
    defaulted = defaulted.filter((p) => p !== 'tags');
  }
  const normalize = KIND_DEFS[e.kind].normalize;
  if (normalize) fields = normalize(fields);
  const entity: Entity = { ...e, fields };
  if (e.masked || masked.length > 0) entity.masked = masked;
  const managed = (p: string) => !SERVER_MANAGED_FIELDS.includes(p);
  return { entity, unmanaged: unmanaged.filter(managed), defaulted: defaulted.filter(managed) };
}

export function prepareCurrent(e: Entity, schemas: Schemas): Entity {
  let fields = withoutServerManaged(e.fields);
  fields = fillDefaults(fields, entityFields(e.kind, fields, schemas).fields);
  const normalize = KIND_DEFS[e.kind].normalize;
  if (normalize) fields = normalize(fields);
  return { ...e, fields };
}

function withoutServerManaged(fields: Record<string, unknown>): Record<string, unknown> {
  if (!SERVER_MANAGED_FIELDS.some((f) => f in fields)) return fields;
  const out = { ...fields };
  for (const f of SERVER_MANAGED_FIELDS) delete out[f];
  return out;
}

function withTags(tags: unknown, selectTags: string[]): string[] {
  const own = Array.isArray(tags) ? tags.map(String) : [];
  return [...own, ...selectTags.filter((t) => !own.includes(t))];
}
