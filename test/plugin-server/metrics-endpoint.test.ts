/**
 * The metrics endpoint's command line and binding: off without `--metrics-port` (the process
 * then listens on no TCP port at all), loopback unless `--metrics-host` is given, a `host:port`
 * in the port flag refused rather than bound, and a taken port that neither stops the plugin
 * server nor stays unserved once it is free. What the process listens on is read from Linux's
 * /proc (its socket inodes in /proc/net/tcp), not from what it says about itself.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PluginServerProcess } from '../harness';
import { parseCli } from '../../plugins/server/cli';
import { isLoopbackHost } from '../../plugins/server/metrics-http';
import { metricsUrlOf, scrape } from '../plugins/metrics/scrape';
import { OUR_SERVER_BIN, fixtureDir, ourServer, serverStatus } from './helpers';

function parse(...args: string[]) {
  let err = '';
  const result = parseCli(['node', 'kong-plugin-server', '-d', '/plugins', ...args], { writeOut: () => undefined, writeErr: (s) => (err += s) });
  return { result, err };
}

interface Listening {
  address: string;
  port: number;
}

/** IPv4 `0100007F:1F90` -> 127.0.0.1:8080; IPv6 rows only as far as "loopback or any". */
function decode(hex: string, v6: boolean): Listening {
  const [addr, port] = hex.split(':') as [string, string];
  if (!v6) return { address: Buffer.from(addr, 'hex').reverse().join('.'), port: parseInt(port, 16) };
  const kind = /^0+$/.test(addr) ? '::' : addr === '00000000000000000000000001000000' ? '::1' : `v6:${addr}`;
  return { address: kind, port: parseInt(port, 16) };
}

/** The TCP ports process `pid` listens on (its socket inodes in LISTEN state). */
function listeningTcp(pid: number): Listening[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: Listening[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === '0A' && inodes.has(cols[9]!)) out.push(decode(cols[1]!, v6));
    }
  }
  return out;
}

describe('--metrics-port and --metrics-host', () => {
  it('are off by default', () => {
    const { result } = parse();
    expect(result.kind === 'run' && result.options.metrics).toBeUndefined();
  });

  it('bind 127.0.0.1 unless a host is given; a non-loopback host is marked remote', () => {
    const opts = (...a: string[]) => {
      const { result } = parse(...a);
      return result.kind === 'run' ? result.options.metrics : result;
    };
    expect(opts('--metrics-port', '0')).toEqual({ port: 0, host: '127.0.0.1', remote: false });
    expect(opts('--metrics-port', '9542', '--metrics-host', 'localhost')).toEqual({ port: 9542, host: 'localhost', remote: false });
    expect(opts('--metrics-port', '9542', '--metrics-host', '::1')).toEqual({ port: 9542, host: '::1', remote: false });
    expect(opts('--metrics-port', '9542', '--metrics-host', '0.0.0.0')).toEqual({ port: 9542, host: '0.0.0.0', remote: true });
  });

  it('refuse a host:port in the port flag (it would bind every interface) and bad ports', () => {
    for (const value of ['0.0.0.0:9542', ':9542', '[::]:9542']) {
      const { result, err } = parse('--metrics-port', value);
      expect(result).toEqual({ kind: 'exit', code: 1 });
      expect(err).toContain(`option '--metrics-port <port>' argument '${value}' is invalid. expected a port number; to listen on another address than 127.0.0.1, give --metrics-host explicitly`);
    }
    for (const value of ['65536', '-1', '95.4', 'http', '']) {
      const { result, err } = parse('--metrics-port', value);
      expect(result).toEqual({ kind: 'exit', code: 1 });
      expect(err).toContain('expected a port number (0 to 65535)');
    }
  });

  it('refuse --metrics-host without --metrics-port', () => {
    const { result, err } = parse('--metrics-host', '0.0.0.0');
    expect(result).toEqual({ kind: 'exit', code: 1 });
    expect(err).toBe('error: --metrics-host needs --metrics-port\n');
  });

  it('know loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.0.2.2', 'kong', '128.0.0.1', '::ffff:10.0.0.1', '127.example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('the endpoint of a running server', () => {
  const servers: PluginServerProcess[] = [];
  const blockers: net.Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const b of blockers) b.close();
  });

  async function serve(args: string[]): Promise<PluginServerProcess> {
    const s = ourServer({ pluginsDirectory: fixtureDir('ender'), args });
    servers.push(s);
    await s.start();
    return s;
  }

  it('is not started without --metrics-port: the process listens on no TCP port', async () => {
    const without = await serve([]);
    const withIt = await serve(['--metrics-port', '0']);
    const url = await metricsUrlOf(withIt);
    // the control: the /proc reading does see the endpoint of the server that has one
    expect(listeningTcp(withIt.pid!)).toEqual([{ address: '127.0.0.1', port: Number(new URL(url).port) }]);
    await serverStatus(without.socketPath); // serving Kong, long past its start
    expect(listeningTcp(without.pid!)).toEqual([]);
    expect(without.logs.join('\n')).not.toContain('metrics');
  });

  it('listens on loopback only unless --metrics-host says otherwise, and then warns', async () => {
    const loopback = await serve(['--metrics-port', '0']);
    const url = await metricsUrlOf(loopback);
    expect(listeningTcp(loopback.pid!)).toEqual([{ address: '127.0.0.1', port: Number(new URL(url).port) }]);
    expect(loopback.logs.join('\n')).not.toContain('not a loopback address');

    const everywhere = await serve(['--metrics-port', '0', '--metrics-host', '0.0.0.0']);
    const remoteUrl = await metricsUrlOf(everywhere);
    expect(remoteUrl).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/metrics$/);
    expect(listeningTcp(everywhere.pid!)).toEqual([{ address: '0.0.0.0', port: Number(new URL(remoteUrl).port) }]);
    await everywhere.waitForLog('[WARN] metrics: 0.0.0.0 is not a loopback address: the endpoint is reachable from other hosts');
    expect((await scrape(`http://127.0.0.1:${new URL(remoteUrl).port}/metrics`)).value('kong_js_event_table_size')).toBe(0);
  });

  it('refuses to start with a host:port in --metrics-port, before creating the socket', async () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-refused-'));
    const child = spawn(process.execPath, [OUR_SERVER_BIN, '-d', fixtureDir('ender'), '--kong-prefix', prefix, '--metrics-port', '0.0.0.0:9542'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(err).toContain('give --metrics-host explicitly');
    expect(fs.readdirSync(prefix)).toEqual([]);
  });

  it('keeps serving Kong when the port is taken, and serves metrics once it is free', async () => {
    const blocker = net.createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const s = await serve(['--metrics-port', String(port)]);
    await s.waitForLog(`[ERROR] metrics: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}; retrying every 5 s`);
    expect((await serverStatus(s.socketPath)).Pid).toBe(s.pid);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const url = await s.waitForLog(`[INFO] metrics at http://127.0.0.1:${port}/metrics`, 20_000);
    expect(url).toBeDefined();
    expect((await scrape(`http://127.0.0.1:${port}/metrics`)).value('kong_js_plugin_info', { plugin: 'ender', version: '0.1.0' })).toBe(1);
  });
});
