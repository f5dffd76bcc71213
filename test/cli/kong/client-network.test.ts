/**
 * Failures below HTTP, against real loopback sockets rather than nock (nock 14 cannot deliver
 * socket errors to axios): resets, refused connections, TLS handshakes, timeouts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdminClient, type KongAdminClient } from '../../../cli/src/kong/client';
import type { ConnectionOptions } from '../../../cli/src/kong/types';
import { KongCtlError } from '../../../cli/src/model/errors';
import { exchange } from './fixtures';

const ROOT = exchange('001').response.body;

let clients: KongAdminClient[] = [];
let servers: Array<http.Server | https.Server> = [];

function client(opts: Partial<ConnectionOptions> & { kongAddr: string }): KongAdminClient {
  const c = createAdminClient({ headers: [], ...opts }, { baseDelayMs: 1, maxDelayMs: 2 });
  clients.push(c);
  return c;
}

async function listen<S extends http.Server | https.Server>(server: S): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections?.();
          s.close(() => resolve());
        }),
    ),
  );
  servers = [];
});

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function answerJson(res: http.ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

describe('connection failures', () => {
  it('retries a GET whose connection was reset, then succeeds', async () => {
    let n = 0;
    const port = await listen(
      http.createServer((req, res) => {
        if (n++ === 0) req.socket.destroy();
        else answerJson(res, ROOT);
      }),
    );
    const c = client({ kongAddr: `http://127.0.0.1:${port}` });
    const res = await c.request<any>('GET', '/');
    expect(res.data.version).toBe('3.4.2');
    expect(c.stats).toEqual({ requests: 2, retries: 1, writes: 0 });
  });

  it('never retries a POST whose connection was reset, and says the write may have happened', async () => {
    let n = 0;
    const port = await listen(
      http.createServer((req) => {
        n++;
        req.socket.destroy();
      }),
    );
    const c = client({ kongAddr: `http://127.0.0.1:${port}` });
    const err = await caught(c.request('POST', '/services', { body: { name: 'a', host: 'x' } }));
    expect(err).toBeInstanceOf(KongCtlError);
    expect(err.code).toBe('E_KONG_UNREACHABLE');
    expect(err.message).toContain(`connection to Kong Admin API at http://127.0.0.1:${port} was lost during POST /services`);
    expect(err.message).toContain('POST /services may or may not have been applied');
    expect(n).toBe(1);
    expect(c.stats).toMatchObject({ requests: 1, retries: 0, writes: 1 });
  });

  it('reports an unreachable port as E_KONG_UNREACHABLE after spending the retry budget', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const c = client({ kongAddr: `http://127.0.0.1:${port}`, maxRetries: 2 });
    const err = await caught(c.request('GET', '/'));
    expect(err.code).toBe('E_KONG_UNREACHABLE');
    expect(err.message).toBe(`cannot reach Kong Admin API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (after 2 retries)`);
    expect(c.stats).toMatchObject({ requests: 3, retries: 2 });
  });

  it('times out a request Kong never answers, without retrying it', async () => {
    let n = 0;
    const port = await listen(
      http.createServer(() => {
        n++; // accept, never answer
      }),
    );
    const c = client({ kongAddr: `http://127.0.0.1:${port}`, timeoutSeconds: 0.2 });
    const err = await caught(c.listAll('/services'));
    expect(err.code).toBe('E_KONG_TIMEOUT');
    expect(err.message).toBe(`Kong Admin API at http://127.0.0.1:${port} did not answer GET /services within 0.2s; raise --timeout if Kong is busy`);
    expect(n).toBe(1);
    expect(c.stats.retries).toBe(0);
  });

  it('keeps the admin token out of the error it throws', async () => {
    const port = await listen(http.createServer((req) => req.socket.destroy()));
    const c = client({ kongAddr: `http://127.0.0.1:${port}`, headers: ['Kong-Admin-Token: hunter2'], maxRetries: 0 });
    const err = await caught(c.request('GET', '/'));
    expect(err.code).toBe('E_KONG_UNREACHABLE');
    const seen = JSON.stringify({ message: err.message, cause: String(err.cause), causeJson: err.cause });
    expect(seen).not.toContain('hunter2');
  });
});

describe('TLS', () => {
  let dir: string;
  let goodCert: string;
  let goodKey: string;
  let otherNameCert: string;
  let otherNameKey: string;

  /** A throwaway self-signed certificate made by the openssl CLI (node:crypto cannot issue X.509). */
  function selfSigned(name: string, san: string): { cert: string; key: string; certFile: string } {
    const keyFile = join(dir, `${name}.key`);
    const certFile = join(dir, `${name}.crt`);
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`],
      { stdio: 'pipe' },
    );
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kong-ctl-tls-'));
    const good = selfSigned('kong-admin', 'DNS:localhost,IP:127.0.0.1');
    goodCert = good.cert;
    goodKey = good.key;
    const other = selfSigned('elsewhere', 'DNS:elsewhere.example');
    otherNameCert = other.cert;
    otherNameKey = other.key;
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  async function tlsKong(cert: string, key: string): Promise<string> {
    const port = await listen(https.createServer({ cert, key }, (_req, res) => answerJson(res, ROOT)));
    return `https://127.0.0.1:${port}`;
  }

  it('refuses a self-signed certificate with E_KONG_TLS and a hint about --ca-cert', async () => {
    const addr = await tlsKong(goodCert, goodKey);
    const c = client({ kongAddr: addr });
    const err = await caught(c.request('GET', '/'));
    expect(err).toBeInstanceOf(KongCtlError);
    expect(err.code).toBe('E_KONG_TLS');
    expect(err.message).toContain(`TLS error talking to Kong Admin API at ${addr}`);
    expect(err.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(err.message).toContain('--ca-cert');
    expect(err.message).toContain('--tls-skip-verify');
    expect(c.stats.retries).toBe(0);
  });

  it('trusts the certificate given with --ca-cert', async () => {
    const addr = await tlsKong(goodCert, goodKey);
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, goodCert);
    const c = client({ kongAddr: addr, caCert: caFile });
    const res = await c.request<any>('GET', '/');
    expect(res.data.version).toBe('3.4.2');
  });

  it("trusts a PEM given as the value itself, as decK's --ca-cert and DECK_CA_CERT give it", async () => {
    const addr = await tlsKong(goodCert, goodKey);
    const c = client({ kongAddr: addr, caCert: goodCert });
    expect((await c.request<any>('GET', '/')).data.version).toBe('3.4.2');
  });

  it('skips verification with --tls-skip-verify', async () => {
    const addr = await tlsKong(goodCert, goodKey);
    const c = client({ kongAddr: addr, tlsSkipVerify: true });
    expect((await c.request('GET', '/')).status).toBe(200);
  });

  it('reports a host name the certificate does not cover, even with its CA trusted', async () => {
    const addr = await tlsKong(otherNameCert, otherNameKey);
    const caFile = join(dir, 'other-ca.pem');
    writeFileSync(caFile, otherNameCert);
    const c = client({ kongAddr: addr, caCert: caFile });
    const err = await caught(c.request('GET', '/'));
    expect(err.code).toBe('E_KONG_TLS');
    expect(err.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(err.message).toContain('subjectAltName');
  });

  it('reports https spoken to a plain http port as a TLS failure', async () => {
    const port = await listen(http.createServer((_req, res) => answerJson(res, ROOT)));
    const c = client({ kongAddr: `https://127.0.0.1:${port}` });
    const err = await caught(c.request('GET', '/'));
    expect(err.code).toBe('E_KONG_TLS');
    expect(err.message).toContain(': wrong version number (EPROTO)');
    expect(err.message).toContain('Use http:// otherwise');
  });

  describe('mutual TLS', () => {
    /**
     * An Admin API behind nginx's `ssl_verify_client on` (Kong's admin listener, or a proxy in
     * front of it): nginx finishes the handshake and answers 400 with its own HTML page.
     */
    async function mtlsKong(clientCa: string): Promise<string> {
      const server = https.createServer({ cert: goodCert, key: goodKey, requestCert: true, rejectUnauthorized: false, ca: [clientCa] }, (req, res) => {
        const socket = req.socket as import('node:tls').TLSSocket;
        if (!socket.authorized) {
          const title = socket.getPeerCertificate()?.subject ? '400 The SSL certificate error' : '400 No required SSL certificate was sent';
          res.writeHead(400, { 'content-type': 'text/html' });
          res.end(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>${title.slice(4)}</center>\r\n<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n`);
          return;
        }
        answerJson(res, { ...ROOT, client: socket.getPeerCertificate().subject?.CN });
      });
      return `https://127.0.0.1:${await listen(server)}`;
    }

    it('presents --tls-client-cert and --tls-client-key, as files or as the PEM itself', async () => {
      const me = selfSigned('platform-ci', 'DNS:platform-ci');
      const addr = await mtlsKong(me.cert);
      const keyFile = join(dir, 'platform-ci.key');
      const byFile = client({ kongAddr: addr, caCert: goodCert, tlsClientCert: me.certFile, tlsClientKey: keyFile });
      expect((await byFile.request<any>('GET', '/')).data.client).toBe('platform-ci');
      const byValue = client({ kongAddr: addr, caCert: goodCert, tlsClientCert: me.cert, tlsClientKey: me.key });
      expect((await byValue.request<any>('GET', '/')).data.client).toBe('platform-ci');
    });

    it('says that the Admin API wants a client certificate when none or a stranger is presented', async () => {
      const me = selfSigned('platform-ci', 'DNS:platform-ci');
      const stranger = selfSigned('stranger', 'DNS:stranger');
      const addr = await mtlsKong(me.cert);
      const none = await caught(client({ kongAddr: addr, caCert: goodCert }).request('GET', '/'));
      expect(none.message).toBe(
        'GET / → 400: No required SSL certificate was sent: the Admin API wants mutual TLS with a certificate it trusts (--tls-client-cert FILE --tls-client-key FILE)',
      );
      const wrong = await caught(client({ kongAddr: addr, caCert: goodCert, tlsClientCert: stranger.cert, tlsClientKey: stranger.key }).request('GET', '/'));
      expect(wrong.message).toBe(
        'GET / → 400: The SSL certificate error: the Admin API wants mutual TLS with a certificate it trusts (--tls-client-cert FILE --tls-client-key FILE)',
      );
    });

    it('says the same when the TLS layer itself refuses (a listener that ends the handshake)', async () => {
      const me = selfSigned('platform-ci', 'DNS:platform-ci');
      const server = https.createServer({ cert: goodCert, key: goodKey, requestCert: true, rejectUnauthorized: true, ca: [me.cert] }, (_req, res) => answerJson(res, ROOT));
      const addr = `https://127.0.0.1:${await listen(server)}`;
      const err = await caught(client({ kongAddr: addr, caCert: goodCert }).request('GET', '/'));
      expect(err.code).toBe('E_KONG_TLS');
      expect(err.message).toContain('(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED); the Admin API refused this client: it wants mutual TLS');
    });

    it('refuses a certificate without its key, and a key file that holds none', () => {
      const me = selfSigned('half', 'DNS:half');
      expect(() => createAdminClient({ kongAddr: 'https://127.0.0.1:1', headers: [], tlsClientCert: me.certFile })).toThrow(
        expect.objectContaining({ code: 'E_USAGE', message: 'mutual TLS needs both --tls-client-cert and --tls-client-key: give the certificate and its private key' }),
      );
      expect(() => createAdminClient({ kongAddr: 'https://127.0.0.1:1', headers: [], tlsClientCert: me.certFile, tlsClientKey: me.certFile })).toThrow(
        expect.objectContaining({ code: 'E_USAGE', message: `--tls-client-key ${me.certFile} holds no PEM private key (expected -----BEGIN … PRIVATE KEY-----)` }),
      );
    });
  });

  it('checks the certificate against --tls-server-name when the address does not carry the name', async () => {
    const addr = await tlsKong(otherNameCert, otherNameKey);
    const c = client({ kongAddr: addr, caCert: otherNameCert, tlsServerName: 'elsewhere.example' });
    expect((await c.request<any>('GET', '/')).data.version).toBe('3.4.2');
  });

  it('refuses a --ca-cert that is missing or holds no certificate', () => {
    expect(() => createAdminClient({ kongAddr: 'https://127.0.0.1:1', headers: [], caCert: join(dir, 'nope.pem') })).toThrow(
      expect.objectContaining({ code: 'E_FILE_READ' }),
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => createAdminClient({ kongAddr: 'https://127.0.0.1:1', headers: [], caCert: junk })).toThrow(
      expect.objectContaining({ code: 'E_USAGE' }),
    );
  });
});

describe('--header names', () => {
  it('sends every header given, those named like Object.prototype members too', async () => {
    let seen: string[] = [];
    const port = await listen(
      http.createServer((req, res) => {
        seen = req.rawHeaders;
        answerJson(res, ROOT);
      }),
    );
    const given = ['constructor: a', '__proto__: b', 'prototype: c', 'toString: d', 'hasOwnProperty: e', 'Kong-Admin-Token: f'];
    await client({ kongAddr: `http://127.0.0.1:${port}`, headers: given }).request('GET', '/');
    const received = new Map<string, string>();
    for (let i = 0; i < seen.length; i += 2) received.set(seen[i]!.toLowerCase(), seen[i + 1]!);
    for (const raw of given) {
      const [name, value] = raw.split(': ');
      expect(received.get(name!.toLowerCase()), name).toBe(value);
    }
  });
});
