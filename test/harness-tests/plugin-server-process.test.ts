import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KONG_JS_PLUGINSERVER, MsgpackRpcClient, PluginServerProcess, cleanLogLines, dumpAllPlugins, getPluginInfo } from '../harness';
import { PROBE_JS, pluginsDir, testPlugin } from './helpers';

describe('PluginServerProcess', () => {
  const started: PluginServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('starts kong-js-pluginserver on a temporary socket, serves RPC, logs in plain text, restarts', async () => {
    const dir = pluginsDir(PROBE_JS);
    const server = PluginServerProcess.kongJs({ pluginsDirectory: dir, sockName: 'probe.sock' });
    started.push(server);
    await server.start();
    expect(server.running).toBe(true);
    const rpc = new MsgpackRpcClient(server.socketPath);
    const info = await rpc.call('plugin.GetPluginInfo', 'pdk-probe');
    expect(info).toMatchObject({ ok: true, result: { Name: 'pdk-probe', Priority: 900, Phases: ['log', 'access', 'response'] } });
    expect(await rpc.call('plugin.HandleEvent', { InstanceId: 42, EventName: 'access' })).toEqual({ ok: false, error: 'no plugin instance #42', stage: 'remote' });
    rpc.close();
    // GetPluginInfo over RPC and the query command describe the plugin identically
    expect([await getPluginInfo(server.socketPath, 'pdk-probe')]).toEqual(await dumpAllPlugins(dir));
    await expect(getPluginInfo(server.socketPath, 'nope')).rejects.toMatchObject({ code: 'E_PLUGIN_SERVER_QUERY' });
    expect(await server.waitForLog('server started at')).toMatch(new RegExp(`\\[INFO\\] server started at ${server.socketPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expect(server.logs.every((l) => !l.includes('\x1b'))).toBe(true);

    const pid = server.pid;
    await server.restart();
    expect(server.pid).not.toBe(pid);
    await server.stop();
    expect(server.running).toBe(false);
  });

  it('runs any command line, e.g. a wrapper script around the server', async () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'kps-any-'));
    const server = new PluginServerProcess({
      argv: ['/bin/sh', '-c', `exec "${process.execPath}" "${KONG_JS_PLUGINSERVER}" --plugins-directory "${path.dirname(testPlugin('floor'))}" --kong-prefix "${prefix}" --sock-name any.sock`],
      socketPath: path.join(prefix, 'any.sock'),
    });
    started.push(server);
    await server.start();
    const rpc = new MsgpackRpcClient(server.socketPath);
    expect(await rpc.call('plugin.GetPluginInfo', 'floor')).toMatchObject({ ok: true, result: { Name: 'floor' } });
    rpc.close();
  });

  it('fails fast, with the server output, when the process dies before listening', async () => {
    const server = PluginServerProcess.kongJs({ pluginsDirectory: path.join(os.tmpdir(), 'no-such-plugins-dir-xyz') });
    await expect(server.start()).rejects.toMatchObject({ code: 'E_PLUGIN_SERVER_START', message: expect.stringContaining('ENOENT') });
  });

  it('parses --dump-all-plugins', async () => {
    expect(await dumpAllPlugins(path.dirname(testPlugin('ctx-relay')))).toEqual([
      {
        Name: 'ctx-relay',
        Version: '0.1.0',
        Priority: 800,
        Phases: ['log', 'access', 'response'],
        Schema: { name: 'ctx-relay', fields: [{ config: { type: 'record', fields: [{ tag: { type: 'string', default: 'relay' } }] } }] },
      },
    ]);
  });
});

describe('cleanLogLines', () => {
  it('replays node-color-log\'s cursor-up redraws and strips colours', () => {
    const raw = ['T \x1b[0m', '\x1b[1A\x1b[K', '\x1b[1AT \x1b[0m\x1b[42m\x1b[30m[INFO]\x1b[0m', '\x1b[1A\x1b[K', '\x1b[1AT \x1b[0m\x1b[42m\x1b[30m[INFO]\x1b[0m \x1b[0m\x1b[32mserver started\x1b[0m', 'plain'];
    expect(cleanLogLines(raw)).toEqual(['T [INFO] server started', 'plain']);
  });
});
