/**
 * A Spectral ruleset (the format `deck file lint` reads through vacuum), checked whole before
 * anything is linted: every problem is listed at its file:line, and a ruleset with any is refused.
 *
 * What a decK file cannot use is refused rather than ignored: `extends` (Spectral's and vacuum's
 * rulesets are for OpenAPI and AsyncAPI documents; only `[ruleset, off]`, which brings no rule,
 * is taken), `formats`, custom `functions`, `aliases` and `overrides`. A rule that only sets a
 * severity overrides a rule of an extended ruleset, so it has nothing to apply to; `off` is
 * harmless and taken.
 */
import { LineCounter, isMap, parseDocument, type Document } from 'yaml';
import { KongCtlError } from '../../model/errors';
import { YAML_OPTIONS, yamlProblemText } from '../../desired/parse';
import { isPlainObject } from '../../desired/kong-schema-check';
import { closest } from '../../desired/closest';
import type { SourceText } from '../../desired/sources';
import { FUNCTIONS, OptionsError, type LintFunction } from './functions';
import { placeOf, type Source } from './locate';
import { compileGiven, parseField, type Field, type Given, type Segment } from './paths';

export type Severity = 'error' | 'warn' | 'info' | 'hint';

/** Most severe first; Spectral's numbers 0–3 index it. */
export const SEVERITIES: readonly Severity[] = ['error', 'warn', 'info', 'hint'];

export interface Then {
  field?: Field;
  function: string;
  fn: LintFunction;
  options: unknown;
}

export interface Rule {
  name: string;
  description?: string;
  message?: string;
  severity: Severity;
  given: Given[];
  then: Then[];
}

export interface Ruleset {
  name: string;
  /** The rules that run: those turned off are left out. */
  rules: Rule[];
}

/** The placeholders Spectral fills in a rule's message. */
export const PLACEHOLDERS = ['error', 'description', 'property', 'path', 'value'];
/** `{{name}}`, or the `#{{print("property")}}` Spectral's own messages use. */
export const PLACEHOLDER = /#\{\{\s*print\(\s*"(\w+)"\s*\)\s*\}\}|\{\{\s*([^{}]*?)\s*\}\}/g;

const RULESET_KEYS = ['rules', 'extends', 'description', 'documentationUrl'];
const REFUSED_KEYS: Record<string, string> = {
  formats: 'formats choose the OpenAPI or AsyncAPI documents rules apply to, and a decK file is neither: remove it',
  functions: `custom functions are not supported: kong-ctl runs Spectral's core functions (${Object.keys(FUNCTIONS).join(', ')})`,
  functionsDir: 'custom functions are not supported: kong-ctl runs Spectral\'s core functions',
  aliases: 'aliases are not supported: write the JSONPath in each given',
  overrides: 'overrides are not supported: a lint run has one decK file, so put the rules it needs in the ruleset',
  parserOptions: 'parserOptions are not supported: duplicate keys are always an error in a decK file',
};
const RULE_KEYS = ['description', 'message', 'severity', 'recommended', 'given', 'then', 'resolved', 'type', 'documentationUrl', 'tags', 'extensions'];
const THEN_KEYS = ['field', 'function', 'functionOptions'];

/** A severity as Spectral writes it (a name, or 0–3 and -1); undefined when it is none. */
function severityOf(v: unknown): Severity | 'off' | undefined {
  if (v === 'off' || v === -1) return 'off';
  if (typeof v === 'number') return Number.isInteger(v) ? SEVERITIES[v] : undefined;
  return SEVERITIES.find((s) => s === v);
}

/** An `extends` entry that brings no rule: `[name, off]`. */
function bringsNothing(entry: unknown): boolean {
  return Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && entry[1] === 'off';
}

class Checker {
  readonly problems: string[] = [];
  constructor(
    readonly name: string,
    readonly src: Source,
  ) {}

  /** At the key of `location` with `key`, else at its value (or the closest node the file has). */
  problem(location: Segment[], message: string, key = false): void {
    const p = placeOf(this.src, location, key);
    this.problems.push(`${this.name}:${p.line}:${p.column}: ${message}`);
  }
}

