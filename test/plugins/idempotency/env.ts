/**
 * idempotency served by the real kong-pdk plugin server (dist/kong-plugins/idempotency, the
 * directory Kong's start command points at), KongSim playing Kong 3.4.2, and a real loopback
 * upstream. A "node" is one plugin server process + one KongSim: two nodes sharing one Redis are
 * two Kong nodes. Entities (routes, plugins, consumers) get fixed ids so every node sees the same
 * configuration, as a Kong cluster does.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import {
  KongSim,
  PluginServerProcess,
  REPO_ROOT,
  dumpAllPlugins,
  keyAuthCredential,
  kongConsumer,
  kongRoute,
  kongService,
  type KongConsumer,
  type KongCredential,
  type KongService,
  type NativePlugin,
  type PluginInit,
  type SimRequest,
  type SimResult,
  type UpstreamTransport,
} from '../../harness';

export const PLUGIN_DIR = path.join(REPO_ROOT, 'dist', 'kong-plugins', 'idempotency');
const SOURCES = [path.join(REPO_ROOT, 'plugins', 'idempotency'), path.join(REPO_ROOT, 'plugins', 'shared')];
export const KONG_VERSION = '3.4.2';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** The plugin server loads compiled JS: refuse to test a build older than the sources. */
export function assertBuilt(): void {
  const entry = path.join(PLUGIN_DIR, 'idempotency.js');
  const compiled = path.join(REPO_ROOT, 'dist', 'plugins', 'idempotency', 'handler.js');
  if (!fs.existsSync(entry) || !fs.existsSync(compiled)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
  if (Math.max(...SOURCES.map(newestMtime)) > Math.min(fs.statSync(compiled).mtimeMs, fs.statSync(entry).mtimeMs)) {
    throw new Error('dist/ is older than plugins/idempotency or plugins/shared: run `npm run build` first');
  }
}

// ------------------------------------------------------------------ upstream

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** 256 bytes 0x00..0xff then CR LF and invalid UTF-8: whatever text handling would mangle. */
export const BINARY_BODY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0x0d, 0x0a, 0xc3, 0x28, 0xff, 0xfe])]);

/** A header value an upstream sends in Latin-1: not UTF-8, bytes E9. */
export const LATIN1_DISPOSITION = Buffer.from('attachment; filename="r\xe9sum\xe9.pdf"', 'latin1');

/**
 * A real HTTP upstream. By path (after the route prefix is stripped):
 *   /status/<code>  that status, JSON body {"n": <hit count>, "path": …}
 *   /binary         201, BINARY_BODY, octet-stream, X-Custom, two Set-Cookie
 *   /big/<bytes>    201, that many bytes
 *   /latin1         201, a Content-Disposition in Latin-1 (LATIN1_DISPOSITION), X-Utf8 in UTF-8
 *   /gate/<name>    held until `open(name)`, then 201 JSON
 *   anything else   201 JSON {"n": <hit count>, "path": …}
 */
export class TestUpstream {
  readonly seen: SeenRequest[] = [];
  private server: http.Server | undefined;
  private readonly gates = new Map<string, { waiting: Array<() => void>; opened: boolean; arrived: Array<() => void>; count: number }>();
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.answer({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }, res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  hits(pathPrefix: string): number {
    return this.seen.filter((s) => s.url.startsWith(pathPrefix)).length;
  }

  private gate(name: string) {
    let g = this.gates.get(name);
    if (!g) {
      g = { waiting: [], opened: false, arrived: [], count: 0 };
      this.gates.set(name, g);
    }
    return g;
  }

  /** Resolves once `count` requests are held at gate `name`. */
  arrived(name: string, count = 1): Promise<void> {
    const g = this.gate(name);
    if (g.count >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => (g.count >= count ? resolve() : g.arrived.push(check));
      g.arrived.push(check);
    });
  }

  open(name: string): void {
    const g = this.gate(name);
    g.opened = true;
    for (const w of g.waiting.splice(0)) w();
  }

