import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, parseJws, MAX_TOKEN_LENGTH } from '../../../plugins/jwt-claims/jws';

const vectors = JSON.parse(readFileSync(join(__dirname, '../../fixtures/vectors/jws_vectors.json'), 'utf8'));
const seg = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('decodeBase64Url', () => {
  it('decodes canonical base64url and refuses padding, other alphabets and stray bits', () => {
    expect(decodeBase64Url('aGk')?.toString()).toBe('hi');
    expect(decodeBase64Url('aGk=')).toBeUndefined();
    expect(decodeBase64Url('a+k/')).toBeUndefined();
    expect(decodeBase64Url('aGl')).toBeUndefined(); // same bytes as "aGk" under a lenient decoder
    expect(decodeBase64Url('a')).toBeUndefined();
  });
});

describe('parseJws', () => {
  it('parses the RFC 7515 A.2 token (CRLF inside the payload JSON is fine)', () => {
    const parsed = parseJws(vectors.RS256.token);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.header).toEqual({ alg: 'RS256' });
    expect(parsed.value.payload).toEqual({ iss: 'joe', exp: 1300819380, 'http://example.com/is_root': true });
    expect(parsed.value.signature).toHaveLength(256);
  });

  it("refuses the RFC token with non-canonical final characters ('Rw' -> 'Rx')", () => {
    const token: string = vectors.RS256.token;
    expect(token.endsWith('Rw')).toBe(true);
    expect(parseJws(`${token.slice(0, -2)}Rx`)).toEqual({ ok: false, failure: { code: 'malformed' } });
  });

  it.each([
    ['two segments', `${seg({ alg: 'RS256' })}.${seg({})}`],
    ['JWE (five segments)', 'a.b.c.d.e'],
    ['header not JSON', `bm90IGpzb24.${seg({})}.c2ln`],
    ['header an array', `${seg(['RS256'])}.${seg({})}.c2ln`],
    ['payload a string', `${seg({ alg: 'RS256' })}.${seg('x')}.c2ln`],
    ['no alg', `${seg({ typ: 'JWT' })}.${seg({})}.c2ln`],
    ['crit extension', `${seg({ alg: 'RS256', crit: ['exp'], exp: 1 })}.${seg({})}.c2ln`],
    ['kid not a string', `${seg({ alg: 'RS256', kid: 7 })}.${seg({})}.c2ln`],
    ['empty', ''],
    ['too long', `${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`],
  ])('refuses %s as malformed', (_, token) => {
    expect(parseJws(token)).toEqual({ ok: false, failure: { code: 'malformed' } });
  });

  it('refuses a header or payload that is not UTF-8, or starts with a byte order mark, as malformed', () => {
    const bytes = (...parts: Array<string | number[]>) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)))).toString('base64url');
    const rs = seg({ alg: 'RS256' });
    for (const bad of [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      expect(parseJws(`${rs}.${bytes('{"iss":"a', bad, '"}')}.c2ln`)).toEqual({ ok: false, failure: { code: 'malformed' } });
      expect(parseJws(`${bytes('{"alg":"RS256","x":"', bad, '"}')}.${seg({})}.c2ln`)).toEqual({ ok: false, failure: { code: 'malformed' } });
    }
    expect(parseJws(`${rs}.${bytes([0xef, 0xbb, 0xbf], '{}')}.c2ln`)).toEqual({ ok: false, failure: { code: 'malformed' } });
    const fine = parseJws(`${rs}.${bytes('{"n":"ü😀\\ud800"}')}.c2ln`);
    expect(fine.ok && fine.value.payload).toEqual({ n: 'ü😀\ud800' });
  });

  it('parses an unsigned token so that it can be refused for its algorithm', () => {
    const parsed = parseJws(`${seg({ alg: 'none' })}.${seg({ iss: 'x' })}.`);
    expect(parsed.ok && parsed.value.header.alg).toBe('none');
    expect(parsed.ok && parsed.value.signature.length).toBe(0);
  });
});
