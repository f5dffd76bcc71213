/** Test-side helpers for the harness tests: temporary plugin directories, upstreams, the recorded trace. */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
export const PROBE_JS = path.join(FIXTURES, 'kong-pdk', 'pdk-probe.js');
export const TRACE_JSONL = path.join(FIXTURES, 'kong-pdk', 'trace-kong-3.4.2.jsonl');

/** The test-only plugin `<name>` from test/fixtures/plugins/<name>/<name>.js. */
export function testPlugin(name: string): string {
  return path.join(FIXTURES, 'plugins', name, `${name}.js`);
}

/** A fresh plugins directory holding copies of the given plugin files (a plugin server loads every file it finds). */
export function pluginsDir(...files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kplugins-'));
  for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  return dir;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

export interface TestUpstream {
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records requests and answers with `respond`. */
export async function startUpstream(respond: (req: RecordedRequest, res: http.ServerResponse) => void): Promise<TestUpstream> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      respond(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An upstream that echoes the request as JSON. */
export function echoUpstream(): Promise<TestUpstream> {
  return startUpstream((req, res) => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: req.body });
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
    res.end(body);
  });
}

export interface TraceLine {
  t: number;
  conn: number;
  dir: 'kong->ps' | 'ps->kong';
  msg: unknown[];
}

/** The recorded conversation, with `{"$bin": text}` kept as written. */
export function loadTrace(): TraceLine[] {
  return fs
    .readFileSync(TRACE_JSONL, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceLine);
}

/** Buffers as the trace writes binary values: `{"$bin": "<utf-8 text>"}`. */
export function binAsTrace(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $bin: value.toString('utf8') };
  if (Array.isArray(value)) return value.map(binAsTrace);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, binAsTrace(v)]));
  }
  return value;
}
