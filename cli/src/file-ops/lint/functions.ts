/**
 * Spectral's core functions, for `kong-ctl file lint`. Each checks its functionOptions once, when
 * the ruleset is read (`prepare`: a problem is an OptionsError, reported at the ruleset's line
 * before anything is linted; Spectral finds some only while linting, and decK's vacuum reports
 * them as lint results at line 0), then runs on each target value.
 *
 * As in Spectral, a function given a value of a type it does not look at (a pattern on a list,
 * xor on a string, length on a missing field) reports nothing. One exception, as decK's vacuum:
 * pattern tests numbers and booleans too, as the file writes them (`port: 8080`).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import draft06 from 'ajv/dist/refs/json-schema-draft-06.json';
import { isPlainObject } from '../../desired/kong-schema-check';
import { setOwn } from '../../model/own';
import type { Segment } from './paths';

export interface FunctionResult {
  message: string;
  /** Where, below the target; the target itself when absent. */
  path?: Segment[];
  /** Where in the document, when it is not below the target. */
  at?: Segment[];
}

export interface FunctionContext {
  /** The last segment of the target's path, which messages call the property. */
  property?: Segment;
  /** The scalar as the file writes it (`3.0`, where the value is the number 3). */
  text(): string | undefined;
  /** The whole document, for the functions that look beyond the target. */
  document?: unknown;
}

export interface LintFunction<O = unknown> {
  prepare(options: unknown): O;
  run(target: unknown, options: O, ctx: FunctionContext): FunctionResult[] | undefined;
}

/** A problem with functionOptions, at `at` below them. */
export class OptionsError extends Error {
  constructor(
    message: string,
    readonly at: Segment[] = [],
  ) {
    super(message);
  }
}

/** A value in a message: scalars as written, in backquotes as vacuum's messages have them. */
export function shown(v: unknown): string {
  if (v === undefined) return '`undefined`';
  return '`' + (typeof v === 'string' ? v : JSON.stringify(v)) + '`';
}

/** What a message is about: Spectral's `#{{print("property")}}`. */
export function subject(property: Segment | undefined): string {
  return property === undefined || property === '' ? 'The document ' : `\`${property}\` property `;
}

function list(values: readonly unknown[], last = 'or'): string {
  const shownValues = values.map(shown);
  return shownValues.length < 2 ? shownValues.join('') : `${shownValues.slice(0, -1).join(', ')} ${last} ${shownValues[shownValues.length - 1]}`;
}

function noOptions(name: string): LintFunction<null>['prepare'] {
  return (o) => {
    if (o !== undefined && o !== null) throw new OptionsError(`"${name}" takes no functionOptions`);
    return null;
  };
}

/** functionOptions as an object of known keys. */
function optionsObject(name: string, o: unknown, allowed: readonly string[], example: string): Record<string, unknown> {
  if (!isPlainObject(o)) throw new OptionsError(`"${name}" needs functionOptions, e.g. ${example}`);
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new OptionsError(`"${name}" has no option "${k}" (it takes ${allowed.join(', ')})`, [k]);
  }
  return o;
}

function propertyList(name: string, o: unknown, example: string): string[] {
  const opts = optionsObject(name, o, ['properties'], example);
  const p = opts.properties;
  if (!Array.isArray(p) || p.length < 2 || p.some((x) => typeof x !== 'string')) {
    throw new OptionsError(`"${name}" needs "properties": a list of at least 2 property names, e.g. ${example}`, opts.properties === undefined ? [] : ['properties']);
  }
  return p as string[];
}

const truthy: LintFunction<null> = {
  prepare: noOptions('truthy'),
  run: (v, _, ctx) => (v ? undefined : [{ message: `${subject(ctx.property)}must be truthy` }]),
};

const falsy: LintFunction<null> = {
  prepare: noOptions('falsy'),
  run: (v, _, ctx) => (v ? [{ message: `${subject(ctx.property)}must be falsy` }] : undefined),
};

const defined: LintFunction<null> = {
  prepare: noOptions('defined'),
  run: (v, _, ctx) => (v === undefined ? [{ message: `${subject(ctx.property)}must be defined` }] : undefined),
};

