/**
 * One Kong route per operation: the OpenAPI path as an anchored regex (`~/items/(?<id>[^#?/]+)$`),
 * path parameters as named captures, the method, and regex_priority so that plain paths win over
 * templated ones, as OpenAPI says they should. Header parameters with an `enum` make one route per
 * combination of their values.
 */
import { deepCopy, isObject } from './go-json';
import type { Obj } from './extensions';
import { captureName, uuidV5 } from './names';
import { resolve, specError, type Location, type Spec } from './spec';
import type { Parameter } from './validator';

const PRIORITY_WITH_PARAMS = 100;
const PRIORITY_PLAIN = 200;
/** PCRE's limit on a capture group's name. */
const MAX_CAPTURE_NAME = 32;

function paramSchema(spec: Spec, opParams: Parameter[] | undefined, pathParams: Parameter[] | undefined, name: string): Obj | undefined {
  for (const p of [...(opParams ?? []), ...(pathParams ?? [])]) {
    if (p.value.name !== name) continue;
    if (p.value.schema === undefined || p.value.schema === null) return undefined;
    const s = resolve(spec, p.value.schema, [...p.location, 'schema']);
    return isObject(s.value) ? s.value : undefined;
  }
  return undefined;
}

export interface RoutePath {
  path: string;
  priority: number;
}

export function routePath(spec: Spec, pathKey: string, location: Location, opParams: Parameter[] | undefined, pathParams: Parameter[] | undefined, inso: boolean): RoutePath {
  let converted = pathKey.replace(/[()+.?*[$]/g, '\\$&');
  let priority = PRIORITY_PLAIN;
  const matches = [...converted.matchAll(/{([^}]+)}/g)];
  if (matches.length) priority = PRIORITY_WITH_PARAMS;
  for (const m of matches) {
    const varName = m[1];
    const capture = captureName(varName, inso);
    if (capture.length >= MAX_CAPTURE_NAME) {
      throw specError(spec, location, `path-parameter name exceeds 32 characters: '${varName}' (sanitized to '${capture}')`);
    }
    // One segment: '/', '?' and '#' end it. A minLength of 0 allows an empty segment.
    const schema = paramSchema(spec, opParams, pathParams, varName);
    const regex = schema && schema.minLength === 0 ? `(?<${capture}>[^#?/]*)` : `(?<${capture}>[^#?/]+)`;
    converted = converted.replace(`{${varName}}`, () => regex);
  }
  return { path: `~${converted}$`, priority };
}

/** Header parameters usable for routing: those with an enum, the operation's first. */
export function routingHeaders(spec: Spec, opParams: Parameter[] | undefined, pathParams: Parameter[] | undefined): { name: string; values: string[] }[] {
  const seen = new Set<string>();
  const out: { name: string; values: string[] }[] = [];
  for (const list of [opParams ?? [], pathParams ?? []]) {
    for (const p of list) {
      if (p.value.in !== 'header' || typeof p.value.name !== 'string' || seen.has(p.value.name)) continue;
      if (p.value.schema === undefined || p.value.schema === null) continue;
      const schema = resolve(spec, p.value.schema, [...p.location, 'schema']).value;
      if (!isObject(schema) || !Array.isArray(schema.enum) || schema.enum.length === 0) continue;
      seen.add(p.value.name);
      out.push({ name: p.value.name, values: schema.enum.map(scalarText) });
    }
  }
  return out;
}

/** An enum member as the YAML scalar decK reads it: its text. */
function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : v === null ? 'null' : typeof v === 'object' ? '' : String(v);
}

function crossProduct(lists: string[][]): string[][] {
  let result: string[][] = [[]];
  for (const list of lists) result = result.flatMap((prefix) => list.map((v) => [...prefix, v]));
  return result;
}

/** The route copied once per combination of header values, each named and identified by its index. */
export function headerRoutes(route: Obj, headers: { name: string; values: string[] }[], baseName: string, namespace: string, skipId: boolean): Obj[] {
  return crossProduct(headers.map((h) => h.values)).map((combo, i) => {
    const r = deepCopy(route);
    r.headers = Object.fromEntries(headers.map((h, j) => [h.name, [combo[j]]]));
    r.name = `${baseName}_${i}`;
    if (!skipId) r.id = uuidV5(namespace, r.name as string);
    return r;
  });
}
