/**
 * An HTTP listener on 127.0.0.1 standing where Kong's proxy port would be: each real request
 * runs through KongSim (and so through the real plugin server and the real upstream); the
 * response is written before the log phase runs, as Kong's log timers run after the response.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderList } from './headers';
import { fromLatin1 } from './lua-strings';
import type { KongSim, SimResult } from './kong-sim';

export class KongHttpFront {
  readonly results: SimResult[] = [];
  /** Harness failures (not plugin behaviour): a request the simulation could not run. */
  readonly failures: Error[] = [];
  private server: http.Server | undefined;
  private readonly pending = new Set<Promise<void>>();
  private port = 0;

  /**
   * keepResults false: `results` stays empty (a benchmark's million requests would pile up there);
   * onResult sees each result either way, once the request is over, log phase included.
   */
  constructor(
    readonly sim: KongSim,
    private readonly options: { keepResults?: boolean; onResult?: (result: SimResult) => void } = {},
  ) {}

  /** Starts listening on 127.0.0.1 (port 0 = any); resolves with the base URL. */
  async listen(port = 0): Promise<string> {
    const server = http.createServer((req, res) => {
      const done = this.serve(req, res);
      this.pending.add(done);
      void done.finally(() => this.pending.delete(done));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const result = await this.sim.handle(
        {
          method: req.method,
          path: fromLatin1(req.url ?? '/'),
          headers: HeaderList.fromRaw(req.rawHeaders),
          body: Buffer.concat(chunks),
          httpVersion: Number(req.httpVersion),
          clientIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
          clientPort: req.socket.remotePort,
          serverPort: this.port,
        },
        {
          onResponse: (r) => {
            const out = r.headers.toOutgoing();
            for (const k of Object.keys(out)) if (['connection', 'transfer-encoding', 'keep-alive'].includes(k.toLowerCase())) delete out[k];
            res.writeHead(r.status, out);
            res.end(req.method === 'HEAD' ? undefined : r.body);
          },
        },
      );
      this.options.onResult?.(result);
      if (this.options.keepResults !== false) this.results.push(result);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.failures.push(err);
      if (!res.headersSent) {
        res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`harness failure: ${err.stack ?? err.message}`);
      }
    }
  }

  /** Waits until every accepted request finished, log phase included. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Stops listening after in-flight requests settle; throws on harness failures or PDK violations. */
  async close(): Promise<void> {
    await this.settled();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
    if (this.failures.length > 0) throw this.failures[0];
    this.sim.assertNoViolations();
  }
}