  private async answer(req: SeenRequest, res: http.ServerResponse): Promise<void> {
    this.seen.push(req);
    const p = req.url.split('?')[0]!;
    const n = this.hits(p);
    const json = (status: number) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-Upstream-Hit': String(n) });
      res.end(JSON.stringify({ n, path: req.url, method: req.method }));
    };
    let m: RegExpExecArray | null;
    if ((m = /^\/status\/(\d{3})$/.exec(p))) return json(Number(m[1]));
    if (p === '/binary') {
      res.writeHead(201, [
        ['Content-Type', 'application/octet-stream'],
        ['X-Custom', 'a'],
        ['Set-Cookie', 'a=1; Path=/'],
        ['Set-Cookie', 'b=2; Path=/'],
      ].flat() as unknown as http.OutgoingHttpHeaders);
      return void res.end(BINARY_BODY);
    }
    if (p === '/latin1') {
      // Node writes header values as Latin-1: these are the bytes E9, and C3 A9 for X-Utf8
      res.writeHead(201, [
        ['Content-Type', 'text/plain'],
        ['Content-Disposition', LATIN1_DISPOSITION.toString('latin1')],
        ['X-Utf8', Buffer.from('café', 'utf8').toString('latin1')],
      ].flat() as unknown as http.OutgoingHttpHeaders);
      return void res.end('ok');
    }
    if (p === '/cut-off') {
      // Headers, then a body that ends before its Content-Length: the connection is dropped.
      res.writeHead(201, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      return void res.write('{"partial":', () => res.socket?.destroy());
    }
    if ((m = /^\/big\/(\d+)$/.exec(p))) {
      res.writeHead(201, { 'Content-Type': 'application/octet-stream' });
      return void res.end(Buffer.alloc(Number(m[1]), 0x61));
    }
    if ((m = /^\/gate\/([\w-]+)$/.exec(p))) {
      const g = this.gate(m[1]!);
      g.count++;
      for (const a of g.arrived.splice(0)) a();
      if (!g.opened) await new Promise<void>((r) => g.waiting.push(r));
      return json(201);
    }
    return json(201);
  }

