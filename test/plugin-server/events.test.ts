/**
 * No event is left behind: through KongSim (Kong's side as Kong's Lua plays it), every way an
 * event can end removes it from our server's table (plugin.GetStatus reports the table), and
 * the events Kong abandons (connection closed, no Step, table full) are dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KongSim, kongRoute, kongService, type PluginServerProcess, type SimRequest } from '../harness';
import { echoUpstream, type TestUpstream } from '../harness-tests/helpers';
import { RawConnection, eventually, fixtureDir, ourDumpAllPlugins, ourServer, serverStatus, type ServerStatus } from './helpers';

type Ended = ServerStatus['Events']['Ended'];
const noEnded: Ended = { Ret: 0, Exit: 0, Error: 0, Exception: 0, Dropped: 0 };
const start = (config: Record<string, unknown>) => ({ Name: 'ender', Config: JSON.stringify({ __seq__: 0, __plugin_id: 'p', ms: 0, access: 'zero', response: 'zero', log: 'zero', ...config }) });

function delta(after: Ended, before: Ended): Ended {
  return {
    Ret: after.Ret - before.Ret,
    Exit: after.Exit - before.Exit,
    Error: after.Error - before.Error,
    Exception: after.Exception - before.Exception,
    Dropped: after.Dropped - before.Dropped,
  };
}

describe('every way an event ends removes it from the table', () => {
  let server: PluginServerProcess;
  let upstream: TestUpstream;
  let sim: KongSim;
  const N = 25;

  const routeFor = new Map<string, string>();
  const modes: Array<{ name: string; config: Record<string, string> }> = [
    { name: 'zero', config: { access: 'zero' } },
    { name: 'return', config: { access: 'return' } },
    { name: 'throw', config: { access: 'throw' } },
    { name: 'call-throw', config: { access: 'call-throw' } },
    { name: 'exit', config: { access: 'exit' } },
    { name: 'error', config: { access: 'error' } },
    { name: 'unawaited', config: { access: 'unawaited' } },
    { name: 'all', config: { access: 'all' } },
    { name: 'exit-call', config: { access: 'exit-call' } },
    { name: 'report', config: { access: 'report' } },
    { name: 'exit-stray', config: { access: 'exit-stray' } },
    { name: 'log-throw', config: { log: 'throw' } },
    { name: 'response-throw', config: { response: 'throw' } },
    { name: 'bad-arg', config: { access: 'bad-arg' } },
    { name: 'timer-throw', config: { access: 'timer-throw' } },
  ];

  beforeAll(async () => {
    upstream = await echoUpstream();
    server = ourServer({ pluginsDirectory: fixtureDir('ender'), sockName: 'ender.sock' });
    await server.start();
    const service = kongService({ host: '127.0.0.1', port: upstream.port });
    sim = new KongSim({ servers: [{ name: 'ender', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(fixtureDir('ender')) }], services: [service] });
    for (const m of modes) {
      const route = sim.addRoute(kongRoute({ name: m.name, paths: [`/${m.name}`], service: { id: service.id } }));
      sim.addPlugin({ name: 'ender', route: route.id, config: m.config });
      routeFor.set(m.name, route.id);
    }
  });

  afterAll(async () => {
    sim?.close();
    await server?.stop();
    await upstream?.close();
  });

  const get = (mode: string, headers: Array<[string, string]> = []): SimRequest => ({ method: 'GET', path: `/${mode}/x`, headers });

  /** Runs `n` requests of `mode`; returns the last result and what ended meanwhile. */
  async function runMode(mode: string, n = N, headers: Array<[string, string]> = []) {
    const before = await serverStatus(server.socketPath);
    let last;
    for (let i = 0; i < n; i++) last = await sim.request(get(mode, headers));
    const after = await serverStatus(server.socketPath);
    expect(after.Events.InFlight).toBe(0);
    expect(after.Events.AwaitingKong).toBe(0);
    return { last: last!, ended: delta(after.Events.Ended, before.Events.Ended), started: after.Events.Started - before.Events.Started };
  }

  it('a handler that returns without any PDK call (kong-pdk keeps these forever)', async () => {
    const { last, ended, started } = await runMode('zero');
    expect(last.status).toBe(200);
    expect(last.events.map((e) => e.phase)).toEqual(['access', 'response', 'log']);
    expect(started).toBe(3 * N);
    expect(ended).toEqual({ ...noEnded, Ret: 3 * N });
  });

  it('a handler that returns after a PDK call', async () => {
    const { ended } = await runMode('return');
    expect(ended).toEqual({ ...noEnded, Ret: 3 * N });
  });

  it('a handler that throws, before or after a PDK call: Kong answers 500 and never proxies', async () => {
    const sent = upstream.requests.length;
    for (const mode of ['throw', 'call-throw']) {
      const { last, ended } = await runMode(mode);
      expect(last.status).toBe(500);
      expect(last.text()).toBe('{"message":"An unexpected error occurred"}');
      expect(last.events.map((e) => e.phase)).toEqual(['access', 'log']);
      expect(ended).toEqual({ ...noEnded, Exception: N, Ret: N });
    }
    expect(upstream.requests.length).toBe(sent);
  });

  it('kong.response.exit and kong.response.error, which Kong never answers (kong-pdk keeps these forever)', async () => {
    const exit = await runMode('exit');
    expect(exit.last.status).toBe(403);
    expect(exit.ended).toEqual({ ...noEnded, Exit: N, Ret: N });
    const error = await runMode('error');
    expect(error.last.status).toBe(403);
    expect(error.ended).toEqual({ ...noEnded, Error: N, Ret: N });
  });

  it('PDK calls not awaited are sent one per Step, in order, before "ret"', async () => {
    const { last, ended } = await runMode('unawaited');
    expect(last.events[0].calls.map((c) => `${c.method} ${c.args.join('=')}`)).toEqual(['kong.service.request.set_header x-ender-a=a', 'kong.service.request.set_header x-ender-b=b']);
    expect(last.upstreamRequest?.headers.first('x-ender-a')).toBe('a');
    expect(last.upstreamRequest?.headers.first('x-ender-b')).toBe('b');
    expect(ended).toEqual({ ...noEnded, Ret: 3 * N });
  });

  it('PDK calls awaited together get their own results', async () => {
    const { last } = await runMode('all', 5, [
      ['x-a', 'A'],
      ['x-b', 'B'],
    ]);
    expect(last.upstreamRequest?.headers.first('x-ender-all')).toBe('A,B');
  });

  it('a PDK call after exit is rejected (the handler finishes) instead of hanging forever', async () => {
    const { last, ended } = await runMode('exit-call', 3);
    expect(last.status).toBe(409);
    expect(last.events[0].calls.map((c) => c.method)).toEqual(['kong.response.exit']);
    expect(ended).toEqual({ ...noEnded, Exit: 3, Ret: 3 });
    const report = await sim.request(get('report'));
    expect(report.upstreamRequest?.headers.first('x-ender-after-exit')).toMatch(/^event #\d+ \(ender\.access on instance #\d+\) has ended/);
  });

  it('a PDK call after exit that nobody awaits is logged, and does not kill the server (Node exits on unhandled rejections)', async () => {
    const { last, ended } = await runMode('exit-stray', 3);
    expect(last.status).toBe(410);
    expect(ended).toEqual({ ...noEnded, Exit: 3, Ret: 3 });
    await server.waitForLog(/\[WARN\] unhandled promise rejection: PluginServerError: event #\d+ \(ender\.access on instance #\d+\) has ended/);
    expect(server.running).toBe(true);
    expect((await sim.request(get('zero'))).status).toBe(200);
  });

  it('an exception thrown outside any handler (a timer) is logged and counted; the server stays up (Kong would fail open)', async () => {
    const { last, ended } = await runMode('timer-throw', 3);
    expect(last.status).toBe(200);
    expect(ended).toEqual({ ...noEnded, Ret: 3 * 3 });
    await server.waitForLog(/\[ERROR\] uncaught exception outside any handler, server kept running: Error: ender: deliberate throw in a timer/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.running).toBe(true);
    expect((await sim.request(get('return'))).status).toBe(200);
  });

  it('a throw in the log phase is only logged; in the response phase it replaces the response with the 500', async () => {
    const logThrow = await runMode('log-throw', 3);
    expect(logThrow.last.status).toBe(200);
    expect(logThrow.ended).toEqual({ ...noEnded, Ret: 6, Exception: 3 });
    await server.waitForLog(/unhandled exception in ender\.log on instance #\d+ \(event #\d+\); log phase: logged only: Error: ender: deliberate throw/);
    const responseThrow = await runMode('response-throw', 3);
    expect(responseThrow.last.status).toBe(500);
    expect(responseThrow.last.text()).toBe('{"message":"An unexpected error occurred"}');
    expect(responseThrow.last.upstreamRequest).toBeDefined();
    expect(responseThrow.ended).toEqual({ ...noEnded, Ret: 6, Exception: 3 });
  });
  it('a PDK call MessagePack cannot carry ends the event as a failure (Kong answers 500), not a hung event', async () => {
    const { last, ended } = await runMode('bad-arg', 3);
    expect(last.status).toBe(500);
    expect(last.upstreamRequest).toBeUndefined();
    expect(ended).toEqual({ ...noEnded, Exception: 3, Ret: 3 });
    await server.waitForLog(/event #\d+ \(ender\.access on instance #\d+\): kong\.service\.request\.set_header cannot be sent to Kong \(.*\); answered 500/);
  });
});

describe('events Kong abandons are dropped, and the table is bounded', () => {
  const servers: PluginServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function serve(args: string[]): Promise<PluginServerProcess> {
    const s = ourServer({ pluginsDirectory: fixtureDir('ender'), args });
    servers.push(s);
    await s.start();
    return s;
  }

  async function instance(c: RawConnection, msgid: number, config: Record<string, unknown>): Promise<number> {
    await c.write(c.request(msgid, 'plugin.StartInstance', start(config)));
    const answers = await c.waitFor(c.received.length + 1);
    return (answers[answers.length - 1][3] as { Id: number }).Id;
  }

  it('drops an event whose Kong connection closed while its handler ran', async () => {
    const s = await serve([]);
    const c = await RawConnection.open(s.socketPath);
    const id = await instance(c, 1, { access: 'hang' });
    await c.write(c.request(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }));
    // GetStatus comes on another connection: wait until the server has read the HandleEvent
    await eventually('the event to start', async () => ((await serverStatus(s.socketPath)).Events.InFlight === 1 ? true : undefined));
    c.close();
    const status = await eventually('the event to be dropped', async () => {
      const st = await serverStatus(s.socketPath);
      return st.Events.InFlight === 0 ? st : undefined;
    });
    expect(status.Events.Ended.Dropped).toBe(1);
    await s.waitForLog(new RegExp(`event #\\d+ \\(ender\\.access on instance #${id}\\) dropped: Kong closed the connection`));
  });

  it('drops an event Kong never steps again, then answers its late Step with the 503 exit (an error would let the request through)', async () => {
    const s = await serve(['--event-timeout', '0.2', '--sweep-interval', '0.05']);
    const c = await RawConnection.open(s.socketPath);
    const id = await instance(c, 1, { access: 'return' });
    await c.write(c.request(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }));
    const [, handled] = await c.waitFor(2);
    const eventId = (handled[3] as { EventId: number }).EventId;
    expect(handled[3]).toEqual({ Data: { Method: 'kong.request.get_header', Args: ['x-ender'] }, EventId: eventId });
    expect((await serverStatus(s.socketPath)).Events.AwaitingKong).toBe(1);
    await eventually('the event to time out', async () => ((await serverStatus(s.socketPath)).Events.InFlight === 0 ? true : undefined));
    await c.write(c.request(3, 'plugin.Step', { EventId: eventId, Data: 'late' }));
    const answers = await c.waitFor(3);
    c.close();
    expect(answers[2]).toEqual([1, 3, null, { Data: { Method: 'kong.response.error', Args: [503] }, EventId: eventId }]);
    expect((await serverStatus(s.socketPath)).Events.Ended.Dropped).toBe(1);
    // a Step for an event never seen is still kong-pdk's error
    const c2 = await RawConnection.open(s.socketPath);
    await c2.write(c2.request(1, 'plugin.Step', { EventId: 999_999, Data: 'x' }));
    const unknown = await c2.waitFor(1);
    c2.close();
    expect(unknown[0]).toEqual([1, 1, 'event id 999999 not found', null]);
  });

  it('when full, drops the event that waited longest for Kong; with none waiting, answers new events with Kong\'s 503', async () => {
    const s = await serve(['--max-events', '2']);
    const c = await RawConnection.open(s.socketPath);
    const waiting = await instance(c, 1, { access: 'return' });
    const eventIds: number[] = [];
    for (let i = 0; i < 3; i++) {
      await c.write(c.request(10 + i, 'plugin.HandleEvent', { InstanceId: waiting, EventName: 'access' }));
      const answers = await c.waitFor(2 + i);
      eventIds.push((answers[answers.length - 1][3] as { EventId: number }).EventId);
    }
    await c.write(c.request(20, 'plugin.Step', { EventId: eventIds[0] }));
    await c.write(c.request(21, 'plugin.Step', { EventId: eventIds[1] }));
    await c.write(c.request(22, 'plugin.Step', { EventId: eventIds[2] }));
    const stepped = (await c.waitFor(7)).slice(4);
    expect(stepped).toEqual([
      // the evicted access event's request gets the 503 exit, not an error Kong would proxy past
      [1, 20, null, { Data: { Method: 'kong.response.error', Args: [503] }, EventId: eventIds[0] }],
      [1, 21, null, { Data: 'ret', EventId: eventIds[1] }],
      [1, 22, null, { Data: 'ret', EventId: eventIds[2] }],
    ]);

    // two handlers that never finish hold the table; no event waits for Kong
    const hanging = await instance(c, 30, { access: 'hang', log: 'hang' });
    const h1 = await RawConnection.open(s.socketPath);
    const h2 = await RawConnection.open(s.socketPath);
    await h1.write(h1.request(1, 'plugin.HandleEvent', { InstanceId: hanging, EventName: 'access' }));
    await h2.write(h2.request(1, 'plugin.HandleEvent', { InstanceId: hanging, EventName: 'access' }));
    await eventually('two events in flight', async () => ((await serverStatus(s.socketPath)).Events.InFlight === 2 ? true : undefined));
    await c.write(c.request(31, 'plugin.HandleEvent', { InstanceId: hanging, EventName: 'access' }));
    await c.write(c.request(32, 'plugin.HandleEvent', { InstanceId: hanging, EventName: 'log' }));
    const refused = (await c.waitFor(10)).slice(8);
    expect(refused.map((m) => (m[3] as { Data: unknown }).Data)).toEqual([{ Method: 'kong.response.error', Args: [503] }, 'ret']);
    const st = await serverStatus(s.socketPath);
    expect(st.Events.Refused).toBe(2);
    expect(st.Events.InFlight).toBe(2);
    await s.waitForLog(/refused ender\.access on instance #\d+: the event table is full \(2 events, none waiting for Kong\)/);
    for (const x of [c, h1, h2]) x.close();
    await eventually('the hanging events to be dropped', async () => ((await serverStatus(s.socketPath)).Events.InFlight === 0 ? true : undefined));
  });
});
