/**
 * The JWKS fetch against a real HTTP server: what it accepts, and that its size and time bounds
 * abort the download (the server sees its connection closed) instead of abandoning it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JWKS_BYTES, fetchJwks } from '../../../plugins/jwt-claims/jwks';
import { rsaKey } from './tokens';

const key = rsaKey();
type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: http.Server;
let base = '';
/** Resolves when the server sees a response's connection close before the response finished. */
let cutOff: Promise<void>;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    cutOff = new Promise((resolve) => res.on('close', () => !res.writableFinished && resolve()));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => server.closeAllConnections());
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** Streams `{"keys":[` then spaces for as long as the client reads. */
const endless: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"keys":[');
  const chunk = ' '.repeat(64 * 1024);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
  };
  res.on('drain', pump);
  pump();
};

const rejection = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => e.message);

describe('fetchJwks', () => {
  it('returns the keys array of a JWKS document, asking for JSON', async () => {
    let accept: string | undefined;
    handler = (req, res) => {
      accept = req.headers.accept;
      json(200, { keys: [key.jwk({ kid: 'k1' })] })(req, res);
    };
    const keys = await fetchJwks(`${base}/jwks`, 2000);
    expect(keys).toEqual([key.jwk({ kid: 'k1' })]);
    expect(accept).toBe('application/jwk-set+json, application/json');
  });

  it('reads a gzip-encoded key set', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(JSON.stringify({ keys: [key.jwk({ kid: 'z' })] })));
    };
    expect(await fetchJwks(`${base}/jwks`, 2000)).toHaveLength(1);
  });

  it.each([
    [json(404, { message: 'not found' }), 'the JWKS endpoint answered HTTP 404'],
    [json(500, 'oops'), 'the JWKS endpoint answered HTTP 500'],
    [json(302, '', { location: 'http://attacker.example/jwks' }), 'the JWKS endpoint answered HTTP 302'],
    [json(200, '<html>'), 'the JWKS document is not JSON'],
    [json(200, { keys: 'k' }), 'the JWKS document has no "keys" array'],
    [json(200, 'null'), 'the JWKS document has no "keys" array'],
    [json(200, [key.jwk({})]), 'the JWKS document has no "keys" array'],
  ])('refuses a bad answer: %#', async (h, message) => {
    handler = h;
    expect(await rejection(fetchJwks(`${base}/jwks`, 2000))).toBe(message);
  });

  it('does not follow redirects', async () => {
    let hits = 0;
    handler = (req, res) => {
      hits += 1;
      json(301, '', { location: `${base}/elsewhere` })(req, res);
    };
    await rejection(fetchJwks(`${base}/jwks`, 2000));
    expect(hits).toBe(1);
  });

  it('takes a body of exactly the limit', async () => {
    const doc = JSON.stringify({ keys: [key.jwk({ kid: 'k' })] });
    handler = json(200, doc + ' '.repeat(MAX_JWKS_BYTES - Buffer.byteLength(doc)));
    expect(await fetchJwks(`${base}/jwks`, 5000)).toHaveLength(1);
  });

  it('aborts a body one byte over the limit', async () => {
    const doc = JSON.stringify({ keys: [key.jwk({ kid: 'k' })] });
    handler = json(200, doc + ' '.repeat(MAX_JWKS_BYTES + 1 - Buffer.byteLength(doc)));
    expect(await rejection(fetchJwks(`${base}/jwks`, 5000))).toBe(`the JWKS document is larger than ${MAX_JWKS_BYTES} bytes`);
  });

  it('aborts an endless body at the limit, long before jwks_timeout, and closes the connection', async () => {
    handler = endless;
    const started = Date.now();
    expect(await rejection(fetchJwks(`${base}/jwks`, 60_000))).toBe(`the JWKS document is larger than ${MAX_JWKS_BYTES} bytes`);
    expect(Date.now() - started).toBeLessThan(30_000);
    await cutOff;
  });

  it('counts the limit after decompression (a gzip bomb)', async () => {
    const bomb = zlib.gzipSync(Buffer.concat([Buffer.from('{"keys":['), Buffer.alloc(64 * MAX_JWKS_BYTES, 0x20), Buffer.from(']}')]));
    expect(bomb.length).toBeLessThan(MAX_JWKS_BYTES);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    };
    expect(await rejection(fetchJwks(`${base}/jwks`, 10_000))).toBe(`the JWKS document is larger than ${MAX_JWKS_BYTES} bytes`);
  });

  it('aborts a response that trickles past jwks_timeout, and closes the connection', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":[');
      const drip = setInterval(() => res.write(' '), 50); // never silent for long: no idle timeout fires
      res.on('close', () => clearInterval(drip));
    };
    expect(await rejection(fetchJwks(`${base}/jwks`, 400))).toBe('the JWKS fetch took longer than jwks_timeout (400 ms)');
    await cutOff;
  });

  it('ignores HTTP_PROXY, as Kong does for its own calls', async () => {
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'http://127.0.0.1:1';
    try {
      handler = json(200, { keys: [key.jwk({ kid: 'k1' })] });
      expect(await fetchJwks(`${base}/jwks`, 2000)).toHaveLength(1);
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
  });

  it('names a connection failure', async () => {
    server.closeAllConnections();
    expect(await rejection(fetchJwks('http://127.0.0.1:1/jwks', 2000))).toMatch(/^the JWKS fetch failed: .*ECONNREFUSED/);
  });
});
