/**
 * End to end through the harness's HTTP front: a plugin handler that throws makes Kong answer its
 * own 500 and the upstream is never reached (kong-pdk's server answers "ret" and Kong proxies:
 * a throwing security plugin fails open). The server's log names plugin, phase and instance.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongHttpFront, KongSim, PluginServerProcess, kongRoute, kongService } from '../harness';
import { echoUpstream, type TestUpstream } from '../harness-tests/helpers';
import { fixtureDir, ourDumpAllPlugins, ourServer } from './helpers';

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe('a throwing handler, end to end over HTTP', () => {
  let upstream: TestUpstream;
  const servers: PluginServerProcess[] = [];
  const fronts: KongHttpFront[] = [];

  async function front(server: PluginServerProcess): Promise<string> {
    servers.push(server);
    await server.start();
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    const sim = new KongSim({ servers: [{ name: 'ender', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(fixtureDir('ender')) }], services: [service] });
    for (const [name, config] of Object.entries({ throw: { access: 'call-throw' }, 'response-throw': { response: 'throw' }, 'log-throw': { log: 'throw' } })) {
      const route = sim.addRoute(kongRoute({ name, paths: [`/${name}`], service: { id: service.id } }));
      sim.addPlugin({ name: 'ender', route: route.id, config });
    }
    const f = new KongHttpFront(sim);
    fronts.push(f);
    return f.listen();
  }

  let ours: string;
  let theirs: string;
  beforeAll(async () => {
    upstream = await echoUpstream();
    ours = await front(ourServer({ pluginsDirectory: fixtureDir('ender'), sockName: 'e2e.sock' }));
    theirs = await front(PluginServerProcess.kongJs({ pluginsDirectory: fixtureDir('ender'), sockName: 'e2e-kp.sock' }));
  });

  afterAll(async () => {
    for (const f of fronts) {
      await f.close();
      f.sim.close();
    }
    await Promise.all(servers.map((s) => s.stop()));
    await upstream?.close();
  });

  it("answers Kong's 500 and never reaches the upstream (kong-pdk's server lets the request through)", async () => {
    const before = upstream.requests.length;
    const res = await get(`${ours}/throw/x`);
    expect(res.status).toBe(500);
    expect(res.body).toBe('{"message":"An unexpected error occurred"}');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(upstream.requests.length).toBe(before);
    await servers[0].waitForLog(/\[WARN\] unhandled exception in ender\.access on instance #\d+ \(event #\d+\); answered 500: Error: ender: deliberate throw after a call/);

    const failOpen = await get(`${theirs}/throw/x`);
    expect(failOpen.status).toBe(200);
    expect(upstream.requests.length).toBe(before + 1);
  });

  it('in the response phase the 500 replaces the upstream response; in the log phase it is only logged', async () => {
    const res = await get(`${ours}/response-throw/x`);
    expect(res.status).toBe(500);
    expect(res.body).toBe('{"message":"An unexpected error occurred"}');
    const logged = await get(`${ours}/log-throw/x`);
    expect(logged.status).toBe(200);
    expect(JSON.parse(logged.body)).toMatchObject({ method: 'GET', url: '/x' });
    await fronts[0].settled();
    await servers[0].waitForLog(/unhandled exception in ender\.log on instance #\d+ \(event #\d+\); log phase: logged only/);
  });
});
