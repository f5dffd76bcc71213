/**
 * The plugin server fails closed while stopping (shutdown.ts): new access events get the 503
 * exit, and so does an access event still in flight when --shutdown-timeout runs out. It used to
 * get an RPC error, which Kong's Rpc:handle_event only logs: the request was proxied without the
 * plugin's verdict. Through KongSim, with SIGTERM in the middle of a handler.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KongSim, kongRoute, kongService } from '../harness';
import { echoUpstream, type TestUpstream } from '../harness-tests/helpers';
import { fixtureDir, ourDumpAllPlugins } from './helpers';
import { startOurs, type ServerProc } from './spawned-server';

const procs: ServerProc[] = [];
let upstream: TestUpstream | undefined;

describe('an access event dropped at shutdown', () => {
  afterAll(async () => {
    for (const p of procs) p.kill();
    await upstream?.close();
  });

  it('does not let Kong proxy the request as if the plugin had approved it', async () => {
    upstream = await echoUpstream();
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'review-sd-'));
    // slowpoke: access only; one PDK call, then waits config.ms, then one more call
    const server = startOurs(prefix, 'sd.sock', ['slowpoke'], ['--shutdown-timeout', '0.3']);
    procs.push(server);
    await server.listening();
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    const route = kongRoute({ paths: ['/slow'], service: { id: service.id } });
    let stepped!: () => void;
    const firstStep = new Promise<void>((resolve) => (stepped = resolve));
    const sim = new KongSim({
      servers: [{ name: 'slowpoke', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(fixtureDir('slowpoke')) }],
      services: [service],
      routes: [route],
      plugins: [{ name: 'slowpoke', route: route.id, config: { ms: 5000 } }],
      onWire: (_s, rec) => {
        if (rec.dir === 'kong->ps' && rec.msg[2] === 'plugin.Step') stepped();
      },
    });
    const sent = upstream.requests.length;
    const pending = sim.request({ method: 'GET', path: '/slow/x' });
    await firstStep;
    server.child.kill('SIGTERM');
    const res = await pending;
    sim.close();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.logs.join('\n')).toMatch(/shutdown: 1 event\(s\) still in flight after 0\.3 s, dropped/);
    // the handler never finished (no x-slowpoke header would be set): the request must not pass
    expect({ status: res.status, proxied: upstream.requests.length - sent, outcome: res.events.map((e) => e.outcome) }).toEqual({ status: 503, proxied: 0, outcome: ['exit'] });
  });
});
