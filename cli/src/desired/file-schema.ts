/**
 * The JSON Schema of a decK file for Kong 3.x, generated from Kong's own entity schemas
 * (kong-entity-schemas.ts) plus decK's layout (file-format.ts), and checked with ajv. Field
 * values carry their Kong field schema in an `x-kong` keyword whose validator runs Kong's
 * validators (kong-schema-check.ts), so type, range and pattern messages are Kong's.
 * Foreign keys are decK-style: a name or id, or `{id: …}` / `{name: …}`.
 */
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Kind } from '../model/entity';
import type { FieldSchema } from '../model/schema';
import { fieldEntries, recordShorthands } from '../model/schema';
import { KIND_DEFS } from '../kinds';
import { CHILDREN, DEFAULTABLE, SUGAR_FIELDS, TOP_LEVEL, UNMANAGED_KEYS, UNMANAGED_SCOPES } from './file-format';
import { LOOKUP_KEYS } from './info';
import { checkEntityChecks, fieldError, isPlainObject, isVaultReference, typeError, validatorError } from './kong-schema-check';
import { KONG_ENTITY_SCHEMAS, OFFLINE_SCHEMAS, entityFields, type EntitySchemaSource } from './kong-entity-schemas';
import type { PathSegment } from './positions';
import { closest } from './closest';
import { getOwn } from '../model/own';

export { closest };

type JsonSchema = Record<string, unknown>;

const TYPE_TO_JSON: Record<string, string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  array: 'array',
  set: 'array',
  map: 'object',
  record: 'object',
};

/** Kong field schema → JSON Schema. `null` stands for "not set", as in decK (Go's nil pointer). */
export function fieldToJsonSchema(f: FieldSchema): JsonSchema {
  const t = TYPE_TO_JSON[f.type];
  if (!t) return {}; // json, function: anything
  const s: JsonSchema = { type: [t, 'null'], 'x-kong': f };
  if ((f.type === 'array' || f.type === 'set') && f.elements) s.items = fieldToJsonSchema(f.elements);
  if (f.type === 'map' && f.values) s.additionalProperties = fieldToJsonSchema(f.values);
  if (f.type === 'record') {
    const props: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [name, sub] of fieldEntries(f.fields)) {
      props[name] = fieldToJsonSchema(sub);
      if (sub.required && sub.default === undefined && !sub.auto) required.push(name);
    }
    // Deprecated aliases (plugin `config.redis_host`…): Kong publishes their type only.
    for (const [name, sub] of fieldEntries(recordShorthands(f))) {
      if (!(name in props)) props[name] = fieldToJsonSchema({ type: sub.type });
    }
    s.properties = props;
    s.additionalProperties = false;
    if (required.length) s.required = required;
  }
  return s;
}

function foreignSchema(reference: string): JsonSchema {
  return {
    type: ['string', 'object', 'null'],
    properties: { id: { type: 'string' }, name: { type: 'string' }, username: { type: 'string' } },
    additionalProperties: false,
    'x-kong': { type: 'foreign', reference },
  };
}

/** Own fields of a kind, as the file may write them (no required list: presence is checked after defaults). */
function entityProperties(kind: Kind, withForeign: boolean, source: EntitySchemaSource): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  for (const [name, f] of fieldEntries(entityFields(kind, source))) {
    if (f.type === 'foreign') {
      if (withForeign && name in KIND_DEFS[kind].foreignKeys) props[name] = foreignSchema(String(f.reference));
      continue;
    }
    if (name === 'id') props.id = { type: ['string', 'null'], format: 'uuid', 'x-kong': { type: 'string' } };
    // A plugin's or vault's config depends on its name: validate.ts checks it against that schema.
    else if ((kind === 'plugin' || kind === 'vault') && name === 'config') props.config = { type: ['object', 'null'], 'x-kong': { type: 'record' } };
    else props[name] = fieldToJsonSchema(f);
  }
  for (const s of SUGAR_FIELDS[kind] ?? []) props[s] = { type: ['string', 'null'], 'x-kong': { type: 'string' } };
  // decK's `_config`: the `_plugin_configs` record the plugin takes unset config keys from.
  if (kind === 'plugin' && withForeign) props._config = { type: ['string', 'null'], 'x-kong': { type: 'string' } };
  return props;
}

const list = (items: JsonSchema): JsonSchema => ({ type: ['array', 'null'], items, 'x-kong': { type: 'array' } });
const ref = (kind: Kind): JsonSchema => ({ $ref: `#/$defs/${kind}` });

/**
 * Kong's declarative format lets the file and each of its entities carry a `_comment` (a string)
 * and an `_ignore` (a list of anything), which Kong checks and then leaves out
 * (kong/db/schema/others/declarative_config.lua `add_extra_attributes`): so does kong-ctl (build.ts).
 */