const undefinedFn: LintFunction<null> = {
  prepare: noOptions('undefined'),
  run: (v, _, ctx) => (v === undefined ? undefined : [{ message: `${subject(ctx.property)}must be undefined` }]),
};

interface PatternOptions {
  match?: { source: string; re: RegExp };
  notMatch?: { source: string; re: RegExp };
}

/** `/source/flags`, as Spectral writes a regex with flags in a string, or a plain source. */
function regexOf(source: unknown, key: string): { source: string; re: RegExp } {
  if (typeof source !== 'string') throw new OptionsError(`"pattern" and its "${key}" option must be a string (a regular expression)`, [key]);
  const slashed = /^\/(.+)\/([a-z]*)$/.exec(source);
  try {
    return { source, re: slashed ? new RegExp(slashed[1], slashed[2]) : new RegExp(source) };
  } catch (err) {
    throw new OptionsError(`"pattern" and its "${key}" option: ${(err as Error).message}`, [key]);
  }
}

function test(re: RegExp, s: string): boolean {
  re.lastIndex = 0; // a /g or /y regex keeps its place between calls
  return re.test(s);
}

const pattern: LintFunction<PatternOptions> = {
  prepare(o) {
    const example = '{ "match": "^https" }, { "notMatch": "^http:" }';
    const opts = optionsObject('pattern', o, ['match', 'notMatch'], example);
    if (opts.match === undefined && opts.notMatch === undefined) throw new OptionsError(`"pattern" needs "match" or "notMatch", e.g. ${example}`);
    return {
      ...(opts.match !== undefined ? { match: regexOf(opts.match, 'match') } : {}),
      ...(opts.notMatch !== undefined ? { notMatch: regexOf(opts.notMatch, 'notMatch') } : {}),
    };
  },
  run(v, opts, ctx) {
    const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? (ctx.text() ?? String(v)) : undefined;
    if (s === undefined) return undefined;
    const out: FunctionResult[] = [];
    // vacuum's wording (the messages decK prints).
    if (opts.match && !test(opts.match.re, s)) out.push({ message: `\`${s}\` does not match the expression \`${opts.match.source}\`` });
    if (opts.notMatch && test(opts.notMatch.re, s)) out.push({ message: `\`${s}\` must not match the expression \`${opts.notMatch.source}\`` });
    return out;
  },
};

const CASES = {
  flat: '[a-z][a-z{D}]*',
  camel: '[a-z][a-z{D}]*(?:[A-Z{D}](?:[a-z{D}]+|$))*',
  pascal: '[A-Z][a-z{D}]*(?:[A-Z{D}](?:[a-z{D}]+|$))*',
  kebab: '[a-z][a-z{D}]*(?:-[a-z{D}]+)*',
  cobol: '[A-Z][A-Z{D}]*(?:-[A-Z{D}]+)*',
  snake: '[a-z][a-z{D}]*(?:_[a-z{D}]+)*',
  macro: '[A-Z][A-Z{D}]*(?:_[A-Z{D}]+)*',
} as const;

interface CasingOptions {
  type: keyof typeof CASES;
  re: RegExp;
  /** A value of just the separator, allowed when it may lead. */
  lone?: string;
}

