/**
 * A validator for values against Kong's own schema format (the JSON `GET /schemas/…` returns
 * and this project's plugins declare): types, `required`, Kong's validators in Kong's order
 * (kong/db/schema/init.lua `validators_order`; the first failing one wins per value, as in
 * Kong), unknown fields and the entity checks that survive JSON serialisation. Messages are
 * Kong's, so what `kong-ctl validate` says offline reads like what Kong would answer.
 * Custom Lua validators (`custom_validator`, `custom_entity_check`) are not in the JSON and
 * cannot run here; Lua patterns outside the supported subset are skipped, not guessed.
 */
import type { FieldList, FieldSchema } from '../model/schema';
import { fieldEntries, recordShorthands } from '../model/schema';
import { closest } from './closest';
import { luaMatches } from './lua-pattern';
import { regexPathError } from './route-paths';

export type FieldPath = Array<string | number>;

/** Messages a later version of a schema may no longer give (see validate's laterMayAccept). */
export const REQUIRED_MISSING = 'required field missing';
export const ONE_OF = 'expected one of: ';

export interface FieldProblem {
  /** Path from the value checked, e.g. `['config', 'headers', 0]`. */
  path: FieldPath;
  message: string;
  /** The problem is the key itself (unknown field, bad map key): point at the key, not its value. */
  atKey?: boolean;
  /** A field the schema does not know: a newer version of the schema may. */
  unknownField?: boolean;
}

/** `config.headers[0]`: the display form used in diagnostics. */
export function formatFieldPath(path: FieldPath): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s ? `.${seg}` : seg;
  }
  return s;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{vault://env/my-secret}`: Kong resolves these at run time and skips validation. */
export function isVaultReference(v: unknown): boolean {
  return typeof v === 'string' && /^\{vault:\/\/[^}]+\}$/.test(v);
}

function show(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

const TYPE_MESSAGES: Record<string, string> = {
  array: 'expected an array',
  set: 'expected a set',
  map: 'expected a map',
  record: 'expected a record',
  string: 'expected a string',
  number: 'expected a number',
  boolean: 'expected a boolean',
  integer: 'expected an integer',
};

/** Kong's type check alone; null when the value has the field's type (or the type is not checked offline). */
export function typeError(value: unknown, field: FieldSchema): string | null {
  const ok = (() => {
    switch (field.type) {
      case 'array':
      case 'set':
        return Array.isArray(value);
      case 'map':
      case 'record':
        return isPlainObject(value);
      case 'string':
        return typeof value === 'string';
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'boolean':
        return typeof value === 'boolean';
      default:
        return true; // json, foreign, function: nothing to check offline
    }
  })();
  return ok ? null : (TYPE_MESSAGES[field.type] ?? `expected a ${field.type}`);
}

/** Lua's `#` for strings counts bytes; maps count their keys. */
function lengthOf(value: unknown): number | null {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Array.isArray(value)) return value.length;
  if (isPlainObject(value)) return Object.keys(value).length;
  return null;
}

interface PatternErr {
  pattern: string;
  err?: string;
}

/**
 * Kong's validators in `validators_order` for a value already of the right type; the first
 * failure's message, or null.
 */