const ANNOTATIONS: Record<string, JsonSchema> = {
  _comment: { type: ['string', 'null'], 'x-kong': { type: 'string' } },
  _ignore: { type: ['array', 'null'], 'x-kong': { type: 'array' } },
};

export function buildFileJsonSchema(source: EntitySchemaSource = OFFLINE_SCHEMAS): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const kind of Object.keys(KONG_ENTITY_SCHEMAS) as Kind[]) {
    const props = entityProperties(kind, true, source);
    for (const c of CHILDREN[kind]) props[c.key] = list(ref(c.kind));
    Object.assign(props, ANNOTATIONS);
    defs[kind] = { type: 'object', properties: props, additionalProperties: false, 'x-kong': { type: 'record', entity: kind } };
  }
  const defaults: Record<string, JsonSchema> = {};
  for (const kind of DEFAULTABLE) {
    const props = entityProperties(kind, false, source);
    delete props.id;
    for (const s of SUGAR_FIELDS[kind] ?? []) delete props[s];
    defaults[kind] = { type: ['object', 'null'], properties: props, additionalProperties: false, 'x-kong': { type: 'record' } };
  }
  const top: Record<string, JsonSchema> = {
    _format_version: {},
    // decK's and Kong's: whether Kong transforms what it loads (hashes basic-auth passwords);
    // validate.ts refuses `false`, which kong-ctl cannot honour.
    _transform: { type: ['boolean', 'null'], 'x-kong': { type: 'boolean' } },
    ...ANNOTATIONS,
    _info: {
      type: ['object', 'null'],
      'x-kong': { type: 'record' },
      additionalProperties: false,
      properties: {
        select_tags: list({ type: 'string', 'x-kong': { type: 'string' } }),
        default_lookup_tags: {
          type: ['object', 'null'],
          properties: Object.fromEntries(Object.keys(LOOKUP_KEYS).map((k) => [k, list({ type: 'string', 'x-kong': { type: 'string' } })])),
          additionalProperties: false,
          'x-kong': { type: 'record', entity: 'default_lookup_tags' },
        },
        // kong-ctl's own option (guard.ts); decK does not know it.
        fail_closed_guard: { type: ['boolean', 'null'], 'x-kong': { type: 'boolean' } },
        defaults: { type: ['object', 'null'], properties: defaults, additionalProperties: false, 'x-kong': { type: 'record' } },
      },
    },
  };
  for (const t of TOP_LEVEL) top[t.key] = list(ref(t.kind));
  // decK's shared plugin configs: name → config record (plugin-configs.ts).
  top._plugin_configs = {
    type: ['object', 'null'],
    additionalProperties: { type: 'object', 'x-kong': { type: 'record' } },
    'x-kong': { type: 'map' },
  };
  return { $defs: defs, type: 'object', properties: top, additionalProperties: false, 'x-kong': { type: 'record', entity: '' } };
}

/** Runs Kong's validators where JSON Schema has no equivalent; type errors are left to `type`. */
function kongKeyword(schema: FieldSchema, data: unknown): boolean {
  const self = kongKeyword as unknown as { errors: Partial<ErrorObject>[] | null };
  self.errors = null;
  if (data === null || data === undefined) return true;
  if (schema.type === 'foreign' || typeError(data, schema) !== null) return true;
  if (schema.referenceable && isVaultReference(data)) return true;
  const errors: Partial<ErrorObject>[] = [];
  if (schema.type === 'map' && isPlainObject(data)) {
    const keys = { ...(schema.keys ?? { type: 'string' }), required: true } as FieldSchema;
    for (const k of Object.keys(data)) {
      const err = fieldError(k, keys);
      if (err) errors.push({ keyword: 'x-kong', message: `invalid key: ${err}`, params: { key: k } });
    }
  }
  if (schema.type === 'record' && isPlainObject(data) && Array.isArray(schema.entity_checks)) {
    for (const p of checkEntityChecks(data, schema.fields ?? [], schema.entity_checks as unknown[])) {
      errors.push({ keyword: 'x-kong', message: p.message, params: { path: p.path } });
    }
  }
  if (schema.type !== 'record') {
    const err = validatorError(data, schema);
    // A value outside `one_of`: the kind of problem a newer Kong may not have (problemOf).
    const unknownValue = Array.isArray(schema.one_of) && !schema.one_of.includes(data);
    if (err) errors.push({ keyword: 'x-kong', message: err, params: unknownValue ? { unknownValue } : {} });
  }
  self.errors = errors.length ? errors : null;
  return errors.length === 0;
}

const compiled = new WeakMap<EntitySchemaSource, ValidateFunction>();

function validator(source: EntitySchemaSource): ValidateFunction {
  let v = compiled.get(source);
  if (v) return v;
  // Unoptimised code compiles in half the time, and the schema is compiled on every run.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { optimize: false } });
  addFormats(ajv, ['uuid']);
  ajv.addKeyword({ keyword: 'x-kong', schemaType: 'object', errors: true, validate: kongKeyword });
  v = ajv.compile(buildFileJsonSchema(source));
  compiled.set(source, v);
  return v;
}

