/**
 * The end-to-end benchmark's clients, in a process of their own (forked by e2e.ts) so that the
 * gateway process is charged only with what Kong would do. Closed loop over kept-alive HTTP/1.1
 * connections, one request in flight per connection, like wrk: each request's bytes are built
 * once, and only the status line and Content-Length of the answer are read (the gateway under
 * test always sends one).
 *
 * IPC: the parent sends {kind: 'run', port, request, concurrency, durationMs}; the child answers
 * {kind: 'sample', requests, elapsedMs, latencies, statuses}.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ClientRequest {
  method: string;
  path: string;
  headers: Array<[string, string]>;
  /** Sent with its Content-Length; none: an empty body. */
  body?: string;
}

export interface RunCommand {
  kind: 'run';
  port: number;
  request: ClientRequest;
  concurrency: number;
  durationMs: number;
}

export interface ClientSample {
  kind: 'sample';
  requests: number;
  elapsedMs: number;
  /** Per request, ms, from the first byte written to the last byte read. */
  latencies: number[];
  /** Status → count. */
  statuses: Record<string, number>;
}

function requestBytes(r: ClientRequest, port: number): Buffer {
  const body = Buffer.from(r.body ?? '', 'utf8');
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...r.headers.map(([k, v]) => `${k}: ${v}`), `Content-Length: ${body.length}`, '', ''];
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Parses one response at the start of `buf`: its status and total length, or undefined when incomplete. */
function parseResponse(buf: Buffer): { status: number; length: number } | undefined {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return undefined;
  const head = buf.toString('latin1', 0, end);
  const status = Number(head.slice(9, 12));
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (!m) throw new Error(`answer without Content-Length: ${head.split('\r\n')[0]}`);
  const length = end + 4 + Number(m[1]);
  return buf.length >= length ? { status, length } : undefined;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ host: '127.0.0.1', port, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function run(cmd: RunCommand): Promise<ClientSample> {
  const bytes = requestBytes(cmd.request, cmd.port);
  const sample: ClientSample = { kind: 'sample', requests: 0, elapsedMs: 0, latencies: [], statuses: {} };
  const sockets = await Promise.all(Array.from({ length: cmd.concurrency }, () => connect(cmd.port)));
  const start = performance.now();
  const deadline = start + cmd.durationMs;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          let pending: Buffer = Buffer.alloc(0);
          let sentAt = 0;
          const send = (): void => {
            sentAt = performance.now();
            socket.write(bytes);
          };
          socket.on('data', (chunk: Buffer) => {
            pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
            let parsed: ReturnType<typeof parseResponse>;
            try {
              parsed = parseResponse(pending);
            } catch (error) {
              reject(error);
              return;
            }
            if (!parsed) return;
            const now = performance.now();
            sample.requests += 1;
            sample.latencies.push(now - sentAt);
            sample.statuses[parsed.status] = (sample.statuses[parsed.status] ?? 0) + 1;
            pending = pending.subarray(parsed.length);
            if (now < deadline) send();
            else resolve();
          });
          socket.once('error', reject);
          send();
        }),
    ),
  );
  sample.elapsedMs = performance.now() - start;
  for (const s of sockets) s.destroy();
  return sample;
}

process.on('message', (cmd: RunCommand) => {
  run(cmd).then(
    (sample) => process.send?.(sample),
    (error: unknown) => process.send?.({ kind: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