const casing: LintFunction<CasingOptions> = {
  prepare(o) {
    const types = Object.keys(CASES);
    const opts = optionsObject('casing', o, ['type', 'disallowDigits', 'separator'], '{ "type": "kebab" }');
    if (typeof opts.type !== 'string' || !types.includes(opts.type)) {
      throw new OptionsError(`"casing" needs "type": one of ${types.join(', ')}`, opts.type === undefined ? [] : ['type']);
    }
    if (opts.disallowDigits !== undefined && typeof opts.disallowDigits !== 'boolean') {
      throw new OptionsError('"casing" and its "disallowDigits" option must be true or false', ['disallowDigits']);
    }
    const type = opts.type as keyof typeof CASES;
    const base = CASES[type].replace(/\{D\}/g, opts.disallowDigits === true ? '' : '0-9');
    const sep = opts.separator;
    if (sep === undefined) return { type, re: new RegExp(`^${base}$`) };
    if (!isPlainObject(sep)) throw new OptionsError('"casing" and its "separator" option must be { "char": "/", "allowLeading": true }', ['separator']);
    for (const k of Object.keys(sep)) {
      if (k !== 'char' && k !== 'allowLeading') throw new OptionsError(`"casing" and its "separator" option have no "${k}" (char, allowLeading)`, ['separator', k]);
    }
    if (typeof sep.char !== 'string' || sep.char.length !== 1) {
      throw new OptionsError('"casing" and its "separator.char" option must be one character, e.g. "/"', sep.char === undefined ? ['separator'] : ['separator', 'char']);
    }
    if (sep.allowLeading !== undefined && typeof sep.allowLeading !== 'boolean') {
      throw new OptionsError('"casing" and its "separator.allowLeading" option must be true or false', ['separator', 'allowLeading']);
    }
    const s = `[${sep.char.replace(/[\\\]^-]/g, '\\$&')}]`;
    const leading = sep.allowLeading === true;
    return { type, re: new RegExp(`^${leading ? `${s}?` : ''}${base}(?:${s}${base})*$`), ...(leading ? { lone: sep.char } : {}) };
  },
  run(v, opts) {
    if (typeof v !== 'string' || v === '' || v === opts.lone || opts.re.test(v)) return undefined;
    return [{ message: `${shown(v)} must be ${opts.type} case` }];
  },
};

/** Numbers by value, strings as people sort them; anything else is left where it is. */
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b, 'en');
  return 0;
}

const alphabetical: LintFunction<{ keyedBy?: string }> = {
  prepare(o) {
    if (o === undefined || o === null) return {};
    const opts = optionsObject('alphabetical', o, ['keyedBy'], '{ "keyedBy": "name" } (or no functionOptions)');
    if (opts.keyedBy !== undefined && typeof opts.keyedBy !== 'string') throw new OptionsError('"alphabetical" and its "keyedBy" option must be a property name', ['keyedBy']);
    return opts.keyedBy === undefined ? {} : { keyedBy: opts.keyedBy };
  },
  run(v, { keyedBy }, ctx) {
    if (typeof v !== 'object' || v === null) return undefined;
    const isList = Array.isArray(v);
    const items: unknown[] = isList ? v : Object.keys(v);
    if (items.length < 2) return undefined;
    let keys: unknown[] = items;
    if (keyedBy !== undefined) {
      if (!isList) return [{ message: `${subject(ctx.property)}must be a list to be sorted by \`${keyedBy}\`` }];
      const notObject = items.findIndex((i) => !isPlainObject(i));
      if (notObject >= 0) return [{ path: [notObject], message: `${subject(notObject)}must be an object with a \`${keyedBy}\` property` }];
      keys = items.map((i) => (i as Record<string, unknown>)[keyedBy]);
    }
    const wrong = keys.findIndex((k) => typeof k !== 'string' && typeof k !== 'number');
    if (wrong >= 0) return [{ path: isList ? [wrong] : [], message: `${subject(isList ? wrong : ctx.property)}must be a string or a number to be sorted` }];
    for (let i = 0; i + 1 < keys.length; i++) {
      if (compare(keys[i], keys[i + 1]) > 0) {
        const by = keyedBy === undefined ? '' : ` (by \`${keyedBy}\`)`;
        return [{ path: [isList ? i : (items[i] as string)], message: `${shown(keys[i])} must be placed after ${shown(keys[i + 1])}${by}` }];
      }
    }
    return undefined;
  },
};

type Primitive = string | number | boolean | null;
const isPrimitive = (v: unknown): v is Primitive => v === null || ['string', 'number', 'boolean'].includes(typeof v);

const enumeration: LintFunction<{ values: Primitive[] }> = {
  prepare(o) {
    const example = '{ "values": ["http", "https"] }';
    const opts = optionsObject('enumeration', o, ['values'], example);
    if (!Array.isArray(opts.values) || !opts.values.every(isPrimitive)) {
      throw new OptionsError(`"enumeration" needs "values": a list of strings, numbers, booleans or null, e.g. ${example}`, opts.values === undefined ? [] : ['values']);
    }
    return { values: opts.values };
  },
  run(v, { values }) {
    if (!isPrimitive(v) || values.includes(v)) return undefined;
    return [{ message: `${shown(v)} must be equal to one of the allowed values: ${values.map(shown).join(', ')}` }];
  },
};

