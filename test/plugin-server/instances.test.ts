/**
 * Plugin instances: kong-pdk's semantics (a new id per StartInstance, the config passed through,
 * "no plugin instance #N" for unknown ids) with expiry that needs no 60 ms timer: lazy on
 * lookup, plus a coarse sweep; and Kong restarting an expired instance transparently.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KongSim, MsgpackRpcClient, kongRoute, kongService, type PluginServerProcess } from '../harness';
import { echoUpstream, type TestUpstream } from '../harness-tests/helpers';
import { eventually, fixtureDir, ourDumpAllPlugins, ourServer, serverStatus } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const config = { __seq__: 3, __plugin_id: 'plugin-1', __key__: 'plugins:ender:::::ws', route_id: 'r1', service_id: null, consumer_id: null, access: 'zero', response: 'zero', log: 'zero', ms: 0 };

describe('plugin instances', () => {
  const servers: PluginServerProcess[] = [];
  let upstream: TestUpstream | undefined;
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await upstream?.close();
  });

  async function serve(args: string[] = []): Promise<{ server: PluginServerProcess; rpc: MsgpackRpcClient }> {
    const server = ourServer({ pluginsDirectory: fixtureDir('ender'), args });
    servers.push(server);
    await server.start();
    return { server, rpc: new MsgpackRpcClient(server.socketPath) };
  }

  it('starts a new instance per StartInstance, passes the JSON config through, closes once', async () => {
    const { rpc } = await serve();
    const first = await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) });
    const second = await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) });
    expect(first).toMatchObject({ ok: true, result: { Name: 'ender', Id: 0, Config: config } });
    expect(second).toMatchObject({ ok: true, result: { Id: 1 } });
    expect(typeof (first as { result: { StartTime: number } }).result.StartTime).toBe('number');
    expect(await rpc.call('plugin.InstanceStatus', 1)).toMatchObject({ ok: true, result: { Name: 'ender', Id: 1, Config: config } });
    expect(await rpc.call('plugin.CloseInstance', 0)).toEqual({ ok: true, result: { Name: 'ender', Id: 0, Config: config } });
    expect(await rpc.call('plugin.CloseInstance', 0)).toEqual({ ok: false, error: 'no plugin instance #0', stage: 'remote' });
    expect(await rpc.call('plugin.HandleEvent', { InstanceId: 0, EventName: 'access' })).toEqual({ ok: false, error: 'no plugin instance #0', stage: 'remote' });
    const bad = await rpc.call('plugin.StartInstance', { Name: 'ender', Config: '{not json' });
    expect(bad).toMatchObject({ ok: false, stage: 'remote', error: expect.stringContaining('JSON') });
    rpc.close();
  });

  it('expires an idle instance when it is next looked up, without any timer', async () => {
    // sweep once an hour: only the lazy expiry can drop it within this test
    const { server, rpc } = await serve(['--instance-ttl', '0.2', '--sweep-interval', '3600']);
    const started = await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) });
    const id = (started as { result: { Id: number } }).result.Id;
    await sleep(400);
    expect((await serverStatus(server.socketPath)).InstanceCount).toBe(1);
    expect(await rpc.call('plugin.HandleEvent', { InstanceId: id, EventName: 'access' })).toEqual({ ok: false, error: `no plugin instance #${id}`, stage: 'remote' });
    expect((await serverStatus(server.socketPath)).InstanceCount).toBe(0);
    rpc.close();
  });

  it('sweeps instances nobody looks up again', async () => {
    const { server, rpc } = await serve(['--instance-ttl', '0.2', '--sweep-interval', '0.1']);
    for (let i = 0; i < 5; i++) await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) });
    expect((await serverStatus(server.socketPath)).InstanceCount).toBe(5);
    await eventually('the sweep to drop every instance', async () => ((await serverStatus(server.socketPath)).InstanceCount === 0 ? true : undefined));
    rpc.close();
  });

  it('keeps at most --max-instances, dropping the least recently used', async () => {
    const { server, rpc } = await serve(['--max-instances', '2']);
    for (let i = 0; i < 2; i++) await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) });
    await sleep(5);
    expect(await rpc.call('plugin.HandleEvent', { InstanceId: 0, EventName: 'access' })).toMatchObject({ ok: true });
    await sleep(5);
    await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) });
    expect(await rpc.call('plugin.InstanceStatus', 1)).toEqual({ ok: false, error: 'no plugin instance #1', stage: 'remote' });
    expect(await rpc.call('plugin.InstanceStatus', 0)).toMatchObject({ ok: true });
    expect(await rpc.call('plugin.InstanceStatus', 2)).toMatchObject({ ok: true });
    expect((await serverStatus(server.socketPath)).InstanceCount).toBe(2);
    await server.waitForLog('2 plugin instances: dropping the least recently used, #1 of ender');
    rpc.close();
  });

  it('Kong restarts an expired instance on "no plugin instance" and the request goes through', async () => {
    const { server, rpc } = await serve(['--instance-ttl', '0.2', '--sweep-interval', '3600']);
    rpc.close();
    upstream = await echoUpstream();
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    const route = kongRoute({ paths: ['/r'], service: { id: service.id } });
    const sim = new KongSim({
      servers: [{ name: 'ender', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(fixtureDir('ender')) }],
      services: [service],
      routes: [route],
      plugins: [{ name: 'ender', route: route.id, config: { access: 'return' } }],
    });
    const first = await sim.request({ method: 'GET', path: '/r' });
    expect(first.status).toBe(200);
    await sleep(400);
    const second = await sim.request({ method: 'GET', path: '/r' });
    sim.close();
    expect(second.status).toBe(200);
    const access = second.events.filter((e) => e.phase === 'access');
    expect(access.map((e) => e.outcome)).toEqual(['rpc-error', 'ret']);
    expect(access[0].error).toMatch(/^no plugin instance #\d+$/);
    expect(access[1].instanceId).not.toBe(first.events[0].instanceId);
  });
});
