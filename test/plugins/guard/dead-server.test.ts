/**
 * End to end: jwt-claims in its real plugin server, the fail-closed guard exactly as kong-ctl
 * renders it from a declarative file, KongSim playing Kong over real HTTP, a real upstream. The
 * plugin server is killed (SIGKILL) while clients keep sending valid and invalid tokens, then
 * started again. Not one request without a valid token may reach the upstream, ever; during the
 * outage even valid tokens get 503; afterwards traffic flows again. And without the guard, the
 * same outage lets an invalid token through: Kong's fail-open, the reason for the guard.
 *
 * No assertion depends on timing: the phases are ordered by awaiting the kill and the restart,
 * and the concurrent clients are only held to what must be true whenever a request runs.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import type { Entity } from '../../../cli/src/model/entity';
import { formatDiagnostic } from '../../../cli/src/model/errors';
import {
  KongHttpFront,
  KongSim,
  PluginServerProcess,
  dumpAllPlugins,
  httpUpstream,
  kongRoute,
  kongService,
} from '../../harness';
import { PLUGIN_DIR, assertBuilt } from '../jwt-claims/harness-env';
import { makeToken, nowSec, rsaKey } from '../jwt-claims/tokens';

const ISS = 'https://idp.example.com/';
const key = rsaKey();
const otherKey = rsaKey();

/** Every client token, by label; `none` sends no Authorization header. */
const TOKENS = {
  valid: makeToken('RS256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() + 3600 }),
  forged: makeToken('RS256', otherKey.privateKey, { iss: ISS, sub: 'mallory', exp: nowSec() + 3600 }),
  expired: makeToken('RS256', key.privateKey, { iss: ISS, sub: 'alice', exp: nowSec() - 3600 }),
  garbage: 'not-a-jwt',
  none: '',
};
type Label = keyof typeof TOKENS;
const LABELS = Object.keys(TOKENS) as Label[];
const INVALID = LABELS.filter((l) => l !== 'valid');
const labelOf = (authorization: string | undefined): Label | 'unknown' =>
  authorization === undefined ? 'none' : (LABELS.find((l) => TOKENS[l] !== '' && authorization === `Bearer ${TOKENS[l]}`) ?? 'unknown');

const UNAVAILABLE = { message: 'The upstream server is currently unavailable' };

/** The declarative file a user writes: one route with jwt-claims, the guard on or off. */
function kongYaml(upstreamPort: number, guard: boolean, servicePath: string): string {
  return stringify({
    _format_version: '3.0',
    _info: { fail_closed_guard: guard },
    services: [
      {
        name: 'api',
        url: `http://127.0.0.1:${upstreamPort}${servicePath}`,
        routes: [
          {
            name: 'orders-api',
            paths: ['/orders'],
            plugins: [{ name: 'jwt-claims', config: { issuers: [{ issuer: ISS, public_keys: [key.pem] }] } }],
          },
        ],
      },
    ],
  });
}

/** kong-ctl loads and validates the file; its entities become KongSim's (what an apply would create). */
async function simFromFile(text: string, server: PluginServerProcess): Promise<{ sim: KongSim; plugins: Entity[] }> {
  const loaded = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
  const problems = validateDesired(loaded).filter((d) => d.severity !== 'warning');
  expect(problems.map(formatDiagnostic)).toEqual([]);
  const sim = new KongSim({
    kongVersion: '3.4.2',
    servers: [{ name: 'jwt-claims', socketPath: server.socketPath, plugins: await dumpAllPlugins(PLUGIN_DIR) }],
    upstream: httpUpstream,
  });
  const ids = new Map<string, string>();
  const entities = loaded.state.entities;
  for (const e of entities.filter((x) => x.kind === 'service')) {
    const f = e.fields as { name: string; host: string; port: number; path?: string };
    ids.set(e.key, sim.addService(kongService({ name: f.name, host: f.host, port: f.port, path: f.path })).id);
  }
  for (const e of entities.filter((x) => x.kind === 'route')) {
    const f = e.fields as { name: string; paths: string[] };
    const service = e.refs.service ? { id: ids.get(e.refs.service) as string } : undefined;
    ids.set(e.key, sim.addRoute(kongRoute({ name: f.name, paths: f.paths, service })).id);
  }
  const plugins = entities.filter((x) => x.kind === 'plugin');
  for (const e of plugins) {
    sim.addPlugin({
      name: String(e.fields.name),
      config: e.fields.config as Record<string, unknown>,
      route: e.refs.route ? ids.get(e.refs.route) : null,
      service: e.refs.service ? ids.get(e.refs.service) : null,
      enabled: e.fields.enabled !== false,
    });
  }
  return { sim, plugins };
}

interface Hit {
  path: string;
  label: Label | 'unknown';
}

let prefix: string;
let server: PluginServerProcess;
let upstream: http.Server;
const hits: Hit[] = [];
let guarded: { sim: KongSim; front: KongHttpFront; base: string; plugins: Entity[] };
let open: { sim: KongSim; front: KongHttpFront; base: string; plugins: Entity[] };

async function withFront(text: string) {
  const { sim, plugins } = await simFromFile(text, server);
  const front = new KongHttpFront(sim);
  return { sim, front, plugins, base: await front.listen() };
}

beforeAll(async () => {
  assertBuilt();
  prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
  server = PluginServerProcess.underTest({ pluginsDirectory: PLUGIN_DIR, prefix, sockName: 'jwt_claims.sock' });
  await server.start();
  upstream = http.createServer((req, res) => {
    hits.push({ path: req.url ?? '', label: labelOf(req.headers.authorization) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;
  guarded = await withFront(kongYaml(port, true, '/guarded'));
  open = await withFront(kongYaml(port, false, '/open'));
});

afterAll(async () => {
  // close() also fails the run on harness failures and PDK violations seen by any request
  await guarded?.front.close();
  await open?.front.close();
  guarded?.sim.close();
  open?.sim.close();
  await server?.stop();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  if (prefix) fs.rmSync(prefix, { recursive: true, force: true });
});

async function send(base: string, label: Label): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = TOKENS[label] ? { Authorization: `Bearer ${TOKENS[label]}` } : {};
  const res = await fetch(`${base}/orders/1`, { headers });
  return { status: res.status, body: await res.text() };
}

/** Upstream hits per token label on one service path. */
function hitsOn(servicePath: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of hits.filter((x) => x.path.startsWith(servicePath))) out[h.label] = (out[h.label] ?? 0) + 1;
  return out;
}

interface Outcome {
  label: Label;
  status: number;
  body: string;
  /** The phase when the request was sent and when its answer came. */
  sent: Phase;
  answered: Phase;
}
/** `killing` and `starting` cover the kill and the restart themselves: only requests wholly inside one of the others are judged by phase. */
type Phase = 'up' | 'killing' | 'down' | 'starting' | 'back';

/** Clients sending every token in turn until stopped; `served` resolves once `n` requests were answered in a phase. */
class Traffic {
  phase: Phase = 'up';
  readonly outcomes: Outcome[] = [];
  private stopped = false;
  private waiters: Array<{ phase: Phase; n: number; resolve: () => void }> = [];
  private readonly clients: Array<Promise<void>>;

  constructor(
    private readonly base: string,
    clients: number,
  ) {
    this.clients = Array.from({ length: clients }, (_, i) => this.client(i));
  }

  private async client(offset: number): Promise<void> {
    for (let i = offset; !this.stopped; i++) {
      const label = LABELS[i % LABELS.length];
      const sent = this.phase;
      const res = await send(this.base, label);
      this.outcomes.push({ label, ...res, sent, answered: this.phase });
      this.notify();
    }
  }

  /** Whether `n` requests, every label among them, were both sent and answered during `phase`. */
  private servedWithin(phase: Phase, n: number): boolean {
    const within = this.outcomes.filter((o) => o.sent === phase && o.answered === phase);
    return within.length >= n && new Set(within.map((o) => o.label)).size === LABELS.length;
  }

  private notify(): void {
    this.waiters = this.waiters.filter((w) => (this.servedWithin(w.phase, w.n) ? (w.resolve(), false) : true));
  }

  /**
   * Resolves once `n` requests, and every label, were both sent and answered during `phase`. The
   * clients drift apart (a proxied valid token takes longer than a refusal), so `n` requests
   * alone need not cover every label.
   */
  served(phase: Phase, n: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ phase, n, resolve });
      this.notify();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.clients);
  }
}