const length: LintFunction<{ min?: number; max?: number }> = {
  prepare(o) {
    const example = '{ "min": 1 }, { "max": 5 }, { "min": 0, "max": 10 }';
    const opts = optionsObject('length', o, ['min', 'max'], example);
    if (opts.min === undefined && opts.max === undefined) throw new OptionsError(`"length" needs "min", "max" or both, e.g. ${example}`);
    for (const k of ['min', 'max'] as const) {
      if (opts[k] !== undefined && typeof opts[k] !== 'number') throw new OptionsError(`"length" and its "${k}" option must be a number`, [k]);
    }
    return { min: opts.min as number | undefined, max: opts.max as number | undefined };
  },
  run(v, { min, max }, ctx) {
    let n: number;
    let unit: string;
    if (typeof v === 'string') [n, unit] = [v.length, 'character'];
    else if (Array.isArray(v)) [n, unit] = [v.length, 'item'];
    else if (isPlainObject(v)) [n, unit] = [Object.keys(v).length, 'property'];
    else if (typeof v === 'number') [n, unit] = [v, ''];
    else return undefined;
    const count = (k: number) => (unit === '' ? String(k) : `${k} ${k === 1 ? unit : unit === 'property' ? 'properties' : `${unit}s`}`);
    const is = unit === '' ? `is ${n}` : `has ${n}`;
    // decK's words (vacuum: "must not be longer/greater than"; go-apiops: "must not be shorter
    // than"), with the unit and what the value has.
    const [below, above] = unit === '' ? ['less', 'greater'] : ['shorter', 'longer'];
    const out: FunctionResult[] = [];
    if (min !== undefined && n < min) out.push({ message: `${subject(ctx.property)}must not be ${below} than ${count(min)} (${is})` });
    if (max !== undefined && n > max) out.push({ message: `${subject(ctx.property)}must not be ${above} than ${count(max)} (${is})` });
    return out;
  },
};

/**
 * Spectral's wording for properties none of which is there: all of them, or from 5 on the first
 * three and how many others.
 */
function noneDefined(properties: readonly string[]): string {
  if (properties.length > 4) return `at least one of ${properties.slice(0, 3).map(shown).join(', ')} or ${properties.length - 3} other properties must be defined`;
  return `at least one of ${list(properties)} must be defined`;
}

/** Spectral's xor: exactly one of two or more properties, saying whether none or several are there. */
const xor: LintFunction<string[]> = {
  prepare: (o) => propertyList('xor', o, '{ "properties": ["url", "host"] }'),
  run(v, properties) {
    if (!isPlainObject(v)) return undefined;
    // Own keys, as Spectral reads Object.keys: `in` finds `constructor` in every object.
    const present = properties.filter((p) => Object.hasOwn(v, p));
    if (present.length === 1) return undefined;
    return [{ message: present.length === 0 ? noneDefined(properties) : `just one of ${list(present, 'and')} must be defined` }];
  },
};

const or: LintFunction<string[]> = {
  prepare: (o) => propertyList('or', o, '{ "properties": ["username", "custom_id"] }'),
  run(v, properties) {
    if (!isPlainObject(v) || properties.some((p) => Object.hasOwn(v, p))) return undefined;
    return [{ message: noneDefined(properties) }];
  },
};

const DIALECTS = ['auto', 'draft4', 'draft6', 'draft7', 'draft2019-09', 'draft2020-12'] as const;
type Dialect = (typeof DIALECTS)[number];

function dialectOf(schema: Record<string, unknown>): Exclude<Dialect, 'auto'> {
  const s = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-04/.test(s)) return 'draft4';
  if (/draft-06/.test(s)) return 'draft6';
  if (/2019-09/.test(s)) return 'draft2019-09';
  if (/2020-12/.test(s)) return 'draft2020-12';
  return 'draft7';
}