export interface SchemaProblem {
  /** Path in the file of the value concerned. */
  path: PathSegment[];
  /** Point at the key rather than the value (unknown fields). */
  atKey: boolean;
  message: string;
  /**
   * An unknown field or value judged against the offline baseline: a Kong newer than the
   * versions kong-ctl knows may accept it, so a live node's schemas have the last word.
   */
  baseline?: boolean;
  /** A decK key for entities kong-ctl does not manage (file-format.ts UNMANAGED_KEYS). */
  unmanaged?: boolean;
}

function decodePointer(pointer: string, content: unknown): PathSegment[] {
  if (!pointer) return [];
  const out: PathSegment[] = [];
  let node: unknown = content;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = isPlainObject(node) ? node[seg] : undefined;
    }
  }
  return out;
}

const KONG_TYPE_MESSAGE: Record<string, string> = {
  foreign: 'expected a name or an id',
};

/**
 * The file's own layout (its top-level keys, `_info` and the lists of `_info.defaults` and
 * `_info.default_lookup_tags`) is decK's format, not a Kong schema: no newer node makes an
 * unknown key there right.
 */
function isFileLayout(parent: PathSegment[]): boolean {
  return parent.length === 0 || (parent[0] === '_info' && parent.length <= 2);
}

function problemOf(e: ErrorObject, content: unknown, live: boolean): SchemaProblem | null {
  const p = problemOfError(e, content);
  const unknownValue = e.keyword === 'x-kong' && (e.params as { unknownValue?: boolean }).unknownValue === true;
  const unknownKey = e.keyword === 'additionalProperties' && !isFileLayout(decodePointer(e.instancePath, content));
  if (p && !live && !p.unmanaged && (unknownKey || unknownValue)) p.baseline = true;
  return p;
}

function problemOfError(e: ErrorObject, content: unknown): SchemaProblem | null {
  const path = decodePointer(e.instancePath, content);
  const kong = ((e.parentSchema as JsonSchema | undefined)?.['x-kong'] ?? {}) as FieldSchema;
  switch (e.keyword) {
    case 'type': {
      const message =
        KONG_TYPE_MESSAGE[kong.type] ?? typeError(e.data, kong.type ? kong : ({ type: 'record' } as FieldSchema)) ?? String(e.message);
      return { path, atKey: false, message };
    }
    case 'additionalProperties': {
      const prop = String((e.params as { additionalProperty: string }).additionalProperty);
      const entity = (kong as { entity?: string }).entity;
      // getOwn: an unknown key named `constructor` is no unmanaged decK key (Object's function).
      const what = entity === undefined ? undefined : (getOwn(UNMANAGED_KEYS[entity] ?? {}, prop) as string | undefined);
      if (what) {
        const message = `kong-ctl does not manage ${what}: remove this key from the file (kong-ctl neither reads nor writes them)`;
        return { path: [...path, prop], atKey: true, message, unmanaged: true };
      }
      const scope = entity === undefined ? undefined : (getOwn(UNMANAGED_SCOPES[entity] ?? {}, prop) as string | undefined);
      if (scope) {
        const message = `kong-ctl does not manage ${scope}: remove this ${entity} from the file, not just this key, without which it would apply more widely`;
        return { path: [...path, prop], atKey: true, message, unmanaged: true };
      }
      const known = Object.keys(((e.parentSchema as JsonSchema)?.properties ?? {}) as object);
      const hint = closest(prop, known);
      return { path: [...path, prop], atKey: true, message: `unknown field${hint ? ` (did you mean '${hint}'?)` : ''}` };
    }
    case 'required': {
      const prop = String((e.params as { missingProperty: string }).missingProperty);
      return { path: [...path, prop], atKey: false, message: 'required field missing' };
    }
    case 'format':
      return { path, atKey: false, message: 'expected a valid UUID' };
    case 'x-kong': {
      const p = e.params as { key?: string; path?: PathSegment[] };
      if (p.key !== undefined) return { path: [...path, p.key], atKey: true, message: String(e.message) };
      return { path: [...path, ...(p.path ?? [])], atKey: false, message: String(e.message) };
    }
    default:
      return { path, atKey: false, message: String(e.message) };
  }
}

/** Every schema problem of one file's content, judged against `source`'s entity schemas. */
export function checkFileSchema(content: unknown, source: EntitySchemaSource = OFFLINE_SCHEMAS): SchemaProblem[] {
  const validate = validator(source);
  if (validate(content)) return [];
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const p = problemOf(e, content, source.liveVersion !== undefined);
    if (!p) continue;
    const id = `${JSON.stringify(p.path)}|${p.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out;
}
