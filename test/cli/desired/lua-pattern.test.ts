import { describe, expect, it } from 'vitest';
import { luaMatches, luaPatternToRegExpSource } from '../../../cli/src/desired/lua-pattern';

describe('Lua patterns from Kong 3.4.2 schemas', () => {
  // Every pattern the recorded schemas use, with values Lua's string.match accepts and refuses.
  const cases: Array<[string, string[], string[]]> = [
    ['^%u+$', ['GET', 'PURGE'], ['get', 'GET ', '']],
    ['//', ['/a//b'], ['/a/b']],
    ['^[^*]*%*?[^*]*$', ['*.example.com', 'example.com', 'a*'], ['*.*.example.com']],
    ['^%*%.', ['*.example.com'], ['a.*']],
    ['%.%*$', ['example.*'], ['*.example']],
    ['^[Hh][Oo][Ss][Tt]$', ['Host', 'host', 'HOST'], ['hosts', 'x-host']],
    ['^header$', ['header'], ['headers']],
    ['%w*%p*@+%w*%.?%w*', ['ops@example.com', '@'], ['ops.example.com']],
    ['^.*[^:]$', ['127.0.0.1', 'a'], ['localhost:']],
    ['^[^*&%\\`]+$', ['/var/log/kong.log'], ['/tmp/*', 'a&b', 'a\\b', 'a`b']],
    ['^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Ll][Ee][nn][Gg][Tt][Hh]$', ['Content-Length', 'content-length'], ['Content_Length']],
    ['^[^:]+:.*$', ['x-team:orders', 'a:'], [':a', 'no-colon']],
    ['^[0-9]+-[0-9]+$', ['200-299'], ['200-', '2xx-3xx']],
  ];
  it.each(cases)('%s', (pattern, yes, no) => {
    for (const v of yes) expect(luaMatches(v, pattern), `${v} ~ ${pattern}`).toBe(true);
    for (const v of no) expect(luaMatches(v, pattern), `${v} !~ ${pattern}`).toBe(false);
  });
});

describe('translation rules', () => {
  it('maps classes, sets, the lazy quantifier and literal specials', () => {
    expect(luaPatternToRegExpSource('^%a%d%l%s%u%w%x$')).toBe('^[A-Za-z][0-9][a-z][\\t\\n\\v\\f\\r ][A-Z][A-Za-z0-9][A-Fa-f0-9]$');
    expect(luaPatternToRegExpSource('%D')).toBe('[^0-9]');
    expect(luaPatternToRegExpSource('a-b')).toBe('a*?b');
    expect(luaPatternToRegExpSource('a.b')).toBe('a[\\s\\S]b');
    expect(luaPatternToRegExpSource('x^y$z')).toBe('x\\^y\\$z');
    expect(luaPatternToRegExpSource('(a)*')).toBe('(a)\\*');
    expect(luaPatternToRegExpSource('[]a]')).toBe('[\\]a]');
    expect(luaPatternToRegExpSource('[a-]')).toBe('[a\\-]');
    expect(luaPatternToRegExpSource('{a|b}')).toBe('\\{a\\|b\\}');
  });

  it('refuses what has no faithful JavaScript equivalent', () => {
    for (const p of ['%b()', '%f[%w]', '(a)%1', '[%S]', '[a', '%', '%z', '[\u0080-\u00ff]']) {
      expect(luaPatternToRegExpSource(p), p).toBeNull();
      expect(luaMatches('anything', p)).toBeNull();
    }
  });
});
