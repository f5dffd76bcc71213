import { describe, expect, it } from 'vitest';
import {
  cookieHeaderWithout,
  lowerCaseHeaders,
  parseCookies,
  queryWithout,
  tokenInHeaderValue,
  tokensInHeaders,
  tokensInQuery,
} from '../../../plugins/jwt-claims/token-source';

describe('tokenInHeaderValue', () => {
  it('reads Bearer with any case and spacing from Authorization, ignoring other schemes', () => {
    expect(tokenInHeaderValue('authorization', 'Bearer abc')).toBe('abc');
    expect(tokenInHeaderValue('authorization', '  bEaReR    abc  ')).toBe('abc');
    expect(tokenInHeaderValue('authorization', 'Basic dXNlcjpwdw==')).toBeUndefined();
    expect(tokenInHeaderValue('authorization', 'abc')).toBeUndefined();
    expect(tokenInHeaderValue('authorization', 'Bearer')).toBe('');
  });
  it('takes a bare token or Bearer from other headers', () => {
    expect(tokenInHeaderValue('x-token', 'abc')).toBe('abc');
    expect(tokenInHeaderValue('x-token', 'Bearer abc')).toBe('abc');
    expect(tokenInHeaderValue('x-token', '   ')).toBeUndefined();
  });
});

describe('cookies', () => {
  it('parses pairs across headers and unquotes', () => {
    expect(parseCookies(['a=1; jwt="t.o.k"', 'b=2;c'])).toEqual([
      ['a', '1'],
      ['jwt', 't.o.k'],
      ['b', '2'],
    ]);
  });
  it('rebuilds the Cookie header without the token cookie', () => {
    expect(cookieHeaderWithout(['a=1; jwt=t; b=2'], 'jwt')).toBe('a=1; b=2');
    expect(cookieHeaderWithout(['jwt=t'], 'jwt')).toBeUndefined();
  });
});

describe('tokensInHeaders / tokensInQuery', () => {
  const headers = lowerCaseHeaders({
    Authorization: ['Bearer one'],
    'x-token': ['two', 'three'],
    cookie: 'jwt=four; other=x',
  });
  it('finds every occurrence with its source', () => {
    expect(tokensInHeaders(headers, ['authorization'], [])).toEqual([
      { token: 'one', source: { kind: 'header', name: 'authorization' } },
    ]);
    expect(tokensInHeaders(headers, ['authorization', 'x-token'], ['jwt']).map((t) => t.token)).toEqual([
      'one',
      'two',
      'three',
      'four',
    ]);
  });
  it('reads query values, arrays and bare flags', () => {
    expect(tokensInQuery({ jwt: ['a', 'b'], other: 'x' }, ['jwt']).map((t) => t.token)).toEqual(['a', 'b']);
    // `?jwt` as Kong sends it (fix_mmap: `true` becomes `[]`), and as Lua holds it
    expect(tokensInQuery({ jwt: [] }, ['jwt'])).toEqual([{ token: '', source: { kind: 'query', name: 'jwt' } }]);
    expect(tokensInQuery({ jwt: true }, ['jwt'])).toEqual([{ token: '', source: { kind: 'query', name: 'jwt' } }]);
    expect(tokensInQuery({ jwt: [true, 'a'] }, ['jwt']).map((t) => t.token)).toEqual(['', 'a']);
    expect(tokensInQuery({}, ['jwt'])).toEqual([]);
    expect(queryWithout({ jwt: 'a', q: ['1', '2'] }, 'jwt')).toEqual({ q: ['1', '2'] });
    // a flag goes back as a flag: set_query writes `[]` as nothing
    expect(queryWithout({ jwt: 'a', debug: [], both: [true, 'x'] }, 'jwt')).toEqual({ debug: true, both: [true, 'x'] });
  });
});

describe('a token header sent under its `_` spelling (nginx forwards it; CGI reads it as the same header)', () => {
  it('is found, named as sent, and with the `-` spelling makes two tokens', () => {
    const one = new Map([['x_api_token', ['t1']]]);
    expect(tokensInHeaders(one, ['x-api-token'], [])).toEqual([{ token: 't1', source: { kind: 'header', name: 'x_api_token' } }]);
    const two = new Map([['x-api-token', ['t1']], ['x_api_token', ['t2']]]);
    expect(tokensInHeaders(two, ['x-api-token'], []).map((f) => f.token)).toEqual(['t1', 't2']);
    expect(tokensInHeaders(new Map([['x_api_tokens', ['t']]]), ['x-api-token'], [])).toEqual([]);
  });
});
