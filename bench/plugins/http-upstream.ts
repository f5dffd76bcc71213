/**
 * The end-to-end benchmark's Service, in a process of its own (forked by e2e.ts) as a Service is
 * not Kong's: a Node HTTP server on 127.0.0.1 answering every request with `200 ok` at once (after
 * BENCH_UPSTREAM_MS, when set), over kept-alive connections. Sends its port over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const delayMs = Math.max(0, Math.round(Number(process.env.BENCH_UPSTREAM_MS ?? 0) || 0));
const body = Buffer.from('ok');

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const answer = (): void => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
      res.end(body);
    };
    if (delayMs === 0) answer();
    else setTimeout(answer, delayMs);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ kind: 'listening', port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
