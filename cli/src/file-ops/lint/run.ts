/**
 * A ruleset applied to a decK file, as Spectral applies one: each node a rule's given selects,
 * each target its then.field picks there, each result of the function. Every result is placed
 * at the line and column of the node it is about (the closest node the file has, for a field it
 * lacks).
 *
 * The rules see the file as written: `${{ env "DECK_…" }}` templates are text, not the
 * variables' values, as decK lints the file before rendering it.
 */
import { isScalar } from 'yaml';
import { isPlainObject } from '../../desired/kong-schema-check';
import { asWritten, dataOf, restoreTemplates, type DeckDocument } from '../document';
import { nodeAt } from '../select';
import { subject, type FunctionContext } from './functions';
import { placeOf } from './locate';
import { select, type Field, type Given, type Segment } from './paths';
import { PLACEHOLDER, type Rule, type Ruleset, type Severity } from './ruleset';

export interface LintResult {
  rule: string;
  severity: Severity;
  message: string;
  /** The given expression that selected the node: what decK calls the result's Path. */
  given: string;
  line: number;
  column: number;
}

interface Target {
  location: Segment[];
  value: unknown;
  /** The value is a property's name, and the place to report is its key. */
  key: boolean;
  /** What messages call the property, when not the last segment of the location. */
  property?: Segment;
}

const own = (o: object, k: Segment) => Object.prototype.hasOwnProperty.call(o, k);

/** The value at a location; indices written as strings (a field's `a.0`, a schema error's path) become numbers. */
function resolve(data: unknown, location: readonly Segment[]): { location: Segment[]; value: unknown } {
  const out: Segment[] = [];
  let v: unknown = data;
  for (const s of location) {
    const seg = Array.isArray(v) && typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : s;
    out.push(seg);
    v = typeof v === 'object' && v !== null && own(v, seg) ? (v as Record<Segment, unknown>)[seg] : undefined;
  }
  return { location: out, value: v };
}

function givenTargets(given: Given, data: unknown): Target[] {
  const matches = select(given.query, data);
  if (!given.keys) return matches.map((m) => ({ location: m.location, value: m.value, key: false }));
  return matches
    .filter((m) => m.location.length > 0)
    .map((m) => {
      const name = m.location[m.location.length - 1];
      return { location: m.location, value: name, key: typeof name === 'string' };
    });
}

/** Spectral's lint targets: with a field, what it picks in an object or a list; else the node itself. */
function fieldTargets(node: Target, field: Field | undefined, data: unknown): Target[] {
  const v = node.value;
  if (field === undefined || typeof v !== 'object' || v === null) return [node];
  const out: Target[] = [];
  if (field.kind === 'key') {
    for (const k of Object.keys(v)) out.push({ location: [...node.location, Array.isArray(v) ? Number(k) : k], value: k, key: !Array.isArray(v) });
  } else if (field.kind === 'query') {
    for (const m of select(field.query, v)) out.push({ location: [...node.location, ...m.location], value: m.value, key: false });
  } else {
    out.push({ ...resolve(data, [...node.location, ...field.segments]), key: false });
  }
  // Spectral runs the function once even when the field picks nothing, on undefined at the node;
  // the message names the field rather than the node's last segment (an index, often).
  return out.length ? out : [{ location: node.location, value: undefined, key: false, property: field.kind === 'query' ? field.source : undefined }];
}

function pointer(location: readonly Segment[]): string {
  return location.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function text(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function messageOf(rule: Rule, error: string, vars: { property?: Segment; path: string; value: string }): string {
  if (rule.message === undefined) return rule.description ? `${rule.description}: ${error}` : error;
  const named: Record<string, string> = {
    error,
    description: rule.description ?? '',
    property: vars.property === undefined ? '' : String(vars.property),
    path: vars.path,
    value: vars.value,
  };
  return rule.message.replace(PLACEHOLDER, (whole, printed: string | undefined, name: string | undefined) => {
    if (printed !== undefined) return printed === 'property' ? subject(vars.property) : vars.value;
    return named[name ?? ''] ?? whole;
  });
}

export function lintDocument(d: DeckDocument, ruleset: Ruleset): LintResult[] {
  const data = asWritten(d, dataOf(d));
  const results: Array<LintResult & { order: number }> = [];
  const seen = new Set<string>();
  ruleset.rules.forEach((rule, order) => {
    for (const given of rule.given) {
      for (const node of givenTargets(given, data)) {
        for (const then of rule.then) {
          for (const target of fieldTargets(node, then.field, data)) {
            const property = target.property ?? (target.location.length ? target.location[target.location.length - 1] : undefined);
            const ctx: FunctionContext = {
              property,
              document: data,
              text() {
                const n = target.key ? undefined : nodeAt(d.doc, target.location, false);
                return isScalar(n) && n.source !== undefined ? restoreTemplates(d, n.source) : undefined;
              },
            };
            for (const r of then.fn.run(target.value, then.options, ctx) ?? []) {
              const elsewhere = r.at ?? (r.path?.length ? [...target.location, ...r.path] : undefined);
              const wanted = elsewhere ? resolve(data, elsewhere).location : target.location;
              const atKey = target.key && !elsewhere;
              const place = placeOf(d, wanted, atKey);
              const exact = place.found.length === wanted.length;
              const value = atKey && exact ? wanted[wanted.length - 1] : resolve(data, place.found).value;
              const message = messageOf(rule, r.message, {
                property: elsewhere ? wanted[wanted.length - 1] : property,
                path: pointer(place.found),
                value: text(value),
              }).trim();
              const key = `${rule.name}\0${place.line}:${place.column}\0${message}`;
              if (seen.has(key)) continue;
              seen.add(key);
              results.push({ rule: rule.name, severity: rule.severity, message, given: given.source, line: place.line, column: place.column, order });
            }
          }
        }
      }
    }
  });
  results.sort((a, b) => a.line - b.line || a.column - b.column || a.order - b.order);
  return results.map(({ order: _, ...r }) => r);
}
