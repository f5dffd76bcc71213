/**
 * The recorded Kong 3.4.2 exchanges the simulator answers from: `GET /`, `GET /status`, every
 * `GET /schemas/…` body (plus the few transcribed from Kong's source in
 * test/fixtures/kong-schemas-from-source), and the error bodies it imitates. Read from test/fixtures at start-up
 * (found by walking up from this file, so it works from the sources under vitest and from
 * dist/bench/ctl after a build).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FieldList } from '../../cli/src/model/schema';
import { fieldEntries } from '../../cli/src/model/schema';

export interface Exchange {
  request: { method: string; path: string; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

export function fixturesRoot(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'test', 'fixtures', 'kong-admin');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find test/fixtures/kong-admin above ${__dirname}`);
    dir = parent;
  }
}

export interface SimFixtures {
  root: Record<string, unknown>;
  status: Record<string, unknown>;
  /** `/schemas/services`, `/schemas/plugins/rate-limiting` → body. */
  schemas: Map<string, Record<string, unknown>>;
  /** Recorded exchange by number prefix (`125`), for error bodies. */
  exchange(prefix: string): Exchange;
}

let cached: SimFixtures | undefined;

export function loadSimFixtures(): SimFixtures {
  if (cached) return cached;
  const dir = join(fixturesRoot(), '3.4.2-postgres');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  const byPrefix = new Map<string, Exchange>();
  for (const f of files) byPrefix.set(f.slice(0, 3), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Exchange);
  const schemas = new Map<string, Record<string, unknown>>();
  // Schemas the recording lacks (vaults, oauth2 credentials), transcribed from Kong's Lua.
  const fromSource = join(dirname(fixturesRoot()), 'kong-schemas-from-source', '3.4');
  const transcribed = readdirSync(fromSource)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(fromSource, f), 'utf8')) as Exchange);
  for (const ex of [...transcribed, ...byPrefix.values()]) {
    if (ex.request.method === 'GET' && ex.request.path.startsWith('/schemas/') && ex.response.status === 200) {
      schemas.set(ex.request.path, ex.response.body as Record<string, unknown>);
    }
  }
  const exchange = (prefix: string): Exchange => {
    const ex = byPrefix.get(prefix);
    if (!ex) throw new Error(`no fixture ${prefix} in ${dir}`);
    return ex;
  };
  cached = {
    root: exchange('001').response.body as Record<string, unknown>,
    status: exchange('002').response.body as Record<string, unknown>,
    schemas,
    exchange,
  };
  return cached;
}

/**
 * The fixtures of a node whose `plugins` setting also names this project's plugins, each served
 * by its plugin server (kong/kong.conf). Kong serves such a plugin's schema as it served the
 * recorded JavaScript plugin js-hello (fixture 032): the plugin server's `config` fields, as a
 * required record, and nothing else. Every record inside is made required too, unless it says
 * otherwise (kong/db/schema/entity.lua `make_records_required`, run by `Entity.new_subschema`
 * "so that they return their full structure"): Kong fills their defaults on every write.
 */
export function withPlugins(base: SimFixtures, plugins: ReadonlyArray<{ Name: string; Schema: unknown }>): SimFixtures {
  const schemas = new Map(base.schemas);
  const available = { ...((base.root.plugins as { available_on_server?: Record<string, unknown> } | undefined)?.available_on_server ?? {}) };
  for (const p of plugins) {
    // Through JSON, as the plugin server's --dump-all-plugins hands it to Kong.
    const fields = JSON.parse(JSON.stringify(p.Schema)) as FieldList;
    makeRecordsRequired(fields);
    schemas.set(`/schemas/plugins/${p.Name}`, { entity_checks: [], fields: [{ config: { type: 'record', fields, required: true } }] });
    available[p.Name] = true;
  }
  const root = { ...base.root, plugins: { ...(base.root.plugins as object), available_on_server: available } };
  return { ...base, root, schemas };
}

function makeRecordsRequired(fields: FieldList): void {
  for (const [, f] of fieldEntries(fields)) {
    if (f.type !== 'record') continue;
    if (f.required === undefined) f.required = true;
    makeRecordsRequired(f.fields ?? []);
  }
}
