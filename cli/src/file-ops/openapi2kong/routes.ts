/**
 * One Kong route per operation: the OpenAPI path as an anchored regex (`~/items/(?<id>[^#?/]+)$`),
 * path parameters as named captures, the method, and regex_priority so that plain paths win over
 * templated ones, as OpenAPI says they should. Required header parameters with an `enum` make one
 * route per combination of their values, and the route without headers after them.
 */
import { deepCopy, goJson, isObject } from './go-json';
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

/**
 * Header parameters usable for routing, as decK makes them since go-apiops 25–38: the required
 * ones with an enum (every one with `allRequired`), the operation's before the path's (an
 * operation parameter of the same name overrides the path's, if it routes itself: one without
 * an enum leaves the path's to route, go-apiops 26). Header names are case-insensitive,
 * so they are lowercased and two spellings of one name are one header, their values together;
 * values equal but for case are one value (the first spelling), and an empty value matches no
 * request, so it is left out, and a header left without values routes nothing.
 */
export function routingHeaders(
  spec: Spec,
  opParams: Parameter[] | undefined,
  pathParams: Parameter[] | undefined,
  allRequired = false,
): { name: string; values: string[] }[] {
  const enumOf = (p: Parameter): string[] | undefined => {
    if (p.value.in !== 'header' || typeof p.value.name !== 'string') return undefined;
    if (!allRequired && p.value.required !== true) return undefined;
    if (p.value.schema === undefined || p.value.schema === null) return undefined;
    const schema = resolve(spec, p.value.schema, [...p.location, 'schema']).value;
    if (!isObject(schema) || !Array.isArray(schema.enum)) return undefined;
    const values = schema.enum.map(scalarText);
    return values.some((v) => v !== '') ? values : undefined;
  };
  const routing = (list: Parameter[] | undefined) => (list ?? []).flatMap((p) => {
    const values = enumOf(p);
    return values ? [{ name: (p.value.name as string).toLowerCase(), values }] : [];
  });
  const fromOperation = routing(opParams);
  const opNames = new Set(fromOperation.map((h) => h.name));
  const byName = new Map<string, string[]>();
  for (const h of [...fromOperation, ...routing(pathParams).filter((h) => !opNames.has(h.name))]) {
    const name = h.name;
    const values = byName.get(name) ?? [];
    for (const v of h.values) {
      if (v !== '' && !values.some((seen) => seen.toLowerCase() === v.toLowerCase())) values.push(v);
    }
    byName.set(name, values);
  }
  return [...byName].filter(([, values]) => values.length > 0).map(([name, values]) => ({ name, values }));
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

/**
 * The route copied once per combination of header values, each named and identified by its index,
 * its plugins given ids of their own (two routes cannot share a plugin): decK derives them from
 * the operation's name followed by the combination as JSON (`name{"x-env":["prod"]}.plugin.cors`);
 * then the route itself, without headers, for the requests that send none of the values.
 */
export function headerRoutes(route: Obj, headers: { name: string; values: string[] }[], baseName: string, namespace: string, skipId: boolean): Obj[] {
  const copies = crossProduct(headers.map((h) => h.values)).map((combo, i) => {
    const r = deepCopy(route);
    r.headers = Object.fromEntries(headers.map((h, j) => [h.name, [combo[j]]]));
    r.name = `${baseName}_${i}`;
    if (!skipId) {
      r.id = uuidV5(namespace, r.name as string);
      const headerBase = baseName + goJson(r.headers);
      for (const plugin of r.plugins as Obj[]) {
        if ('id' in plugin) plugin.id = uuidV5(namespace, `${headerBase}.plugin.${plugin.name as string}`);
      }
    }
    return r;
  });
  return [...copies, route];
}
