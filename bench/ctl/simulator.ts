/**
 * A loopback Kong Admin API (Postgres mode) for the benchmark and for tests that need the whole
 * pipeline: node:http on 127.0.0.1, answers shaped as the recorded 3.4.2 exchanges, a fixed
 * per-request latency (default 20 ms) and request counters. Data and Kong's rules live in
 * sim-store.ts; this file only routes HTTP onto it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadSimFixtures, withPlugins } from './sim-fixtures';
import { SimError, SimStore, isUuid } from './sim-store';
import type { Obj, SimAnswer } from './sim-store';

export interface SimulatorOptions {
  /** Delay before each answer, in ms. Default 20. */
  latencyMs?: number;
  /** Keep a log of every request (method, path and body as sent), for tests. */
  record?: boolean;
  /** Plugins beyond the recorded node's (this project's, as kong/kong.conf installs them). */
  plugins?: ReadonlyArray<{ Name: string; Schema: unknown }>;
}

/**
 * How a request may fail, as it does in front of a real node:
 * - `500`: Kong's answer when its database falters (kong/api/endpoints.lua: a DATABASE_ERROR
 *   is "An unexpected error occurred"); the transaction did not commit, nothing was written.
 * - `503`: a load balancer in front with no healthy node; the request never reached Kong.
 * - `reset-before`: the connection drops before the request reached Kong (a keep-alive socket
 *   the balancer closed); nothing was written.
 * - `502-after`, `reset-after`: the request reached Kong and was done, but the answer was lost
 *   on the way back (a balancer's 502, or the connection dropped): the write happened.
 */
export type SimFault = '500' | '503' | 'reset-before' | '502-after' | 'reset-after';

export interface SimFaultPlan {
  /** Chance, per request of the methods below, that it fails. */
  rate: number;
  faults: SimFault[];
  /** Methods that may fail. Default: the writes (POST, PUT, PATCH, DELETE). */
  methods?: string[];
  /**
   * Uniform in [0, 1), asked twice per request that may fail (whether, then which fault). It is
   * given the request, so that a test can decide by what the request is rather than by its
   * place among concurrent ones, and replay a run whatever order the writes arrive in.
   */
  random: (request: { method: string; path: string; body: string }) => number;
}

export interface SimulatorStats {
  requests: number;
  byMethod: Record<string, number>;
  /** Requests being served at once, and the most seen. */
  inFlight: number;
  maxInFlight: number;
}

export interface Simulator {
  url: string;
  store: SimStore;
  stats: SimulatorStats;
  /** `body`: the request's text as it came over the wire (what a test asserts a write carried). */
  log: Array<{ method: string; path: string; body?: string }>;
  setLatency(ms: number): void;
  /** Test-only: make requests fail as a real node or a balancer in front of it may (null: never). */
  setFaults(plan: SimFaultPlan | null): void;
  /** The faults injected since the last resetStats, in order, with the body of the request each met. */
  faults: Array<{ method: string; path: string; body?: string; fault: SimFault }>;
  resetStats(): void;
  close(): Promise<void>;
}

export const DEFAULT_SIM_LATENCY_MS = 20;

/** Top-level collection segment → table. The credential lists are read-only at top level. */
const TOP_LEVEL: Record<string, { table: string; writable: boolean }> = {
  services: { table: 'services', writable: true },
  routes: { table: 'routes', writable: true },
  consumers: { table: 'consumers', writable: true },
  plugins: { table: 'plugins', writable: true },
  upstreams: { table: 'upstreams', writable: true },
  certificates: { table: 'certificates', writable: true },
  ca_certificates: { table: 'ca_certificates', writable: true },
  snis: { table: 'snis', writable: true },
  vaults: { table: 'vaults', writable: true },
  keys: { table: 'keys', writable: true },
  'key-sets': { table: 'key_sets', writable: true },
  oauth2: { table: 'oauth2_credentials', writable: false },
  'key-auths': { table: 'keyauth_credentials', writable: false },
  jwts: { table: 'jwt_secrets', writable: false },
  'basic-auths': { table: 'basicauth_credentials', writable: false },
  'hmac-auths': { table: 'hmacauth_credentials', writable: false },
  acls: { table: 'acls', writable: false },
};

