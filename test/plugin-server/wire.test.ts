/**
 * Our plugin server on the socket, at the byte level: several requests in one write, one request
 * over many writes, answers and error texts identical to kong-pdk's, bad bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginServerProcess, encodeMsgpack } from '../harness';
import { RawConnection, fixtureDir, ourServer } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = (config: Record<string, unknown> = {}) => ({ Name: 'ender', Config: JSON.stringify({ __seq__: 0, __plugin_id: 'p', ...config }) });

describe('our plugin server on the wire', () => {
  let ours: PluginServerProcess;
  let kongPdk: PluginServerProcess;

  beforeAll(async () => {
    ours = ourServer({ pluginsDirectory: fixtureDir('ender'), sockName: 'wire.sock' });
    kongPdk = PluginServerProcess.kongJs({ pluginsDirectory: fixtureDir('ender'), sockName: 'wire-kp.sock' });
    await Promise.all([ours.start(), kongPdk.start()]);
  });

  afterAll(async () => {
    await Promise.all([ours?.stop(), kongPdk?.stop()]);
  });

  it('answers every request of one write holding several, each under its msgid', async () => {
    const c = await RawConnection.open(ours.socketPath);
    await c.write(Buffer.concat([c.request(1, 'plugin.StartInstance', start({ access: 'zero' })), c.request(2, 'plugin.GetPluginInfo', 'ender'), c.request(3, 'plugin.GetStatus')]));
    const answers = await c.waitFor(3);
    c.close();
    expect(answers.map((a) => [a[0], a[1], a[2]])).toEqual([
      [1, 1, null],
      [1, 2, null],
      [1, 3, null],
    ]);
    expect(answers[0][3]).toMatchObject({ Name: 'ender', Config: { __seq__: 0, __plugin_id: 'p', access: 'zero' } });
    expect(answers[1][3]).toMatchObject({ Name: 'ender', Phases: ['log', 'access', 'response'], Priority: 1000 });
    expect(answers[2][3]).toMatchObject({ Pid: ours.pid });
  });

  it('answers a request written one byte at a time, and a 200 KB one written in 1 KB pieces', async () => {
    const c = await RawConnection.open(ours.socketPath);
    const small = c.request(7, 'plugin.GetPluginInfo', 'ender');
    for (let i = 0; i < small.length; i++) {
      await c.write(small.subarray(i, i + 1));
      await sleep(2);
    }
    const [first] = await c.waitFor(1);
    expect(first.slice(0, 3)).toEqual([1, 7, null]);
    expect(first[3]).toMatchObject({ Name: 'ender' });

    const big = c.request(8, 'plugin.StartInstance', start({ access: 'zero', padding: 'p'.repeat(200_000) }));
    for (let i = 0; i < big.length; i += 1024) {
      await c.write(big.subarray(i, i + 1024));
      if (i % 16_384 === 0) await sleep(1);
    }
    const answers = await c.waitFor(2);
    c.close();
    expect(answers[1].slice(0, 3)).toEqual([1, 8, null]);
    expect((answers[1][3] as { Config: { padding: string } }).Config.padding.length).toBe(200_000);
  });

  it('answers a message and a half in one write once the rest arrives, and runs an event pipelined behind it', async () => {
    const c = await RawConnection.open(ours.socketPath);
    await c.write(c.request(1, 'plugin.StartInstance', start({ access: 'return' })));
    const [started] = await c.waitFor(1);
    const id = (started[3] as { Id: number }).Id;
    const a = c.request(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' });
    const b = c.request(3, 'plugin.InstanceStatus', id);
    const both = Buffer.concat([a, b]);
    const cut = a.length + 3;
    await c.write(both.subarray(0, cut));
    const afterFirst = await c.waitFor(2);
    expect(afterFirst[1].slice(0, 3)).toEqual([1, 2, null]);
    expect(afterFirst[1][3]).toMatchObject({ Data: { Method: 'kong.request.get_header', Args: ['x-ender'] } });
    await sleep(20);
    expect(c.received.length).toBe(2);
    await c.write(both.subarray(cut));
    const all = await c.waitFor(3);
    expect(all[2].slice(0, 3)).toEqual([1, 3, null]);
    expect(all[2][3]).toMatchObject({ Name: 'ender', Id: id });
    const eventId = (afterFirst[1][3] as { EventId: number }).EventId;
    await c.write(c.request(4, 'plugin.Step', { EventId: eventId }));
    const done = await c.waitFor(4);
    c.close();
    expect(done[3]).toEqual([1, 4, null, { Data: 'ret', EventId: eventId }]);
  });

  it("answers Kong's requests and mistakes with kong-pdk's exact answers and error texts", async () => {
    const INSTANCE = '<the started instance>';
    const EVENT = '<the started event>';
    const requests: Array<[string, ...unknown[]]> = [
      ['plugin.GetPluginInfo', 'ender'],
      ['plugin.GetPluginInfo', 'nope'],
      ['plugin.StartInstance', { Name: 'nope', Config: '{}' }],
      ['plugin.StartInstance', start({ access: 'zero' })],
      ['plugin.InstanceStatus', INSTANCE],
      ['plugin.HandleEvent', { InstanceId: INSTANCE, EventName: 'access' }],
      ['plugin.HandleEvent', { InstanceId: 42, EventName: 'access' }],
      ['plugin.InstanceStatus', 42],
      ['plugin.CloseInstance', 42],
      ['plugin.Step', { EventId: 999, Data: 'x' }],
      ['plugin.StepError', { EventId: 999, Data: 'x' }],
      ['plugin.StepMultiMap', { EventId: 999, Data: {} }],
      ['plugin.StepCredential', { EventId: 999 }],
      ['plugin.StepConsumer', { EventId: 999 }],
      ['plugin.StepRoute', { EventId: 999 }],
      ['plugin.StepService', { EventId: 999 }],
      ['plugin.StepMemoryStats', { EventId: 999 }],
      ['plugin.NoSuchMethod'],
      ['other.GetStatus'],
      ['plugin.CloseInstance', INSTANCE],
      ['plugin.CloseInstance', INSTANCE],
    ];
    // kong-pdk numbers instances and events from 0, ours from a random point (id-base.ts): the
    // ids handed out are named by what they are, and the requests use the one StartInstance gave
    const run = async (server: PluginServerProcess): Promise<unknown[][]> => {
      const c = await RawConnection.open(server.socketPath);
      let instance: number | undefined;
      let event: number | undefined;
      for (let i = 0; i < requests.length; i++) {
        const [method, ...params] = requests[i];
        const sent = JSON.parse(JSON.stringify(params).replaceAll(`"${INSTANCE}"`, String(instance)));
        await c.write(c.request(i + 1, method, ...sent));
        const answer = (await c.waitFor(i + 1))[i] as [number, number, unknown, any];
        if (method === 'plugin.StartInstance' && answer[3]?.Id !== undefined) instance = answer[3].Id;
        if (method === 'plugin.HandleEvent' && answer[3]?.EventId !== undefined) event = answer[3].EventId;
      }
      c.close();
      return c.received.map((m) => {
        const copy = structuredClone(m) as any[];
        if (copy[3] && typeof copy[3] === 'object' && 'StartTime' in copy[3]) copy[3].StartTime = typeof copy[3].StartTime;
        if (copy[3]?.Id === instance) copy[3].Id = INSTANCE;
        if (copy[3]?.EventId === event) copy[3].EventId = EVENT;
        if (typeof copy[2] === 'string') copy[2] = copy[2].replace(`#${instance}`, `#${INSTANCE}`);
        return copy;
      });
    };
    // fresh servers: one instance started in each
    const freshOurs = ourServer({ pluginsDirectory: fixtureDir('ender'), sockName: 'fresh.sock' });
    const freshTheirs = PluginServerProcess.kongJs({ pluginsDirectory: fixtureDir('ender'), sockName: 'fresh-kp.sock' });
    await Promise.all([freshOurs.start(), freshTheirs.start()]);
    const [theirs, mine] = [await run(freshTheirs), await run(freshOurs)];
    await Promise.all([freshOurs.stop(), freshTheirs.stop()]);
    // the same answers, but for an RPC Kong never sends, where ours names what it serves
    const unknown = requests.findIndex(([method]) => method === 'plugin.NoSuchMethod');
    expect(theirs[unknown]![2]).toBe('method NoSuchMethod not implemented');
    expect(mine.filter((_, i) => i !== unknown)).toEqual(theirs.filter((_, i) => i !== unknown));
    expect(mine.map((m) => m[2])).toEqual([
      null,
      'nope not initizlied',
      'nope not initizlied',
      null,
      null,
      null,
      'no plugin instance #42',
      'no plugin instance #42',
      'no plugin instance #42',
      ...Array(8).fill('event id 999 not found'),
      'unknown RPC method plugin.NoSuchMethod; this server answers plugin.HandleEvent, plugin.StepError, plugin.Step, plugin.StepMultiMap, plugin.StepService, plugin.StepConsumer, plugin.StepRoute, plugin.StepPlugin, plugin.StepCredential, plugin.StepMemoryStats, plugin.GetStatus, plugin.GetPluginInfo, plugin.StartInstance, plugin.InstanceStatus, plugin.CloseInstance',
      'RPC for other is not supported',
      null,
      `no plugin instance #${INSTANCE}`,
    ]);
  });

  it('closes a connection that sends bytes no MessagePack can start with, and keeps serving others', async () => {
    const bad = await RawConnection.open(ours.socketPath);
    await bad.write(Buffer.from([0x94, 0x00, 0x01, 0xc1]));
    await expect(bad.waitFor(1, 5000)).rejects.toThrow('connection closed after 0 of 1 messages');
    await ours.waitForLog('invalid MessagePack type byte 0xc1');
    const good = await RawConnection.open(ours.socketPath);
    await good.write(good.request(1, 'plugin.GetPluginInfo', 'ender'));
    const [answer] = await good.waitFor(1);
    good.close();
    expect(answer.slice(0, 3)).toEqual([1, 1, null]);
    expect(ours.running).toBe(true);
  });

  it("where kong-pdk's server dies on two requests in one write (its listener decodes one message per read)", async () => {
    const doomed = PluginServerProcess.kongJs({ pluginsDirectory: fixtureDir('ender'), sockName: 'doomed.sock' });
    await doomed.start();
    const c = await RawConnection.open(doomed.socketPath);
    await c.write(Buffer.concat([encodeMsgpack([0, 1, 'plugin.GetPluginInfo', ['ender']]), encodeMsgpack([0, 2, 'plugin.GetStatus', []])]));
    await expect(c.waitFor(1, 5000)).rejects.toThrow('connection closed');
    await doomed.waitForLog(/Extra \d+ of \d+ byte\(s\) found/);
    await doomed.stop();
  });
});