export function validatorError(value: unknown, field: FieldSchema): string | null {
  const f = field as Record<string, unknown>;
  const has = (k: string) => f[k] !== undefined;
  if ('eq' in f && f.eq !== undefined && value !== f.eq) return `value must be ${show(f.eq)}`;
  if ('ne' in f && f.ne !== undefined && value === f.ne) return `value must not be ${show(value)}`;
  if (Array.isArray(f.one_of) && !f.one_of.includes(value)) return `${ONE_OF}${f.one_of.map(show).join(', ')}`;
  if (Array.isArray(f.not_one_of) && f.not_one_of.includes(value))
    return `expected none of: ${f.not_one_of.map(show).join(', ')}`;
  if (typeof value === 'number') {
    if (typeof f.gt === 'number' && !(value > f.gt)) return `value must be greater than ${f.gt}`;
    if (f.timestamp === true && !(value > 0)) return 'expected a valid timestamp';
  }
  if (typeof value === 'string') {
    if (f.uuid === true && !UUID.test(value)) return 'expected a valid UUID';
    if (f.is_regex === true && regexPathError(value) !== null) return `not a valid regex: ${value}`;
  }
  if (typeof value === 'number' && Array.isArray(f.between)) {
    const [lo, hi] = f.between as [number, number];
    if (value < lo || value > hi) return `value should be between ${lo} and ${hi}`;
  }
  const len = lengthOf(value);
  if (len !== null) {
    // Kong gives every string an implicit len_min of 1: empty strings are refused.
    const lenMin = typeof f.len_min === 'number' ? f.len_min : field.type === 'string' ? 1 : undefined;
    if (typeof f.len_eq === 'number' && len !== f.len_eq) return `length must be ${f.len_eq}`;
    if (lenMin !== undefined && len < lenMin) return `length must be at least ${lenMin}`;
    if (typeof f.len_max === 'number' && len > f.len_max) return `length must be at most ${f.len_max}`;
  }
  if (typeof value === 'string') {
    if (typeof f.starts_with === 'string' && !value.startsWith(f.starts_with))
      return `should start with: ${f.starts_with}`;
    if (typeof f.not_match === 'string' && luaMatches(value, f.not_match) === true) return `invalid value: ${value}`;
    if (Array.isArray(f.match_none)) {
      for (const p of f.match_none as PatternErr[]) {
        if (luaMatches(value, p.pattern) === true) return p.err ?? `invalid value: ${value}`;
      }
    }
    if (typeof f.match === 'string' && luaMatches(value, f.match) === false) return `invalid value: ${value}`;
    if (Array.isArray(f.match_all)) {
      for (const p of f.match_all as PatternErr[]) {
        if (luaMatches(value, p.pattern) === false) return p.err ?? `invalid value: ${value}`;
      }
    }
    if (has('match_any') && isPlainObject(f.match_any)) {
      const arg = f.match_any as { patterns?: string[]; err?: string };
      const results = (arg.patterns ?? []).map((p) => luaMatches(value, p));
      // Only conclude "no pattern matches" when every pattern could be evaluated.
      if (results.length && !results.includes(true) && !results.includes(null))
        return arg.err ?? `invalid value: ${value}`;
    }
  }
  if (Array.isArray(value) && has('contains') && !value.includes(f.contains))
    return `expected to contain: ${show(f.contains)}`;
  return null;
}

/** Every problem of `value` against one field schema. `value` is present (not undefined). */
export function checkValue(value: unknown, field: FieldSchema, path: FieldPath = []): FieldProblem[] {
  const out: FieldProblem[] = [];
  checkValueInto(value, field, path, out);
  return out;
}

/** Kong's `validate_field`: the first problem's message, or null. */
export function fieldError(value: unknown, field: FieldSchema): string | null {
  return checkValue(value, field)[0]?.message ?? null;
}

function checkValueInto(value: unknown, field: FieldSchema, path: FieldPath, out: FieldProblem[]): void {
  const f = field as Record<string, unknown>;
  if (value === null || value === undefined) {
    if ('ne' in f && f.ne === null) out.push({ path, message: 'value must not be null' });
    else if (f.eq !== undefined && f.eq !== null) out.push({ path, message: `value must be ${show(f.eq)}` });
    else if (field.required) out.push({ path, message: REQUIRED_MISSING });
    return;
  }
  if (field.referenceable && isVaultReference(value)) return;
  const tErr = typeError(value, field);
  if (tErr) {
    out.push({ path, message: tErr });
    return;
  }
  if ((field.type === 'array' || field.type === 'set') && Array.isArray(value) && field.elements) {
    const elements: FieldSchema = { ...field.elements, required: true };
    const seen = new Set<string>();
    value.forEach((el, i) => {
      // Kong validates each distinct member of a set once.
      if (field.type === 'set') {
        const k = JSON.stringify(el);
        if (seen.has(k)) return;
        seen.add(k);
      }
      checkValueInto(el, elements, [...path, i], out);
    });
  } else if (field.type === 'map' && isPlainObject(value)) {
    const keys: FieldSchema = { ...(field.keys ?? { type: 'string' }), required: true };
    const values: FieldSchema | undefined = field.values ? { ...field.values, required: true } : undefined;
    for (const [k, v] of Object.entries(value)) {
      const kErr = fieldError(k, keys);
      if (kErr) out.push({ path: [...path, k], message: `invalid key: ${kErr}`, atKey: true });
      if (values) checkValueInto(v, values, [...path, k], out);
    }
  } else if (field.type === 'record' && isPlainObject(value)) {
    checkRecordInto(value, field.fields ?? [], (f.entity_checks as unknown[] | undefined) ?? [], path, out, recordShorthands(field));
    return;
  }
  const vErr = validatorError(value, field);
  if (vErr) out.push({ path, message: vErr });
}

