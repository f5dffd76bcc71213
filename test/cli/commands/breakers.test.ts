/**
 * `kong-ctl breakers` reads the circuit-breaker state endpoint. The answer served here is the
 * example documented in docs/circuit-breaker.md, so the command and the documented format
 * cannot drift apart.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli';

const DOC = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'circuit-breaker.md'), 'utf8');
const EXAMPLE = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(DOC.slice(DOC.indexOf('## State endpoint')))![1]);

let server: http.Server;
let base: string;
const seen: Array<{ url?: string; apikey?: string | string[] }> = [];
let body: unknown = EXAMPLE;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url, apikey: req.headers.apikey });
    if (req.headers.apikey !== 'k3y') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"No API key found in request"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_kong/breakers`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('kong-ctl breakers', () => {
  it('lists the breakers of a node and exits 2 while one is open', async () => {
    const r = await runCli(['breakers', '--url', base], { env: { KONG_CTL_BREAKERS_HEADERS: 'apikey: k3y' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(2);
    expect(seen.at(-1)).toEqual({ url: '/_kong/breakers', apikey: 'k3y' });
    expect(r.stdout).toContain('payments (service)  open  12/20 failed  retry in 20s');
    expect(r.stdout).toMatch(/1 circuit open or half-open\.$/m);
  });

  it('exits 0 when every circuit is closed; JSON keeps the node list', async () => {
    body = { ...EXAMPLE, breakers: EXAMPLE.breakers.map((b: Record<string, unknown>) => ({ ...b, state: 'closed', retry_after_seconds: null })) };
    try {
      const r = await runCli(['breakers', '--url', base, '--header', 'apikey: k3y', '-o', 'json']);
      expect(r.code).toBe(0);
      const j = JSON.parse(r.stdout);
      expect(j).toMatchObject({ format_version: 1, tripped: 0, nodes: [{ url: base, pid: EXAMPLE.pid }] });
    } finally {
      body = EXAMPLE;
    }
  });

  it('a refused key is a clear error, exit 1', async () => {
    const r = await runCli(['breakers', '--url', base]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401/);
  });

  it('an endpoint that is not the state endpoint is named as such', async () => {
    body = { data: [] };
    try {
      const r = await runCli(['breakers', '--url', base, '--header', 'apikey: k3y']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/did not answer with the circuit-breaker state/);
    } finally {
      body = EXAMPLE;
    }
  });
});
