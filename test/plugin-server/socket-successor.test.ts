/**
 * SIGTERM must not remove a newer server's socket. Closing a listening unix socket unlinks its
 * path whatever file is there (libuv's uv__pipe_close), so a server that had already replaced it at
 * the same path (kong reload, a supervisor's hand-over) lost its socket, and Kong proxied every
 * request without the plugin ("trying to connect"). The old server now leaves a socket that is no
 * longer its own in place.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverStatus } from './helpers';
import { startOurs, type ServerProc } from './spawned-server';

const procs: ServerProc[] = [];

describe('a stopping server and its successor on the same socket path', () => {
  afterAll(() => {
    for (const p of procs) p.kill();
  });

  it("SIGTERM to the old server leaves the successor's socket in place", async () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'review-succ-'));
    const old = startOurs(prefix, 'js.sock', ['ender']);
    procs.push(old);
    await old.listening();
    expect((await serverStatus(old.socketPath)).Pid).toBe(old.child.pid);

    // the successor replaces the (now "stale") socket file, as kong-pdk's and our listen() do
    const successor = startOurs(prefix, 'js.sock', ['ender']);
    procs.push(successor);
    await successor.listening();
    expect((await serverStatus(successor.socketPath)).Pid).toBe(successor.child.pid);

    old.child.kill('SIGTERM');
    expect(await old.exited).toEqual({ code: 0, signal: null });

    // Kong connects to <prefix>/js.sock: the successor must still be there
    expect(fs.existsSync(successor.socketPath)).toBe(true);
    expect((await serverStatus(successor.socketPath)).Pid).toBe(successor.child.pid);
  });
});