  async close(): Promise<void> {
    for (const name of this.gates.keys()) this.open(name);
    const server = this.server;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

// ------------------------------------------------------------------ nodes

/** Consumers with key-auth credentials (`apikey: <key>`). */
export interface Tenant {
  consumer: KongConsumer;
  credential: KongCredential;
  apikey: string;
}

export function tenant(name: string): Tenant {
  const consumer = kongConsumer({ username: name });
  const apikey = `${name}-key`;
  return { consumer, credential: keyAuthCredential({ consumer: { id: consumer.id }, key: apikey }), apikey };
}

export interface RouteSpec {
  name: string;
  config: Record<string, unknown>;
  /** Also run key-auth on the route. */
  keyAuth?: boolean;
  /** Service override (e.g. one pointing at a closed port). */
  service?: KongService;
  /** More plugins on the route (native ones need startNode's nativePlugins). */
  plugins?: Array<{ name: string; config?: Record<string, unknown> }>;
}

/** Entities every node gets, ids fixed at creation. */
export class Cluster {
  readonly service: KongService;
  readonly routes: Array<{ route: ReturnType<typeof kongRoute>; plugins: PluginInit[]; service?: KongService }> = [];
  readonly tenants: Tenant[] = [];

  constructor(upstreamPort: number) {
    this.service = kongService({ name: 'api', host: '127.0.0.1', port: upstreamPort });
  }

  /** Adds a route `/<name>` with idempotency (and key-auth); returns its path prefix. */
  route(spec: RouteSpec): string {
    const route = kongRoute({ name: spec.name, paths: [`/${spec.name}`], service: { id: (spec.service ?? this.service).id } });
    const plugins: PluginInit[] = [{ name: 'idempotency', route: route.id, config: spec.config, id: `${route.id.slice(0, 24)}000000000001` }];
    if (spec.keyAuth) plugins.push({ name: 'key-auth', route: route.id, config: {}, id: `${route.id.slice(0, 24)}000000000002` });
    spec.plugins?.forEach((p, i) => plugins.push({ name: p.name, route: route.id, config: p.config ?? {}, id: `${route.id.slice(0, 24)}${String(i + 3).padStart(12, '0')}` }));
    this.routes.push({ route, plugins, service: spec.service });
    return `/${spec.name}`;
  }

  tenant(name: string): Tenant {
    const t = tenant(name);
    this.tenants.push(t);
    return t;
  }
}

export interface Node {
  server: PluginServerProcess;
  sim: KongSim;
  /** Date.now() once the plugin server was up (its plugin modules are loaded by then). */
  startedAt: number;
  request(req: SimRequest): Promise<SimResult>;
  close(): Promise<void>;
}

/**
 * One Kong node: its own plugin server process and KongSim, with every entity of `cluster`.
 * `kongVersion`: the Kong KongSim plays (default KONG_VERSION), with nginx's default 8 KiB buffer.
 */
export async function startNode(
  cluster: Cluster,
  options: { kongVersion?: string; trustedIps?: string[]; nativePlugins?: NativePlugin[]; upstream?: UpstreamTransport } = {},
): Promise<Node> {
  assertBuilt();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'idempotency-'));
  const server = PluginServerProcess.underTest({ pluginsDirectory: PLUGIN_DIR, prefix, sockName: 'idempotency.sock' });
  await server.start();
  const services = [cluster.service, ...cluster.routes.flatMap((r) => (r.service ? [r.service] : []))];
  const sim = new KongSim({
    kongVersion: options.kongVersion ?? KONG_VERSION,
    trustedIps: options.trustedIps,
    nativePlugins: options.nativePlugins,
    upstream: options.upstream,
    servers: [{ name: 'idempotency', socketPath: server.socketPath, plugins: await dumpAllPlugins(PLUGIN_DIR) }],
    services,
    routes: cluster.routes.map((r) => r.route),
    consumers: cluster.tenants.map((t) => t.consumer),
    credentials: cluster.tenants.map((t) => t.credential),
    plugins: cluster.routes.flatMap((r) => r.plugins),
  });
  return {
    server,
    sim,
    startedAt: Date.now(),
    request: (req) => sim.request(req),
    close: async () => {
      sim.close();
      await server.stop();
    },
  };
}

// ------------------------------------------------------------------ requests

let keySeq = 0;
/** A fresh key per call (tests never share keys by accident). */
export function freshKey(): string {
  return `key-${process.pid}-${Date.now()}-${keySeq++}`;
}

export function post(path: string, key: string | undefined, body: string | Buffer = '{"amount":100}', extra: Array<[string, string]> = []): SimRequest {
  const headers: Array<[string, string]> = [['Content-Type', 'application/json'], ...extra];
  if (key !== undefined) headers.push(['Idempotency-Key', key]);
  return { method: 'POST', path, headers, body };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export function problemOf(res: SimResult): Problem {
  expect(res.headers.first('content-type')).toBe('application/problem+json');
  const body = res.json() as Problem;
  expect(Object.keys(body).sort()).toEqual(['detail', 'status', 'title', 'type']);
  expect(body.status).toBe(res.status);
  return body;
}

/** The PDK methods a phase of a request called, in order. */
export function phaseCalls(res: SimResult, phase: string): string[] {
  return res.calls.filter((c) => c.phase === phase).map((c) => c.method);
}

/**
 * Waits until the plugin server is older than `lockTtlSeconds`: only then may a route with that
 * lock_ttl skip asking for a claim in response and log (a younger server may be serving the later
 * phases of claims its predecessor took: plugins/shared/held-claims.ts).
 */
export async function pastStartupWindow(node: Node, lockTtlSeconds: number): Promise<void> {
  const left = node.startedAt + lockTtlSeconds * 1000 + 50 - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}
