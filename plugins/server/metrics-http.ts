/**
 * The metrics endpoint: `GET /metrics` in Prometheus' text format, on `--metrics-port`, bound to
 * loopback unless `--metrics-host` names another address (metrics say which plugins run, how
 * much traffic they see and which upstreams fail: not for every network the gateway is on).
 * Anything but /metrics is 404. A taken port does not stop the plugin server — Kong's requests
 * matter more than their metrics — it is logged and retried until free (a predecessor that is
 * still shutting down closes its endpoint first thing).
 */
import http from 'node:http';
import net from 'node:net';
import type { Registry } from 'prom-client';
import { describeError, type Logger } from './logger';

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const METRICS_PATH = '/metrics';
const RETRY_MS = 5000;

export interface MetricsBind {
  port: number;
  host: string;
  /** The host is not a loopback address: reachable from other machines (warned about). */
  remote: boolean;
}

/** localhost, 127.0.0.0/8, ::1 (and its IPv4-mapped form). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

export interface MetricsEndpointOptions {
  bind: MetricsBind;
  registry: Registry;
  log: Logger;
  /** How long to wait before trying a taken port again. */
  retryMs?: number;
}

export class MetricsEndpoint {
  private readonly server: http.Server;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private failedOnce = false;
  /** The pending start()'s handler; after that, errors are only logged (never thrown). */
  private onStartError: ((e: NodeJS.ErrnoException) => void) | undefined;

  constructor(private readonly options: MetricsEndpointOptions) {
    this.server = http.createServer((req, res) => this.answer(req, res));
    this.server.on('error', (e: NodeJS.ErrnoException) => {
      if (this.onStartError) this.onStartError(e);
      else options.log.warn(`metrics: ${e.message}`);
    });
    // Prometheus keeps its connection between scrapes; an idle one must not hold the process
    this.server.keepAliveTimeout = 60_000;
  }

  /** `http://host:port/metrics` once listening. */
  get url(): string | undefined {
    const address = this.server.address();
    if (address === null || typeof address === 'string') return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}${METRICS_PATH}`;
  }

  /** Listens; resolves once listening, or once a failure is logged (a taken port is retried). */
  start(): Promise<void> {
    const { bind, log } = this.options;
    return new Promise((resolve) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        this.onStartError = undefined;
        this.server.off('listening', onListening);
        if (this.closed) return resolve();
        const retrying = e.code === 'EADDRINUSE';
        if (!this.failedOnce) {
          log.error(`metrics: cannot listen on ${bind.host}:${bind.port}: ${e.message}${retrying ? `; retrying every ${(this.options.retryMs ?? RETRY_MS) / 1000} s` : '; no metrics endpoint'}`);
        }
        this.failedOnce = true;
        if (retrying) {
          this.retry = setTimeout(() => void this.start(), this.options.retryMs ?? RETRY_MS);
          this.retry.unref();
        }
        resolve();
      };
      const onListening = (): void => {
        this.onStartError = undefined;
        log.info(`metrics at ${this.url}`);
        if (bind.remote) log.warn(`metrics: ${bind.host} is not a loopback address: the endpoint is reachable from other hosts`);
        resolve();
      };
      this.onStartError = onError;
      this.server.once('listening', onListening);
      this.server.listen(bind.port, bind.host);
    });
  }

  /** Stops listening and closes the connections (SIGTERM). */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== METRICS_PATH) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }).end('Method Not Allowed\n');
      return;
    }
    const { registry, log } = this.options;
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        log.warn(`metrics: collecting failed: ${describeError(e)}`);
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      },
    );
  }
}
