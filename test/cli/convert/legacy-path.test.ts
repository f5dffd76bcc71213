/**
 * kong/db/migrations/migrate_path_280_300.lua, case by case: which Kong 2.x paths were regexes,
 * what normalizing a plain one does, and how a regex's percent triplets are decoded one last time.
 */
import { describe, expect, it } from 'vitest';
import { migrateLegacyPath } from '../../../cli/src/convert/legacy-path';

describe('migrate_path_280_300', () => {
  it.each([
    ['/orders', '/orders'],
    ['/', '/'],
    ['/v1/orders_2-a.b~c', '/v1/orders_2-a.b~c'],
    // PCRE's `$` matches before one final newline: still a plain path, and nothing to normalize.
    ['/v1\n', '/v1\n'],
  ])('%j stays as it is', (path, out) => {
    expect(migrateLegacyPath(path)).toEqual({ kind: 'unchanged', path: out });
  });

  it.each([
    ['/a/../b', '/b'],
    ['/a//b', '/a/b'],
    ['/a/./b/', '/a/b/'],
    ['/%7euser', '/~user'],
    ['/a%2fb', '/a%2Fb'],
  ])('%j is a plain path, normalized to %j', (path, out) => {
    expect(migrateLegacyPath(path)).toEqual({ kind: 'normalized', path: out });
  });

  it.each([
    ['/orders/\\d+', '~/orders/\\d+'],
    ['/x/(?<id>[^/]+)$', '~/x/(?<id>[^/]+)$'],
    ['/v1 x', '~/v1 x'],
    // Unreserved and other characters decode; regex metacharacters among them are escaped…
    ['/v1/%7Bid%7D/(a|b)', '~/v1/\\{id\\}/(a|b)'],
    ['/x%2e(y)', '~/x\\.(y)'],
    ['/%5e(a)', '~/\\^(a)'],
    // …reserved ones stay encoded, in capitals…
    ['/a%2fb/(x)', '~/a%2Fb/(x)'],
    ['/a%3F(x)', '~/a%3F(x)'],
    // …and triplets are bytes, as in Lua: two of them make one UTF-8 character.
    ['/caf%C3%A9/(x)', '~/café/(x)'],
    // A regex path is never normalized: its dots and slashes are the pattern's.
    ['/a/../(b)', '~/a/../(b)'],
  ])('%j was a regex in Kong 2.x: %j', (path, out) => {
    expect(migrateLegacyPath(path)).toEqual({ kind: 'regex', path: out });
  });
});