/** Every problem of a record against its field list and entity checks. */
export function checkRecord(
  value: unknown,
  fields: FieldList,
  opts: { path?: FieldPath; entityChecks?: unknown[]; shorthands?: FieldList } = {},
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const path = opts.path ?? [];
  if (!isPlainObject(value)) {
    out.push({ path, message: 'expected a record' });
    return out;
  }
  checkRecordInto(value, fields, opts.entityChecks ?? [], path, out, opts.shorthands);
  return out;
}

function checkRecordInto(
  value: Record<string, unknown>,
  fields: FieldList,
  entityChecks: unknown[],
  path: FieldPath,
  out: FieldProblem[],
  shorthands?: FieldList,
): void {
  const entries = fieldEntries(fields);
  const known = new Set(entries.map(([n]) => n));
  const aliases = new Map(fieldEntries(shorthands));
  let aliased = false;
  for (const [k, v] of Object.entries(value)) {
    const alias = known.has(k) ? undefined : aliases.get(k);
    if (alias) {
      aliased = true;
      // Only the alias's type is published (its translation is Lua); a null alias is ignored by Kong.
      const err = v === null ? null : typeError(v, alias);
      if (err) out.push({ path: [...path, k], message: err });
    } else if (!known.has(k)) {
      const hint = closest(k, [...known, ...aliases.keys()]);
      out.push({ path: [...path, k], message: `unknown field${hint ? ` (did you mean '${hint}'?)` : ''}`, atKey: true, unknownField: true });
    }
  }
  // Aliases fill fields this check cannot see (the translation is a Lua function): presence
  // and entity checks would judge a record missing what its aliases provide.
  if (aliased) {
    for (const [name, f] of entries) {
      const v = value[name];
      if (v !== undefined) checkValueInto(v, f, [...path, name], out);
    }
    return;
  }
  for (const [name, f] of entries) {
    const v = value[name];
    if (v === undefined) {
      if (f.required && f.default === undefined && !f.auto) {
        // A missing required record is expanded from its sub-defaults, then validated (Kong's handle_missing_field).
        if (f.type === 'record') checkRecordInto({}, f.fields ?? [], (f.entity_checks as unknown[]) ?? [], [...path, name], out);
        else out.push({ path: [...path, name], message: REQUIRED_MISSING });
      }
      continue;
    }
    checkValueInto(v, f, [...path, name], out);
  }
  out.push(...checkEntityChecks(value, fields, entityChecks, path));
}

function fieldSchemaAt(fields: FieldList, dotted: string): FieldSchema | undefined {
  const [head, ...rest] = dotted.split('.');
  const f = fieldEntries(fields).find(([n]) => n === head)?.[1];
  if (!f || rest.length === 0) return f;
  return f.type === 'record' ? fieldSchemaAt(f.fields ?? [], rest.join('.')) : undefined;
}

/** `get_field` after Kong's `process_auto_fields`: missing values read as their defaults. */
function valueAt(record: Record<string, unknown>, fields: FieldList, dotted: string): unknown {
  const [head, ...rest] = dotted.split('.');
  const f = fieldEntries(fields).find(([n]) => n === head)?.[1];
  let v = record[head];
  if (v === undefined && f?.default !== undefined) v = f.default;
  if (rest.length === 0) return v;
  if (v === undefined && f?.type === 'record') v = {};
  return isPlainObject(v) ? valueAt(v, f?.fields ?? [], rest.join('.')) : undefined;
}

function isNonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

const quoted = (names: string[]) => names.map((n) => `'${n}'`).join(', ');

/**
 * A field's schema with a check's `if_match`/`then_match` laid over it. Entity checks are
 * schema data, the same objects for every entity checked: merging once per (match, fields)
 * rather than once per entity keeps validation of a 35k-entity file from redoing it.
 */
const matched = new WeakMap<object, WeakMap<FieldList, Map<string, FieldSchema>>>();
function withMatch(fields: FieldList, field: string, match: object | undefined): FieldSchema {
  if (typeof match !== 'object' || match === null) return { ...(fieldSchemaAt(fields, field) ?? { type: 'json' }) } as FieldSchema;
  let byFields = matched.get(match);
  if (!byFields) matched.set(match, (byFields = new WeakMap()));
  let byField = byFields.get(fields);
  if (!byField) byFields.set(fields, (byField = new Map()));
  let schema = byField.get(field);
  if (!schema) byField.set(field, (schema = { ...(fieldSchemaAt(fields, field) ?? { type: 'json' }), ...match } as FieldSchema));
  return schema;
}

