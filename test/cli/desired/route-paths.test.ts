import { describe, expect, it } from 'vitest';
import { checkRoutePath, normalizeUriPath, regexPathError } from '../../../cli/src/desired/route-paths';
import { exchange } from './helpers';

describe('kong/tools/uri.lua normalize', () => {
  it.each([
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../a', '/a'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/a//b', '/a/b'],
    ['/caf%65', '/cafe'],
    ['/a%2fb', '/a%2Fb'],
    ['/a%2Fb', '/a%2Fb'],
    ['/%7euser', '/~user'],
    ['/a%2e%2e/b', '/a../b'],
    ['/%2e%2e/b', '/b'],
    // Lua decodes bytes: the two triplets of one UTF-8 character make that character.
    ['/caf%C3%A9', '/café'],
    ['/caf%c3%a9/%E2%82%AC', '/café/€'],
  ])('%s -> %s', (input, out) => {
    expect(normalizeUriPath(input)).toBe(out);
  });
});

describe('route paths', () => {
  it('answers what Kong 3.4.2 answered', () => {
    const regex = exchange('067');
    const body = regex.request.body as { paths: string[] };
    // PCRE's wording differs from JavaScript's, the verdict and the start do not.
    expect(checkRoutePath(body.paths[0])?.message).toMatch(/^invalid regex: '\/\(unclosed' \(/);
    expect(regex.response.body.fields.paths[0]).toMatch(/^invalid regex: '\/\(unclosed' \(/);
    const unnormalized = exchange('068');
    expect(checkRoutePath((unnormalized.request.body as { paths: string[] }).paths[0])).toEqual({
      severity: 'error',
      message: unnormalized.response.body.fields.paths[0],
    });
  });

  it.each([
    ['/orders', null],
    ['~/orders/(?<id>\\d+)$', null],
    ['~/v1/(?:a|b)/.*', null],
    ['/a/../b', "non-normalized path, consider use '/b' instead"],
    ['/%41', "non-normalized path, consider use '/A' instead"],
    ['/x%2', "invalid url-encoded value: '%2'"],
    ['orders', 'should start with: / (fixed path) or ~/ (regex path)'],
    ['~orders', 'should start with: / (fixed path) or ~/ (regex path)'],
  ])('%s', (path, message) => {
    expect(checkRoutePath(path)).toEqual(message === null ? null : { severity: 'error', message });
  });

  it('flags a regex that surely fails, and stays silent on PCRE-only syntax', () => {
    expect(regexPathError('/a)')).toMatch(/^invalid regex: '\/a\)' \(/);
    expect(regexPathError('/a|*b')).toMatch(/^invalid regex: '\/a\|\*b' \(/);
    expect(regexPathError('/*x')).toBeNull(); // zero or more slashes, then x: fine for PCRE too
    expect(regexPathError('/[a-')).toMatch(/^invalid regex/);
    expect(regexPathError('/a{2,1}')).toMatch(/^invalid regex/);
    for (const pcre of ['/(?i)orders', '/(?P<id>\\d+)', '/a++', '/(?>atomic)', '/[[:alpha:]]+', '/\\Qa.b\\E']) {
      expect(regexPathError(pcre), pcre).toBeNull();
    }
  });

  it('hints at a regex written without ~ as a warning', () => {
    for (const p of ['/users/\\d+', '/v1/(orders|items)', '/files/.*', '/a/[0-9]+']) {
      expect(checkRoutePath(p)?.severity, p).toBe('warning');
    }
    for (const p of ['/v1/orders', '/a-b_c.d~e', '/@me', '/a:b']) expect(checkRoutePath(p), p).toBeNull();
  });
});
