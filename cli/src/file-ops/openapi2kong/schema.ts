/**
 * A JSON schema from the spec as one self-contained string for the request-validator plugin:
 * the schema as written, with every schema it references (transitively) copied under
 * `definitions` and its `$ref`s pointed there. A reference to a reference is stored under the
 * first name with the final schema, as decK does.
 */
import { goJson, isObject } from './go-json';
import { lookupRef, resolve, type Location, type Spec } from './spec';
import { setOwn } from '../../model/own';

const COMPONENT_SCHEMAS = '#/components/schemas/';

function collectRefs(spec: Spec, schema: unknown, location: Location, seen: Map<string, unknown>): void {
  if (!isObject(schema)) return;
  let s = schema;
  let at = location;
  if (typeof schema.$ref === 'string') {
    if (seen.has(schema.$ref)) return;
    const target = resolve(spec, schema, location);
    seen.set(schema.$ref, target.value);
    if (!isObject(target.value)) return;
    s = target.value;
    at = target.location;
  }
  for (const list of ['allOf', 'anyOf', 'oneOf'] as const) {
    const items = s[list];
    if (Array.isArray(items)) items.forEach((sub, i) => collectRefs(spec, sub, [...at, list, i], seen));
  }
  if (isObject(s.properties)) for (const [k, sub] of Object.entries(s.properties)) collectRefs(spec, sub, [...at, 'properties', k], seen);
  for (const key of ['not', 'additionalProperties', 'items'] as const) collectRefs(spec, s[key], [...at, key], seen);
}

export interface ExtractedSchema {
  text: string;
  data: Record<string, unknown>;
}

/** undefined when there is no schema. */
export function extractSchema(spec: Spec, schema: unknown, location: Location): ExtractedSchema | undefined {
  if (!isObject(schema)) return undefined;
  if (typeof schema.$ref === 'string') lookupRef(spec, schema.$ref, [...location, '$ref']);
  const seen = new Map<string, unknown>();
  collectRefs(spec, schema, location, seen);
  const data: Record<string, unknown> = { ...schema };
  if (seen.size > 0) {
    const definitions: Record<string, unknown> = {};
    // setOwn: a component schema may be named `__proto__`; its $ref must still find it.
    for (const [ref, value] of seen) setOwn(definitions, ref.replace(COMPONENT_SCHEMAS, ''), value);
    data.definitions = definitions;
  }
  const text = goJson(data).split(`"$ref":"${COMPONENT_SCHEMAS}`).join('"$ref":"#/definitions/');
  return { text, data };
}

/**
 * decK's check that a parameter schema using oneOf/anyOf names its type next to them (the
 * plugin needs a type to read a parameter's value with): [type, whether oneOf/anyOf was found].
 */
export function topLevelType(schema: Record<string, unknown>): [string, boolean] {
  const oneOf = Array.isArray(schema.oneOf);
  const anyOf = Array.isArray(schema.anyOf);
  const type = typeof schema.type === 'string' ? schema.type : '';
  if ((oneOf || anyOf) && type !== '') return [type, true];
  for (const key of Object.keys(schema).sort()) {
    const value = schema[key];
    // An array's items may use oneOf without a type of their own.
    if (key === 'items' && isObject(value) && 'oneOf' in value) continue;
    if (isObject(value)) {
      const [t, found] = topLevelType(value);
      if (found) return [t, true];
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (!isObject(item)) continue;
        const [t, found] = topLevelType(item);
        if (found) return [t, true];
      }
    }
  }
  return ['', oneOf || anyOf];
}
