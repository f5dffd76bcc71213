/**
 * The end-to-end benchmark's Service, in a process of its own (forked by e2e.ts) as a Service is
 * not Kong's: a Node HTTP server on 127.0.0.1 answering every request with `200 ok` at once (after
 * BENCH_UPSTREAM_MS or the request's x-bench-upstream-ms, when set: upstream-delay.ts), over
 * kept-alive connections. Sends its port over IPC.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UPSTREAM_DELAY_HEADER, delayMs } from './upstream-delay';

const defaultDelayMs = delayMs(process.env.BENCH_UPSTREAM_MS);
const body = Buffer.from('ok');

const server = http.createServer((req, res) => {
  const wait = req.headers[UPSTREAM_DELAY_HEADER] !== undefined ? delayMs(req.headers[UPSTREAM_DELAY_HEADER]) : defaultDelayMs;
  req.resume();
  req.on('end', () => {
    const answer = (): void => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
      res.end(body);
    };
    if (wait === 0) answer();
    else setTimeout(answer, wait);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ kind: 'listening', port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
