/**
 * A real loopback HTTP upstream whose behaviour tests change while Kong (KongSim) proxies to it:
 * each Kong service of the circuit-breaker tests gets its own path prefix (`service.path`), and
 * the upstream answers each prefix as told — a status, after a delay, or held until released.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Behaviour {
  status: number;
  /** Answer this much later (a slow upstream). */
  delayMs?: number;
  /** Hold every request until `release(prefix)`. */
  hold?: boolean;
}

interface Held {
  answer: () => void;
}

export class FlakyUpstream {
  port = 0;
  private server: http.Server | undefined;
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly hitCounts = new Map<string, number>();
  private readonly held = new Map<string, Held[]>();
  private readonly waiters: Array<() => void> = [];

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => this.answer(req.url ?? '/', res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const prefix of this.held.keys()) this.release(prefix);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** How requests under `/<prefix>` are answered from now on (200 by default). */
  set(prefix: string, behaviour: Behaviour): void {
    this.behaviours.set(prefix, behaviour);
  }

  /** Requests that reached the upstream under `/<prefix>`. */
  hits(prefix: string): number {
    return this.hitCounts.get(prefix) ?? 0;
  }

  /** Requests currently held under `/<prefix>`. */
  holding(prefix: string): number {
    return this.held.get(prefix)?.length ?? 0;
  }

  /** Resolves once `count` requests are held under `/<prefix>`. */
  async heldCount(prefix: string, count: number): Promise<void> {
    while (this.holding(prefix) < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Answers every held request of `/<prefix>` (with the behaviour's status). */
  release(prefix: string): void {
    const held = this.held.get(prefix) ?? [];
    this.held.delete(prefix);
    for (const h of held) h.answer();
  }

  private answer(url: string, res: http.ServerResponse): void {
    const prefix = url.split('/')[1]?.split('?')[0] ?? '';
    this.hitCounts.set(prefix, this.hits(prefix) + 1);
    const behaviour = this.behaviours.get(prefix) ?? { status: 200 };
    const send = () => {
      const body = JSON.stringify({ prefix, status: behaviour.status });
      res.writeHead(behaviour.status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    if (behaviour.hold) {
      const list = this.held.get(prefix) ?? [];
      list.push({ answer: send });
      this.held.set(prefix, list);
      for (const w of this.waiters.splice(0)) w();
      return;
    }
    if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
    else send();
  }
}
