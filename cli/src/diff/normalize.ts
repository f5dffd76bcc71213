/**
 * Normalisation of both sides before they are compared, so that what the file means and
 * what Kong returns for it look the same. Everything is driven by the live node's schemas;
 * nothing here knows a default value.
 *
 * Desired side (`prepareDesired`), in Kong's own order of processing a write:
 *  1. server-managed fields (`id`, `created_at`, `updated_at`) never live in `fields`;
 *  2. a service `url` is split into protocol/host/port/path (service-url.ts);
 *  3. translatable shorthand fields move to their canonical place (shorthand.ts);
 *  4. absent fields take their schema defaults, recursively (defaults.ts);
 *  5. the select tags are added to `tags` (everything kong-ctl creates carries them);
 *  6. the kind's own normalisation (targets: `10.0.0.1` → `10.0.0.1:8000`).
 * The result is what apply sends. Current side (`prepareCurrent`): steps 1, 4 and 6, which
 * leave what Kong returned unchanged but make a partial answer comparable too.
 */
import type { Entity, Kind } from '../model/entity';
import type { Schemas } from '../model/schema';
import { KIND_DEFS } from '../kinds';
import { fillDefaults } from './defaults';
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
}

export function prepareDesired(e: Entity, schemas: Schemas, selectTags: string[] = []): PreparedDesired {
  let fields = withoutServerManaged(e.fields);
  let masked = [...(e.masked ?? [])];
  if (e.kind === 'service') ({ fields, masked } = expandServiceUrl(fields, masked));
  const { fields: list, shorthands } = entityFields(e.kind, fields, schemas);
  fields = translateShorthands(fields, list, shorthands, masked);
  const unmanaged: string[] = [];
  // Kong's route subschemas have defaults of their own its /schemas/routes does not show.
  if (e.kind === 'route') fields = withRouteSubschemaDefaults(fields);
  fields = fillDefaults(fields, list, unmanaged);
  for (const f of DERIVED_FIELDS[e.kind] ?? []) if (fields[f] === undefined || fields[f] === null) unmanaged.push(f);
  if (selectTags.length > 0) fields = { ...fields, tags: withTags(fields.tags, selectTags) };
  const normalize = KIND_DEFS[e.kind].normalize;
  if (normalize) fields = normalize(fields);
  const entity: Entity = { ...e, fields };
  if (e.masked || masked.length > 0) entity.masked = masked;
  return { entity, unmanaged: unmanaged.filter((p) => !SERVER_MANAGED_FIELDS.includes(p)) };
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