function parseRulesetText(src: SourceText): { doc: Document; lines: LineCounter; data: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(src.text, { ...YAML_OPTIONS, lineCounter: lines });
  const first = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? doc.errors[0];
  if (first) {
    const p = lines.linePos(first.pos[0]);
    throw new KongCtlError('E_FILE_PARSE', `${src.name}:${p.line}:${p.col}: invalid YAML/JSON in the ruleset: ${yamlProblemText(first.message)}`);
  }
  return { doc, lines, data: doc.toJS({ maxAliasCount: 1000 }) };
}

function checkExtends(c: Checker, value: unknown): void {
  // One entry, `[name, off]` included, or a list of them.
  const entries: unknown[] = Array.isArray(value) && !bringsNothing(value) ? value : [value];
  const at = (i: number): Segment[] => (entries.length === 1 && entries[0] === value ? ['extends'] : ['extends', i]);
  entries.forEach((e, i) => {
    if (bringsNothing(e)) return;
    const name = Array.isArray(e) ? e[0] : e;
    if (typeof name === 'string' && /^(spectral|vacuum):/.test(name)) {
      c.problem(at(i), `extends '${name}': that ruleset is for OpenAPI/AsyncAPI documents, not decK files. kong-ctl lints with the rules this file defines: remove it, or write [[${name}, off]]`);
    } else {
      c.problem(at(i), `extends ${JSON.stringify(e)}: extending another ruleset is not supported: put the rules this file needs in it`);
    }
  });
}

function checkMessage(c: Checker, at: Segment[], message: string): void {
  for (const m of message.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? m[2];
    const known = m[1] !== undefined ? name === 'property' || name === 'value' : PLACEHOLDERS.includes(name);
    if (!known) c.problem(at, `message: unknown placeholder ${m[0]} (it can hold {{${PLACEHOLDERS.join('}}, {{')}}})`);
  }
}

function checkThen(c: Checker, at: Segment[], then: unknown): Then | undefined {
  if (!isPlainObject(then)) {
    c.problem(at, 'then must be a mapping (function, and optionally field and functionOptions) or a list of them');
    return undefined;
  }
  let ok = true;
  for (const k of Object.keys(then)) {
    if (!THEN_KEYS.includes(k)) {
      c.problem([...at, k], `unknown key '${k}' in then (${THEN_KEYS.join(', ')})`, true);
      ok = false;
    }
  }
  let field: Field | undefined;
  if (then.field !== undefined) {
    if (typeof then.field !== 'string') c.problem([...at, 'field'], 'field must be a string: a property name, a.b, @key or a JSONPath starting with $');
    else {
      try {
        field = parseField(then.field);
      } catch (err) {
        c.problem([...at, 'field'], `field ${(err as Error).message}`);
      }
    }
    if (!field) ok = false;
  }
  const name = then.function;
  const fn = typeof name === 'string' && Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
  if (!fn) {
    if (name === undefined) c.problem(at, `then needs a function (${Object.keys(FUNCTIONS).join(', ')})`);
    else {
      const hint = typeof name === 'string' ? closest(name, Object.keys(FUNCTIONS)) : undefined;
      c.problem([...at, 'function'], `unknown function ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ''}: kong-ctl runs Spectral's core functions: ${Object.keys(FUNCTIONS).join(', ')}`);
    }
    return undefined;
  }
  try {
    const options = fn.prepare(then.functionOptions);
    return ok ? { ...(field ? { field } : {}), function: name as string, fn, options } : undefined;
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    c.problem(then.functionOptions === undefined ? [...at, 'function'] : [...at, 'functionOptions', ...err.at], `functionOptions: ${err.message}`);
    return undefined;
  }
}

