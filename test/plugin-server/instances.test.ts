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
    const a = (first as { result: { Id: number } }).result.Id;
    expect(first).toMatchObject({ ok: true, result: { Name: 'ender', Id: a, Config: config } });
    expect(second).toMatchObject({ ok: true, result: { Id: a + 1 } });
    expect(typeof (first as { result: { StartTime: number } }).result.StartTime).toBe('number');
    expect(await rpc.call('plugin.InstanceStatus', a + 1)).toMatchObject({ ok: true, result: { Name: 'ender', Id: a + 1, Config: config } });
    expect(await rpc.call('plugin.CloseInstance', a)).toEqual({ ok: true, result: { Name: 'ender', Id: a, Config: config } });
    expect(await rpc.call('plugin.CloseInstance', a)).toEqual({ ok: false, error: `no plugin instance #${a}`, stage: 'remote' });
    expect(await rpc.call('plugin.HandleEvent', { InstanceId: a, EventName: 'access' })).toEqual({ ok: false, error: `no plugin instance #${a}`, stage: 'remote' });
    const bad = await rpc.call('plugin.StartInstance', { Name: 'ender', Config: '{not json' });
    expect(bad).toMatchObject({ ok: false, stage: 'remote', error: expect.stringContaining('JSON') });
    rpc.close();
  });

  it('numbers instances and events from a random point, so ids Kong kept from a restarted server meet nothing', async () => {
    // Kong keeps instance ids across a plugin-server restart until one is answered "no plugin
    // instance": numbered from 0 again, route B's kept id named route A's new instance
    const firsts: number[] = [];
    const events: number[] = [];
    for (let run = 0; run < 2; run++) {
      const { server, rpc } = await serve();
      const started = await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify({ access: 'return' }) });
      const id = (started as { result: { Id: number } }).result.Id;
      const handled = await rpc.call('plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
      firsts.push(id);
      events.push((handled as { result: { EventId: number } }).result.EventId);
      rpc.close();
      await server.stop('SIGKILL');
    }
    for (const ids of [firsts, events]) {
      expect(ids[0]).not.toBe(ids[1]);
      for (const id of ids) expect(Number.isSafeInteger(id) && id >= 0 && id < 2 ** 52).toBe(true);
    }
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
    const ids: number[] = [];
    const start = async () => ids.push(((await rpc.call('plugin.StartInstance', { Name: 'ender', Config: JSON.stringify(config) })) as { result: { Id: number } }).result.Id);
    for (let i = 0; i < 2; i++) await start();
    await sleep(5);
    expect(await rpc.call('plugin.HandleEvent', { InstanceId: ids[0], EventName: 'access' })).toMatchObject({ ok: true });
    await sleep(5);
    await start();
    expect(await rpc.call('plugin.InstanceStatus', ids[1])).toEqual({ ok: false, error: `no plugin instance #${ids[1]}`, stage: 'remote' });
    expect(await rpc.call('plugin.InstanceStatus', ids[0])).toMatchObject({ ok: true });
    expect(await rpc.call('plugin.InstanceStatus', ids[2])).toMatchObject({ ok: true });
    expect((await serverStatus(server.socketPath)).InstanceCount).toBe(2);
    await server.waitForLog(`2 plugin instances: dropping the least recently used, #${ids[1]} of ender`);
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

  it.each(['3.4.2', '3.9.1'])('after a plugin-server restart, Kong %s never runs a route with the instance of another', async (kongVersion) => {
    // Kong keeps the instance ids the dead process gave until one is answered "no plugin
    // instance". Numbered from 0 again, the first instance started after the restart (a route
    // Kong had not served yet, or one whose config changed) took the id Kong kept for the
    // closed route, whose requests then ran the open config and passed.
    const { server, rpc } = await serve();
    rpc.close();
    upstream ??= await echoUpstream();
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    const closed = kongRoute({ paths: ['/closed'], service: { id: service.id } });
    const later = kongRoute({ paths: ['/later'], service: { id: service.id } });
    const sim = new KongSim({
      kongVersion,
      servers: [{ name: 'ender', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(fixtureDir('ender')) }],
      services: [service],
      routes: [closed, later],
      plugins: [
        { name: 'ender', route: closed.id, config: { access: 'exit' } },
        { name: 'ender', route: later.id, config: { access: 'return' } },
      ],
    });
    try {
      expect((await sim.request({ method: 'GET', path: '/closed' })).status).toBe(403);
      await server.restart();
      const first = await sim.request({ method: 'GET', path: '/later' });
      expect(first.status).toBe(200);
      expect(first.events.filter((e) => e.phase === 'access').map((e) => e.outcome)).toEqual(['ret']);
      const again = await sim.request({ method: 'GET', path: '/closed' });
      expect(again.status).toBe(403);
      // the kept id meets nothing: Kong starts the closed route's instance again
      expect(again.events.filter((e) => e.phase === 'access').map((e) => e.outcome)).toEqual(['rpc-error', 'exit']);
    } finally {
      sim.close();
    }
  });
});
