/** The pure parts of idempotency: request line, key syntax, stored record format, header filtering, config checks, schema shape. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { schemaEntries, type KongFieldList } from '../../../plugins/shared/kong-schema';
import { compileConfig, isStoredStatus } from '../../../plugins/idempotency/config';
import { readIdempotencyKey } from '../../../plugins/idempotency/key';
import { decodeResponse, encodeResponse, replayableHeaders, replayHeaders } from '../../../plugins/idempotency/record';
import { parseRequestLine } from '../../../plugins/idempotency/request-line';
import { Schema } from '../../../plugins/idempotency/schema';
import { UnscopableCredentialError, credentialScopeOf, fingerprintOf, identityOf, storeKeyFor } from '../../../plugins/idempotency/scope';
import { decodeLuaString, rawBytes } from '../../../plugins/shared/raw-string';

describe('parseRequestLine', () => {
  it.each([
    ['POST /orders?x=1 HTTP/1.1', 'POST', '/orders?x=1'],
    ['PATCH /a/../b%20c HTTP/2.0', 'PATCH', '/a/../b%20c'],
    ['GET /legacy', 'GET', '/legacy'],
    ['POST http://api.example.com/orders?x=1 HTTP/1.1', 'POST', '/orders?x=1'],
    ['POST https://api.example.com:8443 HTTP/1.1', 'POST', '/'],
    ['POST http://api.example.com?x=1 HTTP/1.1', 'POST', '/?x=1'],
  ])('reads %j as %s %s, the target as $request_uri holds it', (line, method, target) => {
    expect(parseRequestLine(line)).toEqual({ method, target });
  });

  it.each([[undefined], [null], [''], ['POST'], [' /x HTTP/1.1'], ['POST  HTTP/1.1'], [42]])('refuses %j', (line) => {
    expect(parseRequestLine(line)).toBeUndefined();
  });
});

describe('readIdempotencyKey', () => {
  it.each([
    ['abc', 'abc'],
    ['"abc"', 'abc'],
    ['  "8e03978e-40d5-43e8-bc93-6894a57f9324"  ', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"with space and , comma"', 'with space and , comma'],
    ['"q\\"uote\\\\"', 'q"uote\\'],
    ['a;b=c', 'a;b=c'],
  ])('reads %j as %j', (value, key) => {
    expect(readIdempotencyKey([value], 255)).toEqual({ ok: true, key });
  });

  it.each([['"abc'], ['"a"b"'], ['"a\\x"'], ['a b'], ['a,b'], ['a"b'], [''], ['""'], ['"tab\there"'], ['é']])('refuses %j', (value) => {
    expect(readIdempotencyKey([value], 255)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('distinguishes missing, several and too long', () => {
    expect(readIdempotencyKey([], 255)).toEqual({ ok: false, reason: 'missing' });
    expect(readIdempotencyKey(['a', 'b'], 255)).toEqual({ ok: false, reason: 'malformed' });
    expect(readIdempotencyKey(['abcd'], 3)).toEqual({ ok: false, reason: 'too_long' });
    expect(readIdempotencyKey(['"abc"'], 3)).toEqual({ ok: true, key: 'abc' });
  });
});

describe('stored response record', () => {
  it('round-trips any status, headers and body bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.array(fc.string(), { minLength: 1 }))),
        fc.uint8Array({ maxLength: 2048 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
        (status, headers, body, fingerprint) => {
          const record = { fingerprint, status, headers, body: Buffer.from(body) };
          const back = decodeResponse(encodeResponse(record));
          expect(back).toEqual(record);
        },
      ),
    );
  });

  // The project's plugin server hands over a header value's invalid bytes as lone surrogates
  // (U+DC80 + byte - 0x80): the record must keep them (JSON.stringify escapes them as \udcXX) for
  // the replay to send the upstream's bytes back.
  it('keeps header values holding escaped bytes (lone surrogates) exactly', () => {
    const latin1 = decodeLuaString(Buffer.from('attachment; filename="r\xe9sum\xe9.pdf"', 'latin1'));
    expect(latin1).toBe('attachment; filename="r\udce9sum\udce9.pdf"');
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 4 }), (values) => {
        const strings = values.map((v) => decodeLuaString(v));
        const record = { fingerprint: 'f', status: 200, headers: [['content-disposition', [latin1, ...strings]]] as Array<[string, string[]]>, body: Buffer.alloc(0) };
        const back = decodeResponse(encodeResponse(record))!;
        expect(back).toEqual(record);
        expect(back.headers[0]![1].slice(1).map((s) => [...rawBytes(s)])).toEqual(values.map((v) => [...v]));
      }),
    );
  });

  it('refuses bytes that are not a record', () => {
    expect(decodeResponse(Buffer.alloc(2))).toBeUndefined();
    expect(decodeResponse(Buffer.from([0, 0, 0, 50, 1, 2]))).toBeUndefined();
    const wrongVersion = Buffer.from(JSON.stringify({ v: 2, fp: 'x', status: 200, headers: [] }));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(wrongVersion.length);
    expect(decodeResponse(Buffer.concat([len, wrongVersion]))).toBeUndefined();
  });

  it('drops hop-by-hop headers, those listed in Connection, and those Kong sets itself', () => {
    const kept = replayableHeaders({
      'content-type': ['application/json'],
      'content-length': ['12'],
      connection: ['close, x-private'],
      'x-private': ['1'],
      'keep-alive': ['timeout=5'],
      'transfer-encoding': ['chunked'],
      date: ['Mon, 01 Jan 2024 00:00:00 GMT'],
      server: ['upstream'],
      via: ['1.1 kong'],
      'x-kong-upstream-latency': ['3'],
      'set-cookie': ['a=1', 'b=2'],
      Location: '/orders/1',
    });
    expect(kept).toEqual([
      ['content-type', ['application/json']],
      ['set-cookie', ['a=1', 'b=2']],
      ['location', ['/orders/1']],
    ]);
  });

  it('marks replays, replacing any upstream copy of the marker', () => {
    const headers = replayHeaders({ fingerprint: 'f', status: 201, body: Buffer.alloc(0), headers: [['idempotent-replayed', ['false']], ['x-a', ['1']]] });
    expect(headers).toEqual({ 'x-a': ['1'], 'Idempotent-Replayed': 'true' });
  });
});

describe('scope', () => {
  it('scopes by consumer when a credential was presented, and adds the fallback for credential-less consumers', () => {
    expect(identityOf('c1', 'credential:k1', 'ip:1.2.3.4')).toBe('consumer:c1');
    expect(identityOf('anon', undefined, 'ip:1.2.3.4')).toBe('consumer:anon|ip:1.2.3.4');
    expect(identityOf(undefined, 'credential:k1', 'ip:1.2.3.4')).toBe('credential:k1');
    expect(identityOf(undefined, undefined, 'header:x')).toBe('header:x');
  });

  // Found by review: ldap-auth's `{username, password}` credential has no id, and used to be
  // scoped by the client IP that other users behind the same address share.
  it('scopes a credential by its id, else by its username (never its password), and refuses one with neither', () => {
    expect(credentialScopeOf(undefined)).toBeUndefined();
    expect(credentialScopeOf(null)).toBeUndefined();
    expect(credentialScopeOf({ id: 'k1', username: 'alice' })).toBe('credential:k1');
    expect(credentialScopeOf({ username: 'alice', password: 'alice-pw' })).toBe('credential-username:alice');
    expect(credentialScopeOf({ username: 'alice', password: 'other-pw' })).toBe('credential-username:alice');
    expect(credentialScopeOf({ username: 'alice', password: 'x' })).not.toBe(credentialScopeOf({ username: 'bob', password: 'x' }));
    // A username that looks like an id cannot take the place of one.
    expect(credentialScopeOf({ username: 'k1' })).not.toBe(credentialScopeOf({ id: 'k1' }));
    for (const nameless of [{ password: 'pw' }, { username: '' }, [], {}, 'text']) {
      expect(() => credentialScopeOf(nameless)).toThrow(UnscopableCredentialError);
    }
  });

  it('gives different store keys to different routes, identities and keys, and fixed-length ones', () => {
    const keys = new Set([storeKeyFor('r1', 'consumer:a', 'k'), storeKeyFor('r2', 'consumer:a', 'k'), storeKeyFor('r1', 'consumer:b', 'k'), storeKeyFor('r1', 'consumer:a', 'k2')]);
    expect(keys.size).toBe(4);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{64}$/);
    // No ambiguity from concatenation.
    expect(storeKeyFor('r', 'ab', 'c')).not.toBe(storeKeyFor('r', 'a', 'bc'));
  });

  it('fingerprints method, target and body without ambiguity', () => {
    const empty = Buffer.alloc(0);
    expect(fingerprintOf('POST', '/a', Buffer.from('b'))).not.toBe(fingerprintOf('POST', '/ab', empty));
    expect(fingerprintOf('POST', '/a', empty)).not.toBe(fingerprintOf('PATCH', '/a', empty));
    expect(fingerprintOf('POST', '/a', Buffer.from([0xff]))).toBe(fingerprintOf('POST', '/a', Buffer.from([0xff])));
  });

  // A rolling upgrade must not turn retries into 422s: for a valid target the fingerprint is the
  // one every earlier release stored (sha256 over the UTF-8 of method, target and the body).
  it('fingerprints a valid target as before hashing raw bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom('POST', 'PATCH', 'PUT'), fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 64 }), (method, target, body) => {
        const before = createHash('sha256').update(method).update('\0').update(target).update('\0').update(body).digest('hex');
        expect(fingerprintOf(method, target, body)).toBe(before);
      }),
    );
    expect(fingerprintOf('POST', '/orders?x=é', Buffer.alloc(0))).toBe('e5b8dfc9d10c03ddda3f0f0bfad30eb57d9fe5923e8dea9776e1b1f82d9af917');
  });

  // Targets that differ only in bytes that are not UTF-8, as the project's plugin server decodes
  // them: hashed as UTF-8 both would have been EF BF BD.
  it('fingerprints targets differing only in invalid bytes differently', () => {
    const empty = Buffer.alloc(0);
    const target = (bytes: number[]) => decodeLuaString(Uint8Array.from(bytes));
    expect(fingerprintOf('POST', target([0x2f, 0x61, 0xfc]), empty)).not.toBe(fingerprintOf('POST', target([0x2f, 0x61, 0xfd]), empty));
    expect(fingerprintOf('POST', target([0x2f, 0xc1, 0x81]), empty)).not.toBe(fingerprintOf('POST', '/A', empty));
    expect(fingerprintOf('POST', target([0x2f, 0x61, 0xfc]), empty)).not.toBe(fingerprintOf('POST', '/a\ufffd', empty));
  });
});

describe('config', () => {
  it('compiles the defaults', () => {
    const c = compileConfig({});
    if (!c.ok) throw new Error(c.errors.join('; '));
    expect(c.config).toMatchObject({
      headerName: 'idempotency-key',
      headerLabel: 'Idempotency-Key',
      required: false,
      maxKeyLength: 255,
      ttlMs: 86400000,
      lockTtlMs: 300000,
      retryAfterSeconds: 1,
      maxResponseSize: 1048576,
      maxRequestBodySize: 8192,
      faultTolerant: false,
      store: { strategy: 'memory', memory: { maxEntries: 100000, maxBytes: 67108864 } },
    });
    expect([...c.config.methods]).toEqual(['POST', 'PATCH']);
    expect([200, 201, 302, 400, 404, 422].every((s) => isStoredStatus(c.config, s))).toBe(true);
    expect([408, 425, 429, 500, 502, 503, 504].some((s) => isStoredStatus(c.config, s))).toBe(false);
  });

  it('stores 5xx only when asked', () => {
    const c = compileConfig({ stored_status_classes: ['2xx', '5xx'], never_stored_statuses: [503] });
    if (!c.ok) throw new Error(c.errors.join('; '));
    expect(isStoredStatus(c.config, 500)).toBe(true);
    expect(isStoredStatus(c.config, 503)).toBe(false);
    expect(isStoredStatus(c.config, 404)).toBe(false);
  });

  it.each([
    [{ header_name: 'Bad Header' }, 'header_name: not a valid header name'],
    [{ client_header: 'x y' }, 'client_header: not a valid header name'],
    [{ methods: [] }, 'methods: at least one method is required'],
    [{ methods: ['BREW'] }, 'methods: "BREW" is not supported'],
    [{ strategy: 'redis' }, 'redis: set host, sentinel_master with sentinel_nodes, or cluster_nodes'],
    [{ strategy: 'redis', redis: { host: 'h', cluster_nodes: [{ ip: 'a', port: 1 }] } }, 'redis: host, cluster are exclusive: set only one of them'],
    [{ ttl: 0 }, 'ttl: must be an integer between 1 and 31536000'],
  ])('reports %j', (config, message) => {
    const c = compileConfig(config);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.errors).toContain(message);
  });
});

describe('Schema', () => {
  function check(fields: KongFieldList, where: string): string[] {
    const problems: string[] = [];
    for (const [name, field] of schemaEntries(fields)) {
      if (!field.description) problems.push(`${where}${name}: no description`);
      if (field.type === 'record') problems.push(...check(field.fields ?? [], `${where}${name}.`));
      else if (!field.required && !('default' in field)) problems.push(`${where}${name}: no default`);
    }
    return problems;
  }

  it('gives every field a description and every optional field a default', () => {
    expect(check(Schema, '')).toEqual([]);
  });

  it('has defaults that satisfy their own constraints', () => {
    for (const [name, field] of schemaEntries(Schema)) {
      if (field.between && typeof field.default === 'number') {
        expect(field.default, name).toBeGreaterThanOrEqual(field.between[0]);
        expect(field.default, name).toBeLessThanOrEqual(field.between[1]);
      }
      if (field.elements?.one_of && Array.isArray(field.default)) {
        for (const v of field.default) expect(field.elements.one_of, name).toContain(v);
      }
    }
  });
});