/**
 * Draft 4 as draft 7 (what Spectral does with json-schema-migrate): ajv 8 has no draft 4, and the
 * two differ in `id` and in boolean exclusiveMinimum/exclusiveMaximum only.
 */
function fromDraft4(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromDraft4);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  // setOwn: a schema's `properties` may name `__proto__`, a property like any other.
  for (const [k, x] of Object.entries(v)) setOwn(out, k === 'id' && typeof x === 'string' ? '$id' : k, fromDraft4(x));
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] !== 'boolean') continue;
    if (out[flag] === true && typeof out[bound] === 'number') {
      out[flag] = out[bound];
      delete out[bound];
    } else delete out[flag];
  }
  return out;
}

function compileSchema(s: Record<string, unknown>, dialect: Exclude<Dialect, 'auto'>, allErrors: boolean): ValidateFunction {
  const opts = { allErrors, strict: false, allowUnionTypes: true };
  const ajv = dialect === 'draft2019-09' ? new Ajv2019(opts) : dialect === 'draft2020-12' ? new Ajv2020(opts) : new Ajv(opts);
  if (dialect === 'draft6') ajv.addMetaSchema(draft06);
  addFormats(ajv);
  return ajv.compile(s);
}

function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * One ajv error as a lint result: where in the target, and Spectral's wording (its schema function
 * words ajv's errors with better-ajv-errors: "`port` property type must be integer", "`service`
 * property must have required property `name`", "must not have more than 1 items").
 */
function schemaResult(e: ErrorObject, property: Segment | undefined): FunctionResult {
  const path: Segment[] = pointerSegments(e.instancePath);
  const own = path.length ? path[path.length - 1] : property;
  switch (e.keyword) {
    case 'type':
      return { path, message: `${subject(own)}type ${e.message ?? 'is not valid'}` };
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { path, message: `${subject(own)}must have required property ${shown(missing)}` };
    }
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: [...path, extra], message: `${subject(extra)}is not allowed here` };
    }
    case 'enum':
      return { path, message: `${subject(own)}must be equal to one of the allowed values: ${(e.params as { allowedValues: unknown[] }).allowedValues.map(shown).join(', ')}` };
    case 'const':
      return { path, message: `${subject(own)}must be equal to ${shown((e.params as { allowedValue: unknown }).allowedValue)}` };
    default:
      return { path, message: `${subject(own)}${(e.message ?? 'is not valid').replace(/\bNOT\b/g, 'not')}` };
  }
}

const schema: LintFunction<ValidateFunction> = {
  prepare(o) {
    const example = '{ "schema": { "type": "object", "required": ["name"] } }';
    const opts = optionsObject('schema', o, ['schema', 'dialect', 'allErrors'], example);
    if (!isPlainObject(opts.schema)) throw new OptionsError(`"schema" needs "schema": a JSON Schema, e.g. ${example}`, opts.schema === undefined ? [] : ['schema']);
    if (opts.dialect !== undefined && !DIALECTS.includes(opts.dialect as Dialect)) {
      throw new OptionsError(`"schema" and its "dialect" option must be one of ${DIALECTS.join(', ')}`, ['dialect']);
    }
    if (opts.allErrors !== undefined && typeof opts.allErrors !== 'boolean') throw new OptionsError('"schema" and its "allErrors" option must be true or false', ['allErrors']);
    const dialect = opts.dialect === undefined || opts.dialect === 'auto' ? dialectOf(opts.schema) : (opts.dialect as Exclude<Dialect, 'auto'>);
    let s = opts.schema;
    if (dialect === 'draft4') {
      s = fromDraft4(s) as Record<string, unknown>;
      delete s.$schema;
    }
    try {
      return compileSchema(s, dialect, opts.allErrors === true);
    } catch (err) {
      throw new OptionsError(`"schema" and its "schema" option: not a valid ${dialect} JSON Schema: ${(err as Error).message}`, ['schema']);
    }
  },
  run(v, validate, ctx) {
    if (v === undefined) return [{ message: `${subject(ctx.property)}must exist` }];
    if (validate(v)) return undefined;
    return (validate.errors ?? []).map((e) => schemaResult(e, ctx.property));
  },
};

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'array', 'object'];

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(v);
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isPlainObject(v);
    default:
      return typeof v === type;
  }
}

