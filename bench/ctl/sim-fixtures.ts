/**
 * The recorded Kong 3.4.2 exchanges the simulator answers from: `GET /`, `GET /status`, every
 * `GET /schemas/…` body (plus the few transcribed from Kong's source in
 * test/fixtures/kong-schemas-from-source), and the error bodies it imitates. Read from test/fixtures at start-up
 * (found by walking up from this file, so it works from the sources under vitest and from
 * dist/bench/ctl after a build).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