/** The entity checks Kong serialises as data. `custom_entity_check` holds Lua code and is skipped. */
export function checkEntityChecks(
  record: Record<string, unknown>,
  fields: FieldList,
  checks: unknown[],
  path: FieldPath = [],
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const get = (name: string) => valueAt(record, fields, name);
  const at = (name: string): FieldPath => [...path, ...name.split('.')];
  for (const check of checks) {
    if (!isPlainObject(check)) continue;
    const [name, arg] = Object.entries(check)[0] ?? [];
    if (name === 'at_least_one_of' && Array.isArray(arg)) {
      if (!arg.some((n: string) => isNonEmpty(get(n))))
        out.push({ path, message: `at least one of these fields must be non-empty: ${quoted(arg)}` });
    } else if (name === 'only_one_of' && Array.isArray(arg)) {
      if (arg.filter((n: string) => isNonEmpty(get(n))).length !== 1)
        out.push({ path, message: `only one of these fields must be non-empty: ${quoted(arg)}` });
    } else if (name === 'mutually_required' && Array.isArray(arg)) {
      const set = arg.filter((n: string) => isNonEmpty(get(n))).length;
      if (set !== 0 && set !== arg.length)
        out.push({ path, message: `all or none of these fields must be set: ${quoted(arg)}` });
    } else if (name === 'mutually_exclusive' && Array.isArray(arg)) {
      if (arg.filter((n: string) => isNonEmpty(get(n))).length > 1)
        out.push({ path, message: `only one or none of these fields must be set: ${quoted(arg)}` });
    } else if (name === 'distinct' && Array.isArray(arg)) {
      const seen = new Set<string>();
      for (const n of arg as string[]) {
        const v = get(n);
        if (!isNonEmpty(v)) continue;
        const k = JSON.stringify(v);
        if (seen.has(k)) {
          out.push({ path, message: `values of these fields must be distinct: ${quoted(arg)}` });
          break;
        }
        seen.add(k);
      }
    } else if (name === 'conditional' && isPlainObject(arg)) {
      const a = arg as { if_field: string; if_match: object; then_field: string; then_match: object; then_err?: string };
      const ifValue = get(a.if_field);
      if (ifValue === undefined || ifValue === null) continue;
      if (fieldError(ifValue, withMatch(fields, a.if_field, a.if_match)) !== null) continue;
      const thenValue = get(a.then_field) ?? null;
      const thenMatch = a.then_match as Record<string, unknown>;
      let err: string | null;
      if (thenMatch.required === true && thenValue === null) err = REQUIRED_MISSING;
      else err = fieldError(thenValue, withMatch(fields, a.then_field, thenMatch));
      if (err) {
        // Kong adds "failed conditional validation given value of field 'x'": say which value.
        const why = a.then_err ? ` (${a.then_err.replace('%s', a.if_field)})` : ` when ${a.if_field} is ${show(ifValue)}`;
        out.push({ path: at(a.then_field), message: `${err}${why}` });
      }
    } else if (name === 'conditional_at_least_one_of' && isPlainObject(arg)) {
      const a = arg as {
        if_field: string;
        if_match: object;
        then_at_least_one_of: string[];
        then_err?: string;
        else_match?: object;
        else_then_at_least_one_of?: string[];
        else_then_err?: string;
      };
      const ifValue = get(a.if_field);
      if (ifValue === undefined) continue;
      let list: string[] | undefined;
      let err: string | undefined;
      if (fieldError(ifValue, withMatch(fields, a.if_field, a.if_match)) === null) {
        list = a.then_at_least_one_of;
        err = a.then_err;
      } else if (a.else_match && fieldError(ifValue, withMatch(fields, a.if_field, a.else_match)) === null) {
        list = a.else_then_at_least_one_of;
        err = a.else_then_err;
      }
      if (list && !list.some((n) => isNonEmpty(get(n)))) {
        out.push({
          path,
          message: err ? err.replace('%s', quoted(list)) : `at least one of these fields must be non-empty: ${quoted(list)}`,
        });
      }
    }
  }
  return out;
}
