/**
 * The JSONPath of a rule's `given` and the `field` of its `then`, as Spectral reads them.
 *
 * Spectral evaluates JSONPath with jsonpath-plus; kong-ctl with json-p3 (RFC 9535, as the other
 * file commands' selectors). What Spectral rulesets commonly write in jsonpath-plus's own syntax
 * is translated: `===` and `!==` in filters, and a trailing `~` (the property names of what the
 * path selects). Anything else the RFC does not know is an error at the ruleset's line.
 */
import { jsonpath, type JSONPathQuery, type JSONValue } from 'json-p3';

export type Segment = string | number;

export interface Given {
  source: string;
  query: JSONPathQuery;
  /** A trailing `~`: the rule looks at the names of the properties selected, not their values. */
  keys: boolean;
}

export type Field =
  | { kind: 'key' }
  | { kind: 'query'; source: string; query: JSONPathQuery }
  | { kind: 'property'; source: string; segments: string[] };

/** `===` → `==` and `!==` → `!=`, outside quoted strings: jsonpath-plus filters are JavaScript. */
function rfcOperators(source: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (quote) {
      out += c;
      if (c === '\\') out += source[++i] ?? '';
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if ((c === '=' || c === '!') && source.startsWith('==', i + 1)) {
      out += `${c}=`;
      i += 2;
    } else out += c;
  }
  return out;
}

function compile(source: string): JSONPathQuery {
  try {
    return jsonpath.compile(rfcOperators(source));
  } catch (err) {
    throw new Error(`'${source}' is not a JSONPath query: ${(err as Error).message}`);
  }
}

/** A `given` expression; an Error says what is wrong with it. */
export function compileGiven(source: string): Given {
  const s = source.trim();
  if (s.startsWith('#')) throw new Error(`'${source}' names a Spectral alias: aliases are not supported, write the JSONPath itself`);
  if (!s.startsWith('$')) throw new Error(`'${source}' must be a JSONPath query starting with $ (e.g. $.services[*])`);
  const keys = s.endsWith('~');
  return { source, query: compile(keys ? s.slice(0, -1) : s), keys };
}

/** lodash's `toPath`, which Spectral reads a plain `field` with: `a.b`, `a[0]`, `a["b.c"]`. */
function propertyPath(field: string): string[] {
  const out: string[] = [];
  const re = /([^.[\]]+)|\[(?:(\d+)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectName = true;
  while (re.lastIndex < field.length && (m = re.exec(field))) {
    if (m[5]) {
      if (expectName) break;
      expectName = true;
      continue;
    }
    out.push(m[1] ?? m[2] ?? (m[3] ?? m[4]).replace(/\\(.)/g, '$1'));
    expectName = false;
  }
  if (re.lastIndex !== field.length || expectName) throw new Error(`'${field}' is not a property path (name, a.b, a[0] or a["b.c"])`);
  return out;
}

/** A `then.field`: `@key`, a JSONPath starting with `$`, or a property path. */
export function parseField(field: string): Field {
  if (field === '@key') return { kind: 'key' };
  if (field.startsWith('$')) return { kind: 'query', source: field, query: compile(field) };
  return { kind: 'property', source: field, segments: propertyPath(field) };
}

export interface Match {
  location: Segment[];
  value: unknown;
}

export function select(query: JSONPathQuery, data: unknown): Match[] {
  return query.query(data as JSONValue).nodes.map((n) => ({ location: n.location as Segment[], value: n.value }));
}