describe('the jwt-claims plugin server dies mid-traffic', () => {
  it('kong-ctl put its guard on the route, from its own rendering', () => {
    expect(guarded.plugins.map((p) => p.label)).toEqual(['plugin jwt-claims (route orders-api)', 'plugin post-function (route orders-api)']);
    expect(open.plugins.map((p) => p.label)).toEqual(['plugin jwt-claims (route orders-api)']);
  });

  it('with the guard, no request without a valid token ever reaches the upstream; the outage answers 503; traffic resumes', async () => {
    const hitsBefore = hits.length;
    // Up: valid passes, everything else is refused by jwt-claims itself.
    for (const label of LABELS) expect((await send(guarded.base, label)).status, label).toBe(label === 'valid' ? 200 : 401);

    const traffic = new Traffic(guarded.base, 4);
    await traffic.served('up', LABELS.length * 2);
    traffic.phase = 'killing';
    await server.stop('SIGKILL');
    traffic.phase = 'down';

    // Down: Kong proxies without jwt-claims (fail open), the guard refuses every request.
    for (const label of LABELS) {
      const res = await send(guarded.base, label);
      expect(res.status, label).toBe(503);
      expect(JSON.parse(res.body)).toEqual(UNAVAILABLE);
    }
    const detail = await guarded.sim.request({ method: 'GET', path: '/orders/1', headers: { Authorization: `Bearer ${TOKENS.valid}` } });
    expect(detail.status).toBe(503);
    expect(detail.events.map((e) => [e.plugin, e.outcome])).toEqual([['jwt-claims', 'rpc-error']]);
    expect(detail.kongLog.map((l) => l.message)).toContainEqual(expect.stringMatching(/^trying to connect: /));
    expect(detail.upstreamRequest).toBeUndefined();
    await traffic.served('down', LABELS.length * 2);

    traffic.phase = 'starting';
    await server.start();
    traffic.phase = 'back';
    for (const label of LABELS) expect((await send(guarded.base, label)).status, label).toBe(label === 'valid' ? 200 : 401);
    await traffic.served('back', LABELS.length * 2);
    await traffic.stop();

    // What must hold for every request, whenever it ran.
    for (const o of traffic.outcomes) {
      const allowed = o.label === 'valid' ? [200, 503] : [401, 503];
      expect(allowed, `${o.label} sent ${o.sent}, answered ${o.answered}: ${o.status} ${o.body}`).toContain(o.status);
      if (o.status === 503) expect(JSON.parse(o.body)).toEqual(UNAVAILABLE);
    }
    const within = (phase: Phase) => traffic.outcomes.filter((o) => o.sent === phase && o.answered === phase);
    // Wholly during the outage: fail closed, valid tokens included.
    expect(within('down').length).toBeGreaterThanOrEqual(LABELS.length * 2);
    expect(within('down').every((o) => o.status === 503)).toBe(true);
    expect(new Set(within('down').map((o) => o.label))).toEqual(new Set(LABELS));
    // Wholly before and after: the plugin decides.
    for (const o of [...within('up'), ...within('back')]) expect(o.status, o.label).toBe(o.label === 'valid' ? 200 : 401);

    // The upstream saw the valid token exactly as often as it was answered 200, and nothing else.
    const hitsNow = hits.slice(hitsBefore);
    const ok = traffic.outcomes.filter((o) => o.status === 200).length + 2; // + the sequential checks before and after
    expect(hitsNow.every((h) => h.label === 'valid')).toBe(true);
    expect(hitsNow).toHaveLength(ok);
    for (const label of INVALID) expect(hitsOn('/guarded')[label] ?? 0, label).toBe(0);
  });

  it('without the guard, the same outage lets an invalid token through (Kong fails open)', async () => {
    expect((await send(open.base, 'forged')).status).toBe(401);
    await server.stop('SIGKILL');
    try {
      const res = await send(open.base, 'forged');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ ok: true });
      expect(hitsOn('/open').forged).toBe(1);
    } finally {
      await server.start();
    }
    expect((await send(open.base, 'forged')).status).toBe(401);
    expect(hitsOn('/open').forged).toBe(1);
  });
});
