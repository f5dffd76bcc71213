/**
 * The request-validator plugin decK generates per operation when `x-kong-plugin-request-validator`
 * is set at any level: its parameter schemas (path, query, header) and JSON body schema taken
 * from the operation, unless the given config already has them.
 */
import { deepCopy, isObject } from './go-json';
import type { Extended, Obj } from './extensions';
import { captureName } from './names';
import { pluginId } from './plugins';
import { extractSchema, topLevelType } from './schema';
import { resolve, specError, type Location, type Spec } from './spec';

export const JSON_SCHEMA_VERSION = 'draft4';

const DEFAULT_STYLE: Record<string, string> = { header: 'simple', cookie: 'form', query: 'form', path: 'simple' };

export interface Parameter {
  value: Obj;
  location: Location;
}

/** An operation's or path's `parameters`, each `$ref` followed; undefined when the key is absent. */
export function parametersOf(spec: Spec, at: Extended): Parameter[] | undefined {
  const list = at.value.parameters;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw specError(spec, [...at.location, 'parameters'], "expected 'parameters' to be an array");
  return list.map((p, i) => {
    const r = resolve(spec, p, [...at.location, 'parameters', i]);
    if (!isObject(r.value)) throw specError(spec, r.location, 'expected a parameter to be an object');
    return { value: r.value, location: r.location };
  });
}

/**
 * Path-level and operation-level parameters combined as decK combines them: when the
 * operation has parameters, a path parameter is kept only for each operation parameter that
 * differs from it in both name and location (so usually none), then the operation's own follow.
 */
function combined(pathParams: Parameter[] | undefined, opParams: Parameter[] | undefined): Parameter[] {
  const out: Parameter[] = [];
  for (const p of pathParams ?? []) {
    for (const o of opParams ?? []) if (p.value.name !== o.value.name && p.value.in !== o.value.in) out.push(p);
  }
  out.push(...(opParams !== undefined ? opParams : (pathParams ?? [])));
  return out;
}

function parameterSchema(spec: Spec, pathParams: Parameter[] | undefined, opParams: Parameter[] | undefined, inso: boolean): Obj[] {
  const result: Obj[] = [];
  for (const p of combined(pathParams, opParams)) {
    const where = typeof p.value.in === 'string' ? p.value.in : '';
    // The plugin cannot validate cookies: decK leaves them out.
    if (where === 'cookie') continue;
    const style = typeof p.value.style === 'string' && p.value.style !== '' ? p.value.style : (DEFAULT_STYLE[where] ?? '');
    const explode = typeof p.value.explode === 'boolean' ? p.value.explode : style === 'form';
    const name = typeof p.value.name === 'string' ? p.value.name : '';
    const conf: Obj = {
      style,
      explode,
      in: where,
      name: where === 'path' ? captureName(name, inso) : name,
      required: typeof p.value.required === 'boolean' ? p.value.required : false,
    };
    const schema = extractSchema(spec, p.value.schema, [...p.location, 'schema']);
    if (schema) {
      conf.schema = schema.text;
      const [type, oneOfAnyOf] = topLevelType(schema.data);
      if (type === '' && oneOfAnyOf) throw specError(spec, [...p.location, 'schema'], 'parameter schemas for request-validator plugin must have a top-level type property');
    }
    result.push(conf);
  }
  return result;
}

/** A media type as Go's mime.ParseMediaType reads it: [type, subtype], lowercased; undefined when invalid. */
function mediaType(text: string): [string, string] | undefined {
  const m = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\/([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*(;.*)?$/s.exec(text);
  if (!m) return undefined;
  return [m[1].toLowerCase(), m[2].toLowerCase()];
}

function requestContent(spec: Spec, operation: Extended): { content: Obj; location: Location } | undefined {
  if (operation.value.requestBody === undefined || operation.value.requestBody === null) return undefined;
  const body = resolve(spec, operation.value.requestBody, [...operation.location, 'requestBody']);
  if (!isObject(body.value) || !isObject(body.value.content)) return undefined;
  return { content: body.value.content, location: [...body.location, 'content'] };
}

/** The schema of the first JSON media type of the request body; the search stops at an invalid media type. */
function bodySchema(spec: Spec, operation: Extended): string {
  const c = requestContent(spec, operation);
  if (!c) return '';
  for (const [type, media] of Object.entries(c.content)) {
    const mt = mediaType(type);
    if (!mt) return '';
    if (mt[0] === 'application' && (mt[1] === 'json' || mt[1].endsWith('+json'))) {
      return extractSchema(spec, isObject(media) ? media.schema : undefined, [...c.location, type, 'schema'])?.text ?? '';
    }
  }
  return '';
}

function contentTypes(spec: Spec, operation: Extended): string[] | undefined {
  const c = requestContent(spec, operation);
  if (!c || Object.keys(c.content).length === 0) return undefined;
  return Object.keys(c.content).sort();
}

export interface ValidatorInput {
  spec: Spec;
  operation: Extended;
  pathItem: Extended;
  namespace: string;
  baseName: string;
  skipId: boolean;
  inso: boolean;
}

/** The operation's request-validator, or undefined when there is nothing to validate. */
export function generateValidator(given: Obj | undefined, v: ValidatorInput): Obj | undefined {
  if (!given) return undefined;
  const plugin = deepCopy(given);
  if (!v.skipId) plugin.id = pluginId(v.namespace, v.baseName, plugin.name as string);
  let config = isObject(plugin.config) ? plugin.config : undefined;
  if (!config) {
    config = {};
    plugin.config = config;
  }
  if (config.parameter_schema === undefined || config.parameter_schema === null) {
    const params = parameterSchema(v.spec, parametersOf(v.spec, v.pathItem), parametersOf(v.spec, v.operation), v.inso);
    if (params.length) {
      config.parameter_schema = params;
      config.version = JSON_SCHEMA_VERSION;
    }
  }
  if (config.body_schema === undefined || config.body_schema === null) {
    const body = bodySchema(v.spec, v.operation);
    if (body !== '') {
      config.body_schema = body;
      config.version = JSON_SCHEMA_VERSION;
    } else if (config.parameter_schema === undefined || config.parameter_schema === null) {
      if (config.allowed_content_types === undefined || config.allowed_content_types === null) return undefined;
      // An empty schema passes every body, but turns on the content-type check.
      config.body_schema = '{}';
      config.version = JSON_SCHEMA_VERSION;
    }
  }
  if (config.allowed_content_types === undefined || config.allowed_content_types === null) {
    const types = contentTypes(v.spec, v.operation);
    if (types) config.allowed_content_types = types;
  }
  return plugin;
}
