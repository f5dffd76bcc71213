/**
 * webhook-signature served by the real kong-pdk plugin server (from the build,
 * dist/kong-plugins/webhook-signature, the directory Kong's pluginserver start command points at),
 * with KongSim playing Kong 3.4.2 in front of a real loopback upstream. Several "Kong nodes" can be
 * started: one plugin server and one KongSim each, the same routes and plugin ids on all of them
 * (as nodes of one cluster share their configuration). Every plugin server reads its clock from
 * one file (KONG_PLUGINS_TEST_CLOCK_FILE).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  KongSim,
  PluginServerProcess,
  REPO_ROOT,
  dumpAllPlugins,
  kongRoute,
  kongService,
  type KongSimOptions,
  type SimRequest,
  type SimResult,
} from '../../harness';
import { TEST_CLOCK_ENV } from '../../../plugins/shared/clock';
import { assertPluginBuilt } from '../support/plugin-build';
import { writeTestClock } from '../support/test-clock';

export const PLUGIN = 'webhook-signature';
export const PLUGIN_DIR = path.join(REPO_ROOT, 'dist', 'kong-plugins', PLUGIN);
export const KONG_VERSION = '3.4.2';

export interface UpstreamHit {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A real HTTP server on 127.0.0.1: records every request, answers with `status` (read when it
 *  answers), and can hold requests until `open()` (a delivery still in progress). */
export class Upstream {
  readonly hits: UpstreamHit[] = [];
  status = 200;
  private server: http.Server | undefined;
  private held: Array<() => void> = [];
  private holding = false;
  private arrivals: Array<{ count: number; resolve: () => void }> = [];
  port = 0;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
        this.arrivals = this.arrivals.filter((a) => (this.hits.length >= a.count ? (a.resolve(), false) : true));
        // the status at answer time, so a held request can be made to fail after it arrived
        const answer = () => {
          const status = this.status;
          res.writeHead(status, { 'content-type': 'text/plain' });
          res.end(`upstream ${status}`);
        };
        if (this.holding) this.held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Requests arriving from now on wait until open(). */
  hold(): void {
    this.holding = true;
  }

  open(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  /** Resolves once `count` requests in total have arrived. */
  arrived(count: number): Promise<void> {
    if (this.hits.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ count, resolve }));
  }

  async close(): Promise<void> {
    this.open();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface KongNode {
  server: PluginServerProcess;
  sim: KongSim;
}

export interface WebhookEnv {
  nodes: KongNode[];
  upstream: Upstream;
  clockFile: string;
  /** Sets the plugins' clock (epoch seconds); undefined for the real clock. */
  setClock(seconds: number | undefined): void;
  /** A route `/<name>` with webhook-signature configured, on every node; returns the path. */
  route(name: string, config: Record<string, unknown>): string;
  /** A request through node `node` (default the first). */
  request(req: SimRequest, node?: number): Promise<SimResult>;
  close(): Promise<void>;
}

export interface EnvOptions {
  nodes?: number;
  clientBodyBufferSize?: number;
  /** Kong version KongSim plays (default KONG_VERSION). */
  kongVersion?: string;
  strict?: KongSimOptions['strict'];
}

export async function startWebhookEnv(options: EnvOptions = {}): Promise<WebhookEnv> {
  assertPluginBuilt(PLUGIN);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-signature-'));
  const clockFile = path.join(root, 'clock');
  const upstream = new Upstream();
  await upstream.start();
  const service = kongService({ name: 'hooks', host: '127.0.0.1', port: upstream.port });
  const plugins = await dumpAllPlugins(PLUGIN_DIR);
  const nodes: KongNode[] = [];
  for (let i = 0; i < (options.nodes ?? 1); i++) {
    const prefix = fs.mkdtempSync(path.join(root, `node${i}-`));
    const server = PluginServerProcess.underTest({ pluginsDirectory: PLUGIN_DIR, prefix, sockName: 'webhook_signature.sock', env: { ...process.env, [TEST_CLOCK_ENV]: clockFile } });
    await server.start();
    const sim = new KongSim({
      kongVersion: options.kongVersion ?? KONG_VERSION,
      servers: [{ name: PLUGIN, socketPath: server.socketPath, plugins }],
      services: [service],
      clientBodyBufferSize: options.clientBodyBufferSize,
      strict: options.strict,
    });
    nodes.push({ server, sim });
  }
  return {
    nodes,
    upstream,
    clockFile,
    setClock: (seconds) => writeTestClock(clockFile, seconds),
    route: (name, config) => {
      const route = kongRoute({ name, paths: [`/${name}`], service: { id: service.id } });
      const pluginId = randomUUID();
      for (const node of nodes) {
        node.sim.addRoute({ ...route });
        node.sim.addPlugin({ name: PLUGIN, id: pluginId, route: route.id, config });
      }
      return `/${name}`;
    },
    request: (req, node = 0) => nodes[node]!.sim.request(req),
    close: async () => {
      for (const node of nodes) node.sim.close();
      await Promise.all(nodes.map((n) => n.server.stop()));
      await upstream.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A POST of `body` to `path` with `headers`. */
export function post(path: string, headers: Array<[string, string]>, body: string | Buffer, contentType = 'application/json'): SimRequest {
  return { method: 'POST', path, headers: [['Content-Type', contentType], ...headers], body };
}

/** The PDK methods a request's `phase` called, in order. */
export function phaseCalls(result: SimResult, phase: 'access' | 'log'): string[] {
  return result.calls.filter((c) => c.phase === phase).map((c) => c.method);
}
