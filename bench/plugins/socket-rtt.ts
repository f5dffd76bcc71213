/**
 * The cheapest round trip this host offers between two Node processes over a unix socket: one
 * byte there and back, nothing decoded, nothing done. Every PDK call is at least that (Kong's side
 * of it aside), so it prices the round trips a plugin cannot avoid, whatever its own code costs.
 * The echo side is this file forked with `--echo`.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const WARMUP = 2000;

/** p50 of `trips` sequential round trips (ms), after a warm-up. */
export async function socketRoundTripP50(trips = 20000): Promise<number> {
  const socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rtt-')), 'echo.sock');
  const child = fork(__filename, ['--echo', socketPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the echo process exited (${code})`)));
    });
    const conn = net.connect(socketPath);
    await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
    const times: number[] = [];
    await new Promise<void>((resolve) => {
      let sent = 0n;
      conn.on('data', () => {
        const took = Number(process.hrtime.bigint() - sent) / 1e6;
        times.push(took);
        if (times.length >= trips + WARMUP) return resolve();
        sent = process.hrtime.bigint();
        conn.write('x');
      });
      sent = process.hrtime.bigint();
      conn.write('x');
    });
    conn.destroy();
    const measured = times.slice(WARMUP).sort((a, b) => a - b);
    return measured[Math.floor(measured.length / 2)]!;
  } finally {
    child.kill();
    fs.rmSync(path.dirname(socketPath), { recursive: true, force: true });
  }
}

if (process.argv[2] === '--echo') {
  const socketPath = process.argv[3]!;
  net
    .createServer((c) => c.on('data', (d) => c.write(d)))
    .listen(socketPath, () => process.send?.('listening'));
  process.on('disconnect', () => process.exit(0));
}
