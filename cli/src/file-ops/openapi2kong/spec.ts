/**
 * The OpenAPI document: YAML or JSON read with positions kept, so every problem found while
 * converting is reported at file:line:column. Local `$ref`s are followed on demand rather than
 * dereferenced up front: decK keeps a request body's schema references (moved under
 * `definitions`) in the request-validator config it generates, which a fully dereferenced
 * document could no longer tell apart, and circular schemas need no special handling this way.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import { JSONPointer } from 'json-p3';
import { KongCtlError } from '../../model/errors';
import { YAML_OPTIONS, yamlProblemText } from '../../desired/parse';
import type { SourceText } from '../../desired/sources';
import { placeOf } from '../lint/locate';
import { isObject } from './go-json';

export type Location = (string | number)[];

export interface Spec {
  name: string;
  data: Record<string, unknown>;
  doc: Document;
  lines: LineCounter;
}

const MAX_ALIAS_COUNT = 1000;

/** file:line:column of `location`, or of the closest node the file has (lint's rule). */
export function where(spec: Spec, location: Location): string {
  const p = placeOf({ doc: spec.doc, lines: spec.lines }, location);
  return `${spec.name}:${p.line}:${p.column}`;
}

/** A problem with the spec's content, reported where it is. */
export function specError(spec: Spec, location: Location, message: string): KongCtlError {
  return new KongCtlError('E_OPENAPI', `${where(spec, location)}: ${message}`);
}

export function loadSpec(src: SourceText): Spec {
  const lines = new LineCounter();
  const doc = parseDocument(src.text, { ...YAML_OPTIONS, lineCounter: lines });
  const first = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? doc.errors[0];
  if (first) {
    const p = lines.linePos(first.pos[0]);
    throw new KongCtlError('E_FILE_PARSE', `${src.name}:${p.line}:${p.col}: invalid YAML/JSON: ${yamlProblemText(first.message)}`);
  }
  const data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  const spec: Spec = { name: src.name, data: isObject(data) ? data : {}, doc, lines };
  if (!isObject(data)) throw specError(spec, [], 'an OpenAPI document must be a mapping (openapi, info, paths…)');
  checkVersion(spec);
  return spec;
}

/** decK (libopenapi) converts OpenAPI 3.x only: a Swagger 2.0 file is refused, not guessed at. */
function checkVersion(spec: Spec): void {
  const { swagger, openapi } = spec.data;
  if (swagger !== undefined) {
    throw specError(spec, ['swagger'], `this is a Swagger ${String(swagger)} document: openapi2kong converts OpenAPI 3.x only (convert it to OpenAPI 3 first)`);
  }
  if (openapi === undefined) throw specError(spec, [], "no 'openapi' version: openapi2kong converts OpenAPI 3.x documents");
  if (typeof openapi !== 'string' || !/^3\.\d+(\.\d+)?/.test(openapi)) {
    throw specError(spec, ['openapi'], `unsupported OpenAPI version '${String(openapi)}': openapi2kong converts OpenAPI 3.x only`);
  }
}

export interface Resolved<T = unknown> {
  value: T;
  /** Where the value is written: the $ref's target, for a reference. */
  location: Location;
}

const MAX_REF_HOPS = 64;

/**
 * The value at `location`, following `$ref`s. Only references into the same document are
 * resolved, as decK does by default (it reads no other files and no URLs).
 */
export function resolve(spec: Spec, value: unknown, location: Location): Resolved {
  let current = value;
  let at = location;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > MAX_REF_HOPS) throw specError(spec, at, `'$ref' chain too long (circular reference?)`);
    const ref = current.$ref;
    const target = lookupRef(spec, ref, [...at, '$ref']);
    current = target.value;
    at = target.location;
  }
  return { value: current, location: at };
}

export function lookupRef(spec: Spec, ref: string, at: Location): Resolved {
  if (!ref.startsWith('#')) throw specError(spec, at, `'$ref: ${ref}' points outside this document: only local references ('#/…') are supported`);
  let pointer: JSONPointer;
  try {
    pointer = new JSONPointer(decodeURIComponent(ref.slice(1)));
  } catch (err) {
    throw specError(spec, at, `'$ref: ${ref}' is not a valid JSON pointer: ${(err as Error).message}`);
  }
  if (!pointer.exists(spec.data as never)) throw specError(spec, at, `'$ref: ${ref}' points to nothing in the document`);
  return { value: pointer.resolve(spec.data as never), location: pointer.tokens as Location };
}

/** A field of a mapping, with its location. */
export function field(obj: unknown, location: Location, key: string): Resolved {
  return { value: isObject(obj) ? obj[key] : undefined, location: [...location, key] };
}
