/**
 * Kong's RPC client as the harness plays it: the read timeout of one answer (nginx cosocket
 * `timeout`), over a pooled connection whose single timer is re-armed for each wait.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MsgpackRpcClient, MsgpackStreamDecoder, encodeMsgpack } from '../harness';

/** A plugin-server stand-in: answers each request after `delayFor(method)` ms, or never (null). */
async function fakeServer(delayFor: (method: string) => number | null): Promise<{ socketPath: string; close: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpc-client-'));
  const socketPath = path.join(dir, 'fake.sock');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const decoder = new MsgpackStreamDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk) as Array<[number, number, string, unknown[]]>) {
        const delay = delayFor(m[2]);
        if (delay === null) continue;
        setTimeout(() => socket.write(encodeMsgpack([1, m[1], null, m[2]])), delay);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

describe('MsgpackRpcClient read timeout', () => {
  it('gives up on an answer that never comes, with Lua\'s (nil, "timeout")', async () => {
    const server = await fakeServer(() => null);
    const client = new MsgpackRpcClient(server.socketPath, { timeoutMs: 80 });
    cleanup.push(server.close, () => client.close());
    const started = Date.now();
    expect(await client.call('plugin.HandleEvent', {})).toEqual({ ok: false, error: 'timeout', stage: 'io' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
  });

  it('times each wait from its own start on a reused connection, never from an earlier one', async () => {
    const server = await fakeServer((method) => (method === 'slow' ? 120 : method === 'never' ? null : 0));
    const client = new MsgpackRpcClient(server.socketPath, { timeoutMs: 200 });
    cleanup.push(server.close, () => client.close());
    expect(await client.call('fast')).toEqual({ ok: true, result: 'fast' });
    // the first wait's timer would have fired by now; the next answer takes 120 ms of a fresh 200
    await sleep(150);
    expect(await client.call('slow')).toEqual({ ok: true, result: 'slow' });
    expect(await client.call('slow')).toEqual({ ok: true, result: 'slow' });
    expect(await client.call('never')).toEqual({ ok: false, error: 'timeout', stage: 'io' });
    // the timed-out connection was dropped; the next call connects afresh and is answered
    expect(await client.call('fast')).toEqual({ ok: true, result: 'fast' });
  });
});
