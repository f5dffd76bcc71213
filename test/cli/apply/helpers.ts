/**
 * Test helpers for apply: the recorded Kong exchanges, entities keyed the way the readers key
 * them, plan changes, and a real Admin API client whose retry backoff does not sleep.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Entity, Kind, SourceRef } from '../../../cli/src/model/entity';
import type { Change, FieldChange } from '../../../cli/src/model/plan';
import { KIND_DEFS } from '../../../cli/src/kinds';
import { createAdminClient } from '../../../cli/src/kong/client';
import type { KongAdminClient } from '../../../cli/src/kong/client';

const ROOT = join(__dirname, '../../fixtures/kong-admin');

export interface Exchange {
  request: { method: string; path: string; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

export function exchange(prefix: string, dir: '3.4.2-postgres' | '3.4.2-dbless' = '3.4.2-postgres'): Exchange {
  const d = join(ROOT, dir);
  const file = readdirSync(d).find((f) => f.startsWith(prefix + '_'));
  if (!file) throw new Error(`no fixture ${dir}/${prefix}`);
  return JSON.parse(readFileSync(join(d, file), 'utf8')) as Exchange;
}

/** A response body of a recorded exchange, deep-copied so a test may adjust ids. */
export function body<T = Record<string, unknown>>(prefix: string, dir?: '3.4.2-postgres' | '3.4.2-dbless'): T {
  return JSON.parse(JSON.stringify(exchange(prefix, dir).response.body)) as T;
}

export function src(line: number, path: string, column = 5): SourceRef {
  return { file: 'kong.yaml', line, column, path };
}

export function entity(
  kind: Kind,
  fields: Record<string, unknown>,
  refs: Record<string, string | null> = {},
  extra: Partial<Pick<Entity, 'id' | 'source'>> = {},
): Entity {
  const def = KIND_DEFS[kind];
  const view = { fields, refs, id: extra.id };
  return { kind, key: def.identity(view), label: def.label(view), fields, refs, ...extra };
}

export function create(desired: Entity): Change {
  return { op: 'create', kind: desired.kind, key: desired.key, label: desired.label, desired };
}

export function remove(current: Entity): Change {
  return { op: 'delete', kind: current.kind, key: current.key, label: current.label, id: current.id, current };
}

export function update(current: Entity, desired: Entity, paths: string[]): Change {
  const fieldChanges: FieldChange[] = paths.map((p) => ({ path: p, before: null, after: null }));
  return { op: 'update', kind: desired.kind, key: desired.key, label: desired.label, id: current.id, current, desired, fieldChanges };
}

export function client(kongAddr: string, maxRetries = 2): KongAdminClient {
  return createAdminClient({ kongAddr, headers: [], maxRetries }, { sleep: async () => {} });
}

export const UUID_PATH = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

export function idsMap(entities: Entity[]): Map<string, string> {
  return new Map(entities.filter((e) => e.id).map((e) => [e.key, e.id!]));
}
