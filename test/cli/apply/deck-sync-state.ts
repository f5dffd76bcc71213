/**
 * decK's sync tests compare the whole state Kong holds after a sync with an expected state
 * (tests/integration/test_utils.go `testKongState`: go-cmp over decK's dump). This file compares
 * the simulator's tables the same way, so that a ported case asserts what decK asserts:
 *
 * - every table is compared, and one the case does not mention must be empty;
 * - an entity's fields are all compared: a field the expected entity leaves out must be null or
 *   empty in Kong (go-cmp's `EquateEmpty` on nil pointers and empty slices);
 * - `created_at` and `updated_at` are never compared, nor the ids of the kinds decK ignores them
 *   for (`IgnoreFields(kong.Plugin{}, "ID", …)`); since go-cmp ignores a type's field wherever
 *   the type appears, a foreign key to such a kind only has to be there (`consumer: {}`);
 * - lists of strings (protocols, paths, tags) compare as sets (`SortSlices` on `*string`), and
 *   entities of a table in any order;
 * - plugin and vault `config` are maps: their keys must be exactly the expected ones;
 * - a case may ignore more fields per table, as decK's cases pass `cmpopts.IgnoreFields`.
 */
import { expect } from 'vitest';
import type { SimStore } from '../../../bench/ctl/sim-store';

type Obj = Record<string, unknown>;

/** decK's `utils.KongRawState` fields, by the simulator's table names. */
export type KongState = Partial<Record<Table, Obj[]>>;
export type Table =
  | 'services'
  | 'routes'
  | 'plugins'
  | 'consumers'
  | 'upstreams'
  | 'targets'
  | 'certificates'
  | 'snis'
  | 'ca_certificates'
  | 'vaults'
  | 'keys'
  | 'key_sets'
  | 'keyauth_credentials';

/** Tables whose `id` decK's comparison ignores (test_utils.go `testKongState`). */
const ID_IGNORED = new Set(['plugins', 'upstreams', 'targets', 'ca_certificates', 'consumers', 'vaults', 'certificates', 'snis', 'keyauth_credentials']);

/** Foreign-key field → the table it points at. */
const FOREIGN: Record<string, string> = {
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  upstream: 'upstreams',
  certificate: 'certificates',
  set: 'key_sets',
  client_certificate: 'certificates',
};

/** Fields holding maps, whose keys are compared as they are. */
const MAPS = new Set(['config']);

const isEmpty = (v: unknown) => v === null || v === undefined || (Array.isArray(v) && v.length === 0);

function normalizeStruct(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (isEmpty(v)) continue;
    if (MAPS.has(k)) out[k] = v;
    else if (Array.isArray(v)) out[k] = v.every((x) => typeof x === 'string') ? [...v].sort() : v;
    else if (v && typeof v === 'object') out[k] = normalizeStruct(v as Obj);
    else out[k] = v;
  }
  return out;
}

function normalizeRow(table: string, row: Obj, ignored: readonly string[]): Obj {
  const r: Obj = { ...row };
  delete r.created_at;
  delete r.updated_at;
  if (ID_IGNORED.has(table)) delete r.id;
  for (const f of ignored) delete r[f];
  for (const [field, to] of Object.entries(FOREIGN)) {
    if (r[field] && typeof r[field] === 'object' && ID_IGNORED.has(to)) r[field] = {};
  }
  return normalizeStruct(r);
}

const byJson = (a: Obj, b: Obj) => JSON.stringify(a).localeCompare(JSON.stringify(b));

/** decK's `testKongState(t, client, false, expected, ignore)` against the simulator's tables. */
export function expectKongState(store: SimStore, expected: KongState, ignore: Partial<Record<Table, readonly string[]>> = {}): void {
  const actual: Record<string, Obj[]> = {};
  const wanted: Record<string, Obj[]> = {};
  for (const table of store.tables()) {
    const ign = ignore[table as Table] ?? [];
    actual[table] = store.all(table).map((r) => normalizeRow(table, r, ign)).sort(byJson);
    wanted[table] = (expected[table as Table] ?? []).map((r) => normalizeRow(table, r, ign)).sort(byJson);
  }
  expect(actual).toEqual(wanted);
}