/** parent table → child segment → [child table, foreign key field]. */
const NESTED: Record<string, Record<string, [string, string]>> = {
  consumers: {
    'key-auth': ['keyauth_credentials', 'consumer'],
    jwt: ['jwt_secrets', 'consumer'],
    'basic-auth': ['basicauth_credentials', 'consumer'],
    'hmac-auth': ['hmacauth_credentials', 'consumer'],
    acls: ['acls', 'consumer'],
    oauth2: ['oauth2_credentials', 'consumer'],
    plugins: ['plugins', 'consumer'],
  },
  upstreams: { targets: ['targets', 'upstream'] },
  services: { routes: ['routes', 'service'], plugins: ['plugins', 'service'] },
  routes: { plugins: ['plugins', 'route'] },
  key_sets: { keys: ['keys', 'set'] },
};

const NOT_FOUND: SimAnswer = { status: 404, body: { message: 'Not found' } };

function tagFilter(raw: string | null, fx: ReturnType<typeof loadSimFixtures>): (o: Obj) => boolean {
  if (!raw) return () => true;
  const and = raw.includes(',');
  const or = raw.includes('/');
  if (and && or) throw new SimError({ status: 400, body: fx.exchange('113').response.body });
  const tags = raw.split(and ? ',' : '/');
  if (tags.length > 5) throw new SimError({ status: 400, body: fx.exchange('114').response.body });
  return (o) => {
    const own = Array.isArray(o.tags) ? (o.tags as string[]) : [];
    return or ? tags.some((t) => own.includes(t)) : tags.every((t) => own.includes(t));
  };
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const fx = opts.plugins?.length ? withPlugins(loadSimFixtures(), opts.plugins) : loadSimFixtures();
  const store = new SimStore(fx);
  let latency = opts.latencyMs ?? DEFAULT_SIM_LATENCY_MS;
  const stats: SimulatorStats = { requests: 0, byMethod: {}, inFlight: 0, maxInFlight: 0 };
  const log: Simulator['log'] = [];
  let faultPlan: SimFaultPlan | null = null;
  const faults: Simulator['faults'] = [];
  const pickFault = (request: { method: string; path: string; body: string }): SimFault | undefined => {
    if (!faultPlan || faultPlan.faults.length === 0) return undefined;
    if (!(faultPlan.methods ?? ['POST', 'PUT', 'PATCH', 'DELETE']).includes(request.method)) return undefined;
    if (faultPlan.random(request) >= faultPlan.rate) return undefined;
    return faultPlan.faults[Math.floor(faultPlan.random(request) * faultPlan.faults.length)];
  };

  const list = (table: string, url: URL, extra: (o: Obj) => boolean, basePath: string): SimAnswer => {
    const sizeRaw = url.searchParams.get('size');
    const size = sizeRaw === null ? 100 : Number(sizeRaw);
    if (!Number.isInteger(size) || size < 1 || size > 1000) return { status: 400, body: fx.exchange('115').response.body };
    const tags = url.searchParams.get('tags');
    const byTags = tagFilter(tags, fx);
    const page = store.page(table, size, url.searchParams.get('offset') ?? undefined, (o) => extra(o) && byTags(o));
    const body: Obj = { data: page.data, next: null };
    if (page.next) {
      body.offset = page.next;
      const q = new URLSearchParams({ offset: page.next, size: String(size) });
      if (tags) q.set('tags', tags);
      body.next = `${basePath}?${q.toString()}`;
    }
    return { status: 200, body };
  };

  const handle = (method: string, url: URL, body: Obj): SimAnswer => {
    const seg = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (seg.length === 0) return method === 'GET' ? { status: 200, body: fx.root } : NOT_FOUND;
    if (seg[0] === 'status' && seg.length === 1) return { status: 200, body: fx.status };
    if (seg[0] === 'schemas' && method === 'GET') {
      const schema = fx.schemas.get(url.pathname);
      if (schema) return { status: 200, body: schema };
      const what =
        seg[1] === 'plugins' ? `No plugin named '${seg[2]}'` : seg[1] === 'vaults' && seg[2] ? `No vault named '${seg[2]}'` : `No entity named '${seg[1]}'`;
      return { status: 404, body: { message: what } };
    }
    if (seg[0] === 'config') return { status: 400, body: fx.exchange('127').response.body };

    const top = TOP_LEVEL[seg[0]];
    if (!top) return NOT_FOUND;
    if (seg.length === 1) {
      if (method === 'GET') return list(top.table, url, () => true, url.pathname);
      if (method === 'POST' && top.writable) return { status: 201, body: store.upsert(top.table, body).row };
      return { status: 405, body: { message: 'Method not allowed' } };
    }

    if (seg.length === 2) {
      if (!top.writable) return NOT_FOUND;
      const key = seg[1];
      if (method === 'GET') {
        const row = store.find(top.table, key);
        return row ? { status: 200, body: row } : NOT_FOUND;
      }
      if (method === 'PUT') {
        const { row } = isUuid(key) ? store.upsert(top.table, body, { id: key }) : store.upsert(top.table, body, { endpointKey: key });
        return { status: 200, body: row };
      }
      if (method === 'PATCH') return { status: 200, body: store.patch(top.table, key, body) };
      if (method === 'DELETE') {
        store.delete(top.table, key);
        return { status: 204 };
      }
      return { status: 405, body: { message: 'Method not allowed' } };
    }

    const nested = NESTED[top.table]?.[seg[2]];
    if (!nested || seg.length > 4) return NOT_FOUND;
    const [childTable, fk] = nested;
    const parent = store.find(top.table, seg[1]);
    if (!parent) return NOT_FOUND;
    const parentId = String(parent.id);
    const underParent = (o: Obj) => (o[fk] as Obj | null)?.id === parentId;

    if (seg.length === 3) {
      if (method === 'GET') return list(childTable, url, underParent, url.pathname);
      if (method === 'POST') {
        if (childTable === 'targets' && typeof body.target === 'string') {
          // POST of an existing target updates it (kong/api/routes/upstreams.lua).
          const existing = store.findTarget(parentId, body.target);
          if (existing) return { status: 200, body: store.patch('targets', String(existing.id), body) };
        }
        return { status: 201, body: store.upsert(childTable, body, { parent: [fk, parentId] }).row };
      }
      return { status: 405, body: { message: 'Method not allowed' } };
    }

    const key = seg[3];
    const existing = childTable === 'targets' ? store.findTarget(parentId, key) : store.find(childTable, key);
    const mine = existing && underParent(existing) ? existing : undefined;
    if (method === 'PUT' && childTable !== 'targets') {
      const { row } = isUuid(key)
        ? store.upsert(childTable, body, { id: key, parent: [fk, parentId] })
        : store.upsert(childTable, body, { endpointKey: key, parent: [fk, parentId] });
      return { status: 200, body: row };
    }
    if (!mine) return NOT_FOUND;
    if (method === 'GET') return { status: 200, body: mine };
    if (method === 'PATCH' || method === 'PUT') return { status: 200, body: store.patch(childTable, String(mine.id), body) };
    if (method === 'DELETE') {
      store.delete(childTable, String(mine.id));
      return { status: 204 };
    }
    return { status: 405, body: { message: 'Method not allowed' } };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      stats.requests++;
      stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      const url = new URL(req.url ?? '/', 'http://sim');
      const text = Buffer.concat(chunks).toString('utf8');
      if (opts.record) log.push({ method, path: url.pathname + url.search, ...(text ? { body: text } : {}) });
      const answer = (): SimAnswer => {
        try {
          const body = text ? (JSON.parse(text) as Obj) : {};
          return handle(method, url, body);
        } catch (err) {
          if (err instanceof SimError) return err.answer;
          return { status: 500, body: { message: `An unexpected error occurred: ${(err as Error).message}` } };
        }
      };
      const fault = pickFault({ method, path: url.pathname + url.search, body: text });
      if (fault) faults.push({ method, path: url.pathname + url.search, ...(text ? { body: text } : {}), fault });
      setTimeout(() => {
        if (fault === 'reset-before' || fault === 'reset-after') {
          if (fault === 'reset-after') answer();
          stats.inFlight--;
          req.socket.destroy();
          return;
        }
        const a: SimAnswer =
          fault === '500'
            ? { status: 500, body: { message: 'An unexpected error occurred' } }
            : fault === '503'
              ? { status: 503, body: { message: 'no healthy upstream' } }
              : fault === '502-after'
                ? (answer(), { status: 502, body: { message: 'An invalid response was received from the upstream server' } })
                : answer();
        stats.inFlight--;
        if (a.body === undefined || a.status === 204) {
          res.writeHead(a.status, { 'x-kong-admin-latency': String(latency), server: 'kong/3.4.2' });
          res.end();
          return;
        }
        const payload = JSON.stringify(a.body);
        res.writeHead(a.status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(payload),
          'x-kong-admin-latency': String(latency),
          server: 'kong/3.4.2',
        });
        res.end(payload);
      }, latency);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    store,
    stats,
    log,
    setLatency(ms: number) {
      latency = ms;
    },
    faults,
    setFaults(plan: SimFaultPlan | null) {
      faultPlan = plan;
    },
    resetStats() {
      stats.requests = 0;
      stats.byMethod = {};
      stats.maxInFlight = stats.inFlight;
      log.length = 0;
      faults.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
