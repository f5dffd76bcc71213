/**
 * A loopback upstream for the model properties: it counts the requests of each X-Req id, holds
 * one with X-Gate until `open(gate)` (so a second request can be sent while the first is in
 * flight), and lets the test's `respond` answer by X-Outcome.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Respond = (id: string, outcome: string, req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

interface Gate {
  open: boolean;
  arrived: boolean;
  waiting: Array<() => void>;
  arrivals: Array<() => void>;
}

export class GatedUpstream {
  readonly hitsById = new Map<string, number>();
  port = 0;
  private server: http.Server | undefined;
  private readonly gates = new Map<string, Gate>();

  constructor(private readonly respond: Respond) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => void this.answer(req, res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private gate(name: string): Gate {
    let g = this.gates.get(name);
    if (!g) this.gates.set(name, (g = { open: false, waiting: [], arrivals: [], arrived: false }));
    return g;
  }

  /** Resolves once a request held by `name` has reached the upstream. */
  arrived(name: string): Promise<void> {
    const g = this.gate(name);
    return g.arrived ? Promise.resolve() : new Promise((r) => g.arrivals.push(r));
  }

  open(name: string): void {
    const g = this.gate(name);
    g.open = true;
    for (const w of g.waiting.splice(0)) w();
  }

  hits(id: string): number {
    return this.hitsById.get(id) ?? 0;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const id = String(req.headers['x-req'] ?? '');
    this.hitsById.set(id, this.hits(id) + 1);
    const gateName = req.headers['x-gate'];
    if (typeof gateName === 'string') {
      const g = this.gate(gateName);
      g.arrived = true;
      for (const a of g.arrivals.splice(0)) a();
      if (!g.open) await new Promise<void>((r) => g.waiting.push(r));
    }
    await this.respond(id, String(req.headers['x-outcome']), req, res);
  }

  async close(): Promise<void> {
    for (const name of this.gates.keys()) this.open(name);
    const server = this.server;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
