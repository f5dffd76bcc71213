/**
 * End-to-end runs: a real HTTP request from a client process, through the harness's HTTP front
 * (KongHttpFront: where Kong's proxy port would be), KongSim and the real plugin server, proxied
 * over a kept-alive connection to a real HTTP Service in a third process, and back. This process
 * plays Kong and is charged with what Kong's worker would do (HTTP in and out, proxying, the
 * Kong side of every PDK round trip); the clients and the Service run in their own processes, as
 * they are not Kong. Everything shares this host's CPUs.
 *
 * In memory (the other tables), KongSim's work per request is a few µs of bookkeeping, far below
 * a gateway's, so PDK round trips weigh more there than on a real Kong; here they weigh what they
 * weigh beside real HTTP handling, which is the gateway's requests per second a user would see.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { KongHttpFront, KongSim, keepAliveHttpUpstream, kongService, type PluginServerBinding, type SimResult } from '../../test/harness';
import type { ClientRequest, ClientSample, RunCommand } from './http-client';
import { rateAndLatency } from './common';

export interface E2eScenario {
  name: string;
  request: ClientRequest;
}

export interface E2eStats {
  rps: number;
  p50: number;
  p99: number;
  /** RPC round trips with the plugin servers per request (HandleEvent and Steps, every phase). */
  rt: number;
  /** Answers whose status was not the expected one. */
  unexpected: number;
}

function forkChild(script: string): ChildProcess {
  return fork(path.join(__dirname, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function nextMessage<T>(child: ChildProcess, kind: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { kind: string; message?: string }): void => {
      if (m.kind !== kind && m.kind !== 'error') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (m.kind === 'error') reject(new Error(`${path.basename(String(child.spawnfile))}: ${m.message}`));
      else resolve(m as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`benchmark child exited (${code}) before sending '${kind}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The Service process, the HTTP front over a KongSim, and the client process. */
export class EndToEnd {
  private readonly front: KongHttpFront;
  private port = 0;
  private roundTrips = 0;

  private constructor(
    readonly sim: KongSim,
    private readonly agent: http.Agent,
    private readonly upstream: ChildProcess,
    private readonly client: ChildProcess,
  ) {
    this.front = new KongHttpFront(sim, { keepResults: false, onResult: (r: SimResult) => void (this.roundTrips += r.roundTrips) });
  }

  /** `servers`: the plugin servers KongSim talks to; the routes added to `sim` point at `serviceId`. */
  static async start(servers: PluginServerBinding[], serviceName: string): Promise<{ e2e: EndToEnd; serviceId: string }> {
    const upstream = forkChild('http-upstream.js');
    const { port: upstreamPort } = await nextMessage<{ port: number }>(upstream, 'listening');
    const service = kongService({ name: serviceName, host: '127.0.0.1', port: upstreamPort });
    // Kong keeps upstream connections alive (upstream_keepalive_pool_size): so does the front.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const sim = new KongSim({ servers, services: [service], upstream: keepAliveHttpUpstream(agent) });
    const e2e = new EndToEnd(sim, agent, upstream, forkChild('http-client.js'));
    e2e.port = Number(new URL(await e2e.front.listen()).port);
    return { e2e, serviceId: service.id };
  }

  /** One closed-loop run of `scenario` from the client process. */
  async run(scenario: E2eScenario, concurrency: number, durationMs: number): Promise<{ sample: ClientSample; roundTrips: number }> {
    await this.front.settled();
    const before = this.roundTrips;
    const answer = nextMessage<ClientSample>(this.client, 'sample');
    const cmd: RunCommand = { kind: 'run', port: this.port, request: scenario.request, concurrency, durationMs };
    this.client.send(cmd);
    const sample = await answer;
    await this.front.settled();
    return { sample, roundTrips: this.roundTrips - before };
  }

  /**
   * Every scenario in `rounds` interleaved rounds of `durationMs` at `concurrency` (after a short
   * warm-up each), so that drift hits them alike; answers other than `expectStatus` are counted.
   */
  async measure(scenarios: E2eScenario[], opts: { concurrency: number; durationMs: number; rounds: number; expectStatus: number }): Promise<Map<string, E2eStats>> {
    for (const s of scenarios) await this.run(s, opts.concurrency, 500);
    const totals = new Map(scenarios.map((s) => [s.name, emptyTotals()]));
    for (let round = 0; round < opts.rounds; round++) {
      for (const s of scenarios) addRun(totals.get(s.name)!, await this.run(s, opts.concurrency, opts.durationMs), opts.expectStatus);
    }
    return new Map([...totals].map(([name, t]) => [name, e2eStats(t)]));
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.upstream.disconnect();
    await this.front.close();
    this.sim.close();
    this.agent.destroy();
  }
}

interface E2eTotals {
  requests: number;
  elapsedMs: number;
  latencies: number[];
  roundTrips: number;
  unexpected: number;
}

const emptyTotals = (): E2eTotals => ({ requests: 0, elapsedMs: 0, latencies: [], roundTrips: 0, unexpected: 0 });

function addRun(into: E2eTotals, run: { sample: ClientSample; roundTrips: number }, expectStatus: number): void {
  into.requests += run.sample.requests;
  into.elapsedMs += run.sample.elapsedMs;
  for (const l of run.sample.latencies) into.latencies.push(l);
  into.roundTrips += run.roundTrips;
  for (const [status, n] of Object.entries(run.sample.statuses)) if (Number(status) !== expectStatus) into.unexpected += n;
}

function e2eStats(t: E2eTotals): E2eStats {
  return {
    ...rateAndLatency(t),
    rt: t.roundTrips / t.requests,
    unexpected: t.unexpected,
  };
}
