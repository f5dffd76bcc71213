/**
 * Kong's schemas express `match`, `not_match`, `match_all`, `match_any` and `match_none`
 * as Lua patterns (not regexes). Offline we translate the subset that maps one-to-one
 * onto a JavaScript RegExp; anything else (`%b`, `%f`, back-references, bytes above
 * 0x7f, negated classes inside a set) yields null and the caller skips the check
 * rather than guess.
 */

const CLASS_RANGES: Record<string, string> = {
  a: 'A-Za-z',
  c: '\\x00-\\x1f\\x7f',
  d: '0-9',
  g: '\\x21-\\x7e',
  l: 'a-z',
  p: '!-\\/:-@\\[-`{-~',
  s: '\\t\\n\\v\\f\\r ',
  u: 'A-Z',
  w: 'A-Za-z0-9',
  x: 'A-Fa-f0-9',
};

const JS_SPECIAL = /[\\^$.*+?()[\]{}|/]/;
const SET_SPECIAL = /[\\\]^\-[]/;

function escapeChar(c: string): string {
  return JS_SPECIAL.test(c) ? `\\${c}` : c;
}

function escapeSetChar(c: string): string {
  return SET_SPECIAL.test(c) ? `\\${c}` : c;
}

/** `%a` → `[A-Za-z]`, `%A` → `[^A-Za-z]`, `%.` → `\.`; null when unsupported. */
function classEscape(c: string): string | null {
  const lower = c.toLowerCase();
  if (lower in CLASS_RANGES) {
    const neg = c !== lower;
    return `[${neg ? '^' : ''}${CLASS_RANGES[lower]}]`;
  }
  if (/[0-9]/.test(c) || c === 'b' || c === 'f' || c === 'B' || c === 'F') return null;
  if (/[A-Za-z]/.test(c)) return null; // unknown class letter: Lua would error, do not guess
  return escapeChar(c);
}

/** Translates a Lua `[set]` starting at `p[start] === '['`; returns the JS set and the index after `]`. */
function translateSet(p: string, start: number): { js: string; next: number } | null {
  let i = start + 1;
  let js = '[';
  if (p[i] === '^') {
    js += '^';
    i++;
  }
  let first = true;
  while (i < p.length) {
    const c = p[i];
    if (c === ']' && !first) return { js: js + ']', next: i + 1 };
    first = false;
    if (c === '%') {
      const e = p[i + 1];
      if (e === undefined) return null;
      const lower = e.toLowerCase();
      if (lower in CLASS_RANGES) {
        if (e !== lower) return null; // negated class inside a set has no JS equivalent here
        js += CLASS_RANGES[lower];
      } else if (/[A-Za-z0-9]/.test(e)) {
        return null;
      } else {
        js += escapeSetChar(e);
      }
      i += 2;
      continue;
    }
    if (p[i + 1] === '-' && p[i + 2] !== undefined && p[i + 2] !== ']') {
      js += `${escapeSetChar(c)}-${escapeSetChar(p[i + 2])}`;
      i += 3;
      continue;
    }
    js += escapeSetChar(c);
    i++;
  }
  return null; // unterminated set: Lua raises "malformed pattern"
}

export function luaPatternToRegExpSource(pattern: string): string | null {
  // Lua patterns work on bytes: a class like [\128-\244] has no faithful UTF-16 meaning.
  if (/[^\x00-\x7f]/.test(pattern)) return null;
  let out = '';
  let i = 0;
  if (pattern[0] === '^') {
    out += '^';
    i = 1;
  }
  // Whether the previous item is a single-character class a quantifier may follow.
  let quantifiable = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (quantifiable && (c === '*' || c === '+' || c === '?' || c === '-')) {
      out += c === '-' ? '*?' : c;
      quantifiable = false;
      i++;
      continue;
    }
    if (c === '$' && i === pattern.length - 1) {
      out += '$';
      i++;
      continue;
    }
    if (c === '%') {
      const e = pattern[i + 1];
      if (e === undefined) return null;
      const js = classEscape(e);
      if (js === null) return null;
      out += js;
      quantifiable = true;
      i += 2;
      continue;
    }
    if (c === '[') {
      const set = translateSet(pattern, i);
      if (!set) return null;
      out += set.js;
      quantifiable = true;
      i = set.next;
      continue;
    }
    if (c === '(' || c === ')') {
      out += c;
      quantifiable = false;
      i++;
      continue;
    }
    if (c === '.') {
      out += '[\\s\\S]';
      quantifiable = true;
      i++;
      continue;
    }
    out += escapeChar(c);
    quantifiable = true;
    i++;
  }
  return out;
}

export function luaPatternToRegExp(pattern: string): RegExp | null {
  const src = luaPatternToRegExpSource(pattern);
  if (src === null) return null;
  try {
    return new RegExp(src);
  } catch {
    return null;
  }
}

/**
 * `string.match(value, pattern) ~= nil`, or null when the pattern is outside the supported
 * subset (the caller then treats the check as passed).
 */
export function luaMatches(value: string, pattern: string): boolean | null {
  let re = compiledPatterns.get(pattern);
  if (re === undefined) {
    re = luaPatternToRegExp(pattern);
    compiledPatterns.set(pattern, re);
  }
  return re ? re.test(value) : null;
}

/**
 * Patterns come from schemas, a few dozen in all, but are matched against every value of a
 * file (35k entities): translating and compiling each once is most of validation's time saved.
 * The expressions have no `g` or `y` flag, so `test` keeps no state between calls.
 */
const compiledPatterns = new Map<string, RegExp | null>();
