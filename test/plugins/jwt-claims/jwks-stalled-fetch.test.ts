/**
 * jwks_timeout bounds the whole JWKS fetch. A socket idle timeout alone (what jwks-rsa, used
 * before, offered) never settled once the response headers had arrived: that promise stayed
 * `inflight` for good, the first lookup never returned and no later refresh (rotation, TTL) could
 * start, even after the identity provider recovered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwksStore, fetchJwks } from '../../../plugins/jwt-claims/jwks';
import { rsaKey } from './tokens';

const key = rsaKey();
let server: http.Server;
let url: string;
let mode: 'stall' | 'ok' = 'stall';

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (mode === 'stall') {
      res.write('{"keys":['); // headers and part of the body, then nothing
      return;
    }
    res.end(JSON.stringify({ keys: [key.jwk({ kid: 'k1' })] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const PENDING = Symbol('pending');
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<typeof PENDING>((resolve) => setTimeout(() => resolve(PENDING), ms))]);

describe('JWKS fetch that stalls after the response headers', () => {
  it('gives up after jwks_timeout, and a recovered identity provider is used again', async () => {
    const store = new JwksStore(url, { ttlMs: 600_000, cooldownMs: 0, timeoutMs: 300 }, fetchJwks);

    // timeoutMs is 300 ms: the lookup must settle (keys unavailable -> 503) well within 3 s.
    const first = await within(store.lookup('k1'), 3000);
    expect(first, 'lookup still pending 3 s after a 300 ms jwks_timeout').not.toBe(PENDING);
    expect(first).toEqual({ keys: [], available: false });
    expect(store.lastError).toBe('the JWKS fetch took longer than jwks_timeout (300 ms)');

    // The identity provider recovers; with cooldown 0 the next lookup must fetch and find the key.
    mode = 'ok';
    const second = await within(store.lookup('k1'), 3000);
    expect(second, 'store still waiting on the stalled fetch after the provider recovered').not.toBe(PENDING);
    expect(second).toMatchObject({ available: true, keys: [{ kid: 'k1' }] });
  }, 15_000);

  it('a stalled fetch does not block every later refresh once the provider is healthy again', async () => {
    mode = 'stall';
    const store = new JwksStore(url, { ttlMs: 600_000, cooldownMs: 0, timeoutMs: 300 }, fetchJwks);
    void store.lookup('k1'); // stalls
    await new Promise((resolve) => setTimeout(resolve, 1500)); // 5x jwks_timeout
    mode = 'ok';
    const later = await within(store.lookup('k1'), 3000);
    expect(later, 'later lookups still wait on the stalled fetch').not.toBe(PENDING);
    expect(later).toMatchObject({ available: true, keys: [{ kid: 'k1' }] });
    expect(store.fetches).toBe(2);
  }, 15_000);
});