/** Spectral's typedEnum (from its OpenAPI functions): a schema's enum values must have its type. */
const typedEnum: LintFunction<null> = {
  prepare: noOptions('typedEnum'),
  run(v) {
    if (!isPlainObject(v) || !Array.isArray(v.enum)) return undefined;
    const types = (Array.isArray(v.type) ? v.type : [v.type]).filter((t): t is string => typeof t === 'string' && JSON_TYPES.includes(t));
    if (types.length === 0) return undefined;
    const out: FunctionResult[] = [];
    v.enum.forEach((value, i) => {
      if (!types.some((t) => hasType(value, t))) {
        out.push({ path: ['enum', i], message: `Enum value ${shown(value)} must be ${types.map((t) => `"${t}"`).join(' or ')}` });
      }
    });
    return out;
  },
};

/** `#`, `#/definitions`, `#/paths/~1users`: a JSON Pointer as a URI fragment (ajv-formats' json-pointer-uri-fragment). */
const POINTER_FRAGMENT = /^#(?:\/(?:[a-z0-9_\-.!$&'()*+,;:=@]|%[0-9a-f]{2}|~0|~1)*)*$/i;

/** The segments of a local `$ref` (`#/a/b`); undefined for another document's or a malformed one. */
function refSegments(ref: string): string[] | undefined {
  if (!POINTER_FRAGMENT.test(ref)) return undefined;
  try {
    return pointerSegments(decodeURIComponent(ref.slice(1)));
  } catch {
    return undefined;
  }
}

/** Every local `$ref` of the document, as pointer segments joined by NUL. */
function localRefs(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => localRefs(x, out));
  else if (isPlainObject(v)) {
    if (typeof v.$ref === 'string') {
      const segments = refSegments(v.$ref);
      if (segments) out.add(segments.join('\0'));
    }
    Object.values(v).forEach((x) => localRefs(x, out));
  }
  return out;
}

/**
 * Spectral's unreferencedReusableObject: each property of the target (the reusable objects, at
 * `reusableObjectsLocation`) that no `$ref` of the document points at exactly, reported where it
 * is. As in Spectral, a `$ref` into a part of the object (`#/definitions/User/properties/id`) does
 * not count, and a `$ref` in an orphan does (only local ones: a decK file is one document).
 */
const unreferencedReusableObject: LintFunction<{ location: string; segments: string[] }> = {
  prepare(o) {
    const example = '{ "reusableObjectsLocation": "#/components/schemas" }';
    const opts = optionsObject('unreferencedReusableObject', o, ['reusableObjectsLocation'], example);
    const location = opts.reusableObjectsLocation;
    if (location === undefined) throw new OptionsError(`"unreferencedReusableObject" needs "reusableObjectsLocation", e.g. ${example}`);
    const segments = typeof location === 'string' ? refSegments(location) : undefined;
    if (typeof location !== 'string' || !segments) {
      throw new OptionsError('"unreferencedReusableObject" and its "reusableObjectsLocation" option must be a JSON Pointer fragment, e.g. "#", "#/foo", "#/paths/~1user"', [
        'reusableObjectsLocation',
      ]);
    }
    return { location, segments };
  },
  run(v, { location, segments }, ctx) {
    if (!isPlainObject(v)) return undefined;
    const refs = localRefs(ctx.document);
    return Object.keys(v)
      .filter((name) => !refs.has([...segments, name].join('\0')))
      .map((name) => ({
        at: [...segments, name],
        message: `Potential orphaned reusable object has been detected: ${shown(`${location}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`)}`,
      }));
  },
};

/** By the names rulesets call them by. */
export const FUNCTIONS: Readonly<Record<string, LintFunction>> = {
  alphabetical,
  casing,
  defined,
  enumeration,
  falsy,
  length,
  or,
  pattern,
  schema,
  truthy,
  typedEnum,
  undefined: undefinedFn,
  unreferencedReusableObject,
  xor,
};