function checkRule(c: Checker, name: string, def: unknown): Rule | undefined {
  const at: Segment[] = ['rules', name];
  if (!isPlainObject(def)) {
    if (severityOf(def) === 'off' || def === false) return undefined;
    c.problem(at, `rule '${name}' only sets a severity, which overrides a rule of an extended ruleset, and this ruleset extends none: give it given and then`);
    return undefined;
  }
  const problems = c.problems.length;
  for (const k of Object.keys(def)) {
    if (k === 'formats') c.problem([...at, k], `rule '${name}': ${REFUSED_KEYS.formats}`, true);
    else if (!RULE_KEYS.includes(k) && !k.startsWith('x-')) c.problem([...at, k], `rule '${name}': unknown key '${k}' (${RULE_KEYS.slice(0, 6).join(', ')}…)`, true);
  }
  for (const k of ['description', 'message', 'documentationUrl'] as const) {
    if (def[k] !== undefined && typeof def[k] !== 'string') c.problem([...at, k], `rule '${name}': ${k} must be a string`);
  }
  if (typeof def.message === 'string') checkMessage(c, [...at, 'message'], def.message);
  const severity = def.severity === undefined ? 'warn' : severityOf(def.severity);
  if (severity === undefined) c.problem([...at, 'severity'], `rule '${name}': severity must be error, warn, info, hint or off (or 0–3, -1), not ${JSON.stringify(def.severity)}`);
  if (def.recommended !== undefined && typeof def.recommended !== 'boolean') c.problem([...at, 'recommended'], `rule '${name}': recommended must be true or false`);
  if (def.type !== undefined && def.type !== 'style' && def.type !== 'validation') c.problem([...at, 'type'], `rule '${name}': type must be style or validation`);

  const givens: Given[] = [];
  if (def.given === undefined) c.problem(at, `rule '${name}' needs given: the JSONPath of what it checks, e.g. $.services[*]`);
  else {
    const list = Array.isArray(def.given) ? def.given : [def.given];
    if (list.length === 0) c.problem([...at, 'given'], `rule '${name}': given must not be empty`);
    list.forEach((g, i) => {
      const gat: Segment[] = Array.isArray(def.given) ? [...at, 'given', i] : [...at, 'given'];
      if (typeof g !== 'string') c.problem(gat, `rule '${name}': given must be a JSONPath string (or a list of them)`);
      else {
        try {
          givens.push(compileGiven(g));
        } catch (err) {
          c.problem(gat, `rule '${name}': given ${(err as Error).message}`);
        }
      }
    });
  }

  const thens: Then[] = [];
  if (def.then === undefined) c.problem(at, `rule '${name}' needs then: the function to run, e.g. { field: tags, function: truthy }`);
  else if (Array.isArray(def.then)) {
    if (def.then.length === 0) c.problem([...at, 'then'], `rule '${name}': then must not be empty`);
    def.then.forEach((t, i) => {
      const checked = checkThen(c, [...at, 'then', i], t);
      if (checked) thens.push(checked);
    });
  } else {
    const checked = checkThen(c, [...at, 'then'], def.then);
    if (checked) thens.push(checked);
  }

  // Spectral runs a rule only when it is recommended (the default) and not off.
  if (c.problems.length > problems || severity === undefined || severity === 'off' || def.recommended === false) return undefined;
  return {
    name,
    ...(typeof def.description === 'string' ? { description: def.description } : {}),
    ...(typeof def.message === 'string' ? { message: def.message } : {}),
    severity,
    given: givens,
    then: thens,
  };
}

/** The ruleset of a file; a KongCtlError listing every problem, each at its file:line:column. */
export function parseRuleset(src: SourceText): Ruleset {
  const { doc, lines, data } = parseRulesetText(src);
  const c = new Checker(src.name, { doc, lines });
  if (!isMap(doc.contents) || !isPlainObject(data)) {
    const p = placeOf({ doc, lines }, []);
    throw new KongCtlError('E_RULESET', `${src.name}:${p.line}:${p.column}: a ruleset is a mapping with rules (Spectral's format: rules: { name: { given, then } })`);
  }
  for (const k of Object.keys(data)) {
    if (Object.prototype.hasOwnProperty.call(REFUSED_KEYS, k)) c.problem([k], REFUSED_KEYS[k], true);
    else if (!RULESET_KEYS.includes(k)) c.problem([k], `unknown key '${k}' in a ruleset (${RULESET_KEYS.join(', ')})`, true);
  }
  if (data.extends !== undefined) checkExtends(c, data.extends);
  const rules: Rule[] = [];
  // Said even beside other problems (a misspelt `rules` key), so that one fix is enough.
  if (data.rules === undefined || data.rules === null) c.problem([], `${src.name} has no rules: a ruleset needs rules: { name: { given, then } }`);
  else if (!isPlainObject(data.rules)) c.problem(['rules'], 'rules must be a mapping of rule names to rules');
  else {
    for (const [name, def] of Object.entries(data.rules)) {
      const rule = checkRule(c, name, def);
      if (rule) rules.push(rule);
    }
  }
  if (c.problems.length) throw new KongCtlError('E_RULESET', c.problems.join('\n'));
  return { name: src.name, rules };
}
