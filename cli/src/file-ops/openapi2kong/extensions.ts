/**
 * The `x-kong-…` extensions a document, path or operation carries: its name, the tags, the
 * service/upstream/route defaults and plugin configs, where an object may instead be a
 * `$ref` into `components.x-kong` (so one config serves many operations).
 */
import { deepCopy, isObject } from './go-json';
import { specError, type Location, type Spec } from './spec';
import { getOwn } from '../../model/own';

export type Obj = Record<string, unknown>;

export interface Extended {
  /** The object carrying the extensions (document, path item, operation, security scheme). */
  value: Obj;
  location: Location;
}

export interface Components {
  xKong: Obj;
  location: Location;
}

/** `components.x-kong`, the store `$ref`s in x-kong objects point into. */
export function xKongComponents(spec: Spec): Components {
  const location = ['components', 'x-kong'];
  const components = spec.data.components;
  const xKong = isObject(components) ? components['x-kong'] : undefined;
  if (xKong === undefined || xKong === null) return { xKong: {}, location };
  if (!isObject(xKong)) throw specError(spec, location, "expected '/components/x-kong' to be a JSON/YAML object");
  return { xKong, location };
}

export function kongName(spec: Spec, at: Extended): string {
  const name = at.value['x-kong-name'];
  if (name === undefined || name === null) return '';
  if (typeof name !== 'string') throw specError(spec, [...at.location, 'x-kong-name'], "expected 'x-kong-name' to be a string");
  return name;
}

/** --select-tag wins; else the document's `x-kong-tags`; else no tags (an empty list on every entity). */
export function kongTags(spec: Spec, given: string[] | undefined): string[] {
  if (given !== undefined) return given;
  const tags = spec.data['x-kong-tags'];
  if (tags === undefined || tags === null) return [];
  // decK reads the sequence's items only: any other value gives no tags.
  if (!Array.isArray(tags)) return [];
  return tags.map((t, i) => {
    if (typeof t !== 'string') throw specError(spec, ['x-kong-tags', i], "expected 'x-kong-tags' to be an array of strings");
    return t;
  });
}

/** An operation's own `x-kong-tags`: its route gets them after the document's (go-apiops 17a). */
export function operationTags(spec: Spec, at: Extended): string[] {
  const tags = at.value['x-kong-tags'];
  if (tags === undefined || tags === null) return [];
  const location = [...at.location, 'x-kong-tags'];
  if (!Array.isArray(tags)) throw specError(spec, location, "expected 'x-kong-tags' to be an array of strings");
  return tags.map((t, i) => {
    if (typeof t !== 'string') throw specError(spec, [...location, i], "expected 'x-kong-tags' to be an array of strings");
    return t;
  });
}

/**
 * The object at `key`, or the one its `$ref` points to under `#/components/x-kong/`; a copy,
 * so the caller may change it. undefined when the key is absent.
 */
export function xKongObject(spec: Spec, at: Extended, key: string, components: Components): Obj | undefined {
  if (!(key in at.value)) return undefined;
  const value = at.value[key];
  const location = [...at.location, key];
  if (!isObject(value)) throw specError(spec, location, `expected '${key}' to be a JSON/YAML object`);
  const ref = value.$ref;
  if (ref === undefined) return deepCopy(value);
  if (typeof ref !== 'string') throw specError(spec, [...location, '$ref'], "expected '$ref' pointer to be a string");
  if (!ref.startsWith('#/components/x-kong/')) {
    throw specError(spec, [...location, '$ref'], "all 'x-kong-...' references must be at '#/components/x-kong/...'");
  }
  let target: Obj = components.xKong;
  let path = '#/components/x-kong';
  for (const segment of ref.split('/').slice(3)) {
    path = `${path}/${segment}`;
    // getOwn: `#/components/x-kong/constructor` is not found unless written, never Object.
    const next = getOwn(target, segment);
    if (next === undefined || next === null) throw specError(spec, [...location, '$ref'], `reference '${ref}' not found`);
    if (!isObject(next)) throw specError(spec, [...location, '$ref'], `expected '${path}' to be a JSON object`);
    target = next;
  }
  return deepCopy(target);
}

export interface Defaults {
  service?: Obj;
  upstream?: Obj;
  route?: Obj;
}

export function defaultsOf(spec: Spec, at: Extended, components: Components): Defaults {
  return {
    service: xKongObject(spec, at, 'x-kong-service-defaults', components),
    upstream: xKongObject(spec, at, 'x-kong-upstream-defaults', components),
    route: xKongObject(spec, at, 'x-kong-route-defaults', components),
  };
}
