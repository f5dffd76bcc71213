/**
 * Test helpers for the diff engine: Kong 3.4.2's real schemas loaded from the recorded
 * exchanges, and Entities built the way the readers build them (keys from the kind registry).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Entity, Kind } from '../../../cli/src/model/entity';
import { KINDS } from '../../../cli/src/model/entity';
import type { EntitySchema, FieldList, FieldSchema, Schemas } from '../../../cli/src/model/schema';
import { Schema as jwtClaimsSchema } from '../../../plugins/jwt-claims/schema';
import { KIND_DEFS } from '../../../cli/src/kinds';

export const FIXTURES = join(__dirname, '../../fixtures/kong-admin/3.4.2-postgres');

export interface Exchange {
  request: { method: string; path: string; body: Record<string, unknown> | null };
  response: { status: number; body: Record<string, unknown> };
}

export function exchange(prefix: string): Exchange {
  const file = readdirSync(FIXTURES).find((f) => f.startsWith(prefix + '_'));
  if (!file) throw new Error(`no fixture ${prefix}`);
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Exchange;
}

let cached: Schemas | undefined;

/** Every schema Kong 3.4.2 returned: GET /schemas/{entity} (003–016) and /schemas/plugins/{name} (017–054). */
export function kong342Schemas(): Schemas {
  if (cached) return cached;
  const entities: Schemas['entities'] = {};
  const plugins: Schemas['plugins'] = {};
  for (const file of readdirSync(FIXTURES)) {
    const m = /^\d+_GET_schemas-(.+)\.json$/.exec(file);
    if (!m) continue;
    const body = (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Exchange).response.body as unknown as EntitySchema;
    if (m[1].startsWith('plugins-')) plugins[m[1].slice('plugins-'.length)] = body;
    else {
      const kind = KINDS.find((k) => KIND_DEFS[k].schema === m[1]);
      if (kind) entities[kind] = body;
    }
  }
  cached = { entities, plugins };
  return cached;
}

/**
 * kong342Schemas() plus jwt-claims' schema as Kong serves an external plugin's (the shape of
 * fixture 032, js-hello): its config fields are the plugin's own Schema, so Kong fills in
 * `mark_passed: false` wherever a file leaves it out.
 */
export function kong342SchemasWithJwtClaims(): Schemas {
  const base = kong342Schemas();
  const config = { type: 'record', required: true, fields: jwtClaimsSchema as unknown as FieldList };
  return { ...base, plugins: { ...base.plugins, 'jwt-claims': { entity_checks: [], fields: [{ config }] } as unknown as EntitySchema } };
}

/** An Entity with key and label from the kind registry, as loaders build them. */
export function entity(
  kind: Kind,
  fields: Record<string, unknown>,
  refs: Record<string, string | null> = {},
  extra: Partial<Pick<Entity, 'id' | 'masked' | 'source'>> = {},
): Entity {
  const def = KIND_DEFS[kind];
  const view = { fields, refs, id: extra.id };
  return { kind, key: def.identity(view), label: def.label(view), fields, refs, ...extra };
}

/**
 * A live Entity from an Admin API body: server-managed fields out, `{id}` foreign keys
 * replaced by the key of the entity with that id (`keysById`).
 */
export function live(kind: Kind, body: Record<string, unknown>, keysById: Record<string, string> = {}): Entity {
  const fields: Record<string, unknown> = {};
  const refs: Record<string, string | null> = {};
  const fks = KIND_DEFS[kind].foreignKeys;
  for (const [k, v] of Object.entries(body)) {
    if (k === 'id' || k === 'created_at' || k === 'updated_at') continue;
    if (k in fks) {
      const id = v && typeof v === 'object' ? (v as { id?: string }).id : undefined;
      refs[k] = id ? (keysById[id] ?? `${fks[k]}:#${id}`) : null;
    } else fields[k] = v;
  }
  return entity(kind, fields, refs, { id: String(body.id) });
}

function field(list: FieldList | undefined, name: string): FieldSchema {
  const entry = list?.find((e) => name in e);
  if (!entry) throw new Error(`no field ${name}`);
  return entry[name];
}

/**
 * `base` as a Kong 3.14 node answers its schemas, where secure defaults replaced the old ones:
 * routes default `protocols` to ["https"] (was ["http","https"]), key-auth `hide_credentials` to
 * true (was false). Entities created before the upgrade keep the old values.
 */
export function withSecureDefaults(base: Schemas): Schemas {
  const s = structuredClone(base);
  field(s.entities.route?.fields, 'protocols').default = ['https'];
  field(field(s.plugins['key-auth'].fields, 'config').fields, 'hide_credentials').default = true;
  return s;
}
