/**
 * Offline validation of loaded declarative files: never contacts Kong, lists every problem
 * (not the first), each with file:line:column and the entity path. The result includes the
 * loader's own diagnostics, sorted by file (load order), line and column.
 */
import { routeSubschemaProblems } from '../kinds/route-subschemas';
import { hostProblem, routeHostCustomProblem, targetProblem, upstreamNameProblem } from '../kinds/kong-ip';
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Entity, Kind } from '../model/entity';
import type { Diagnostic, ErrorCode } from '../model/errors';
import type { EntitySchema, FieldList, FieldSchema, Schemas } from '../model/schema';
import { fieldEntries, recordShorthands } from '../model/schema';
import { PROJECT_PLUGINS } from '../../../plugins/registry';
import { KONG_BUNDLED_PLUGINS } from './bundled-plugins';
import { KONG_BUNDLED_PLUGIN_SCHEMAS } from './kong-plugin-schemas';
import { LATER_BUNDLED_PLUGINS } from './kong-later-fields';
import { formatEntityPath, parseEntityPath, splitPath } from './file-format';
import { checkFileSchema, closest, type SchemaProblem } from './file-schema';
import { checkEntityChecks, checkRecord, checkValue, formatFieldPath, isPlainObject, isVaultReference, validatorError, ONE_OF, REQUIRED_MISSING, type FieldProblem } from './kong-schema-check';
import { KONG_BUNDLED_VAULTS, KONG_ENTITY_SCHEMAS, OFFLINE_SCHEMAS, liveSchemas, type EntitySchemaSource } from './kong-entity-schemas';
import { KIND_DEFS, writeOnlyOf } from '../kinds';
import { LATER_KINDS } from '../current/optional-kinds';
import type { PathSegment } from './positions';
import { redirectUriProblem } from './oauth2-redirect-uri';
import { BUNDLED_URL_FIELDS, urlProblem } from './kong-url';
import { bundledPluginLuaProblems } from './kong-plugin-lua-checks';
import { ENTITY_TYPEDEF_FIELDS, PLUGIN_TYPEDEF_FIELDS, typedefProblem, valuesAt, type TypedefField } from './kong-typedefs';
import { routePathCustomCheck } from './route-paths';
import { jwkProblem, pemProblem } from './kong-key-material';
import type { DesiredFile, DesiredResult } from './types';
import { LOOKUP_KEYS } from './info';
import { mayNameLiveEntity } from './live-references';
import { getOwn } from '../model/own';

export interface ValidateOptions {
  /** Config fields of plugins known beyond the bundled ones: their configs are checked too (offline). */
  pluginSchemas?: Record<string, FieldList>;
  /**
   * The node the files are for: its entity and plugin schemas replace the offline baseline, and
   * a plugin is known exactly when the node has its schema. `schemas` must hold every kind and
   * plugin name the files use (readGateway / fetchSchemas).
   */
  kong?: { version: string; schemas: Schemas; routerFlavor?: string };
  /** `--no-deletes`: a reference the files cannot resolve may name a live entity in scope (resolved against Kong). */
  liveReferences?: boolean;
}

/** Kong's `GET /{entities}?tags=` takes at most 5 tags. */
export const MAX_SELECT_TAGS = 5;

interface ReportOptions {
  key?: boolean;
  severity?: 'error' | 'warning';
  code?: ErrorCode;
  baseline?: boolean;
}

class Reporter {
  readonly out: Diagnostic[] = [];
  /** By name, the first of a name as `find` would: looked up once per entity, over possibly thousands of files. */
  private readonly byName = new Map<string, DesiredFile>();
  constructor(files: DesiredFile[]) {
    for (const f of files) if (!this.byName.has(f.name)) this.byName.set(f.name, f);
  }

  file(name: string): DesiredFile | undefined {
    return this.byName.get(name);
  }

  /** A problem at `path` inside `file`: the entity path and field are derived from it. */
  at(file: DesiredFile, path: PathSegment[], message: string, opts: ReportOptions = {}): void {
    const split = splitPath(path);
    const field = formatFieldPath(split.field);
    const pos = file.locate(path, { key: opts.key });
    if (file.templateFailures.some((f) => f.line === pos.line && f.column === pos.column)) return;
    const d: Diagnostic = {
      code: opts.code ?? 'E_VALIDATION',
      message: field ? `${field}: ${message}` : message,
      source: { file: file.name, ...pos, path: formatEntityPath(split.entity) },
    };
    if (opts.severity === 'warning') d.severity = 'warning';
    if (opts.baseline) d.baseline = true;
    this.out.push(d);
  }

  /** A problem of an entity, at `field` (a path inside it) when given. */
  entity(e: Entity, field: PathSegment[], message: string, opts: ReportOptions = {}): void {
    const file = e.source && this.file(e.source.file);
    if (!file || !e.source) {
      const d: Diagnostic = { code: opts.code ?? 'E_VALIDATION', message: `${e.label}: ${message}` };
      if (opts.severity === 'warning') d.severity = 'warning';
      if (opts.baseline) d.baseline = true;
      this.out.push(d);
      return;
    }
    this.at(file, [...parseEntityPath(e.source.path), ...field], message, opts);
  }
}

function where(e: Entity): string {
  return e.source ? `${e.source.file}:${e.source.line}:${e.source.column} ${e.source.path}` : e.label;
}

/** The raw object of an entity as written in its file. */
function rawOf(r: Reporter, e: Entity): Record<string, unknown> | undefined {
  const file = e.source && r.file(e.source.file);
  let node: unknown = file?.content;
  for (const seg of e.source ? parseEntityPath(e.source.path) : []) {
    node = Array.isArray(node) ? node[seg as number] : isPlainObject(node) ? node[seg as string] : undefined;
  }
  return isPlainObject(node) ? node : undefined;
}

function checkSchemas(r: Reporter, files: DesiredFile[], source: EntitySchemaSource, routerFlavor?: string): void {
  for (const f of files) {
    if (f.content === undefined) continue;
    for (const p of checkFileSchema(f.content, source))
      r.at(f, p.path, withRouterReason(p, routerFlavor), { key: p.atKey, baseline: p.baseline });
    if (isPlainObject(f.content) && f.content._transform === false) r.at(f, ['_transform'], TRANSFORM_FALSE);
  }
}

/**
 * `_transform: false` tells Kong the file's credentials are already transformed (basic-auth
 * passwords hashed, as Kong's own `GET /config` and `kong config db_export` write them).
 * kong-ctl cannot honour it: the Admin API hashes every password it is sent, and diff compares a
 * file's password by hashing it. `true`, Kong's default, changes nothing.
 */
const TRANSFORM_FALSE =
  'false (credentials already hashed, as Kong exports them) is not supported: kong-ctl sends basic-auth passwords as written, ' +
  'for Kong to hash; write them in clear (e.g. from ${{ env "…" }}) and leave _transform out';

/** Route fields Kong's schema has only under `router_flavor = expressions` (kong/db/schema/entities/routes.lua). */
const EXPRESSIONS_ROUTER_FIELDS = new Set<PathSegment>(['expression', 'priority']);

/**
 * A node on another router answers "unknown field" to a route's `expression`, which does not
 * tell a file written for the expressions router (decK renders one) that the node's router,
 * not the file, is the matter.
 */
function withRouterReason(p: SchemaProblem, routerFlavor: string | undefined): string {
  const [field, list] = [p.path[p.path.length - 1], p.path[p.path.length - 3]];
  if (!routerFlavor || routerFlavor === 'expressions' || !p.atKey || list !== 'routes' || !EXPRESSIONS_ROUTER_FIELDS.has(field)) return p.message;
  if (!p.message.startsWith('unknown field')) return p.message;
  return `unknown field: Kong's routes have it under router_flavor = expressions only, and this node's is ${routerFlavor}`;
}

/** Required fields Kong has no default for, checked after `url` and `_info.defaults` are applied. */
function checkPresence(r: Reporter, e: Entity, schema: EntitySchema): void {
  const raw = rawOf(r, e);
  for (const [name, f] of fieldEntries(schema.fields)) {
    if (!f.required || f.default !== undefined || f.auto || f.type === 'foreign') continue;
    // An unusable `url` is reported as such; its missing host would only repeat it.
    if (e.kind === 'service' && name === 'host' && typeof raw?.url === 'string') continue;
    // Write-only fields (basic-auth passwords, stored hashed) may be left out to keep the live
    // value: dump omits them. Creating such a credential still needs one; Kong says so at apply.
    if (writeOnlyOf(KIND_DEFS[e.kind], e.fields).includes(name)) continue;
    if (e.fields[name] === undefined || e.fields[name] === null) r.entity(e, [name], 'required field missing');
  }
  // Foreign keys are refs here; entity checks may name them (service `client_certificate`).
  const record: Record<string, unknown> = { ...e.fields };
  for (const [fk, key] of Object.entries(e.refs)) if (key) record[fk] = key;
  for (const p of checkEntityChecks(record, schema.fields, schema.entity_checks ?? []))
    r.entity(e, p.path, p.message, { key: p.atKey });
}

const IDENTITY_FIELD: Partial<Record<Kind, string>> = {
  service: 'name',
  route: 'name',
  upstream: 'name',
  consumer: 'username',
  sni: 'name',
  target: 'target',
  plugin: 'name',
  acl: 'group',
  keyauth_credential: 'key',
  jwt_secret: 'key',
  basicauth_credential: 'username',
  hmacauth_credential: 'username',
  oauth2_credential: 'client_id',
  vault: 'prefix',
  key_set: 'name',
  key: 'kid',
};

/** Entities kong-ctl could never match with Kong's: their key has no name, and no id either. */
function checkIdentity(r: Reporter, e: Entity): void {
  if (!e.key.endsWith('#undefined')) return;
  const reasons: Partial<Record<Kind, string>> = {
    service: 'a service needs a name or an id: without one kong-ctl cannot match it with the service in Kong',
    route: 'a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong',
    keyauth_credential: 'a key-auth credential needs a key or an id: Kong would generate a new key on every apply',
    jwt_secret: 'a jwt secret needs a key or an id: Kong would generate a new key on every apply',
    oauth2_credential: 'an oauth2 credential needs a client_id or an id: Kong would generate a new client_id on every apply',
    key_set: 'a key set needs a name or an id: without one kong-ctl cannot match it with the key set in Kong',
  };
  const msg = reasons[e.kind];
  if (msg) r.entity(e, [], msg);
}

/** kong/db/schema/typedefs.lua `validate_tag`. */
const TAG = /^[ !-+\-.0-~\u0080-\uffff]+$/;
const tagMessage = (t: string) => `invalid tag '${t}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences`;
/** typedefs.utf8_name, used for service and route names. */
const UTF8_NAME = /^[A-Za-z0-9.\-_~\u0080-\uffff]+$/;

function checkNamesAndTags(r: Reporter, e: Entity, selectTags: string[]): void {
  const tags = e.fields.tags;
  if (Array.isArray(tags)) {
    tags.forEach((t, i) => {
      if (typeof t === 'string' && t !== '' && !selectTags.includes(t) && !TAG.test(t)) r.entity(e, ['tags', i], tagMessage(t));
    });
  }
  if ((e.kind === 'service' || e.kind === 'route') && typeof e.fields.name === 'string' && e.fields.name !== '') {
    const n = e.fields.name;
    if (!UTF8_NAME.test(n))
      r.entity(e, ['name'], `invalid value '${n}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`);
  }
}

function checkRoutePaths(r: Reporter, e: Entity): void {
  if (e.kind !== 'route' || !Array.isArray(e.fields.paths)) return;
  const pathsField = fieldEntries(KONG_ENTITY_SCHEMAS.route.fields).find(([n]) => n === 'paths')?.[1];
  const element = { ...(pathsField?.elements ?? { type: 'string' }) } as FieldSchema;
  e.fields.paths.forEach((p, i) => {
    // The schema check already reported what the declarative validators catch.
    if (typeof p !== 'string' || p === '' || validatorError(p, element) !== null) return;
    const problem = routePathCustomCheck(p);
    if (problem) r.entity(e, ['paths', i], problem.message, { severity: problem.severity });
  });
}

/**
 * Kong's per-protocol route rules, which its /schemas/routes answer does not show
 * (kinds/route-subschemas.ts). Offline they are judged as the default router has them: the node's
 * router (an expressions router has none) has the last word where it is asked.
 */
function checkRouteSubschemas(r: Reporter, e: Entity, kong: ValidateOptions['kong']): void {
  if (e.kind !== 'route') return;
  for (const p of routeSubschemaProblems(e.fields, kong?.routerFlavor)) {
    r.entity(e, p.field ? [p.field] : [], p.message, { key: Boolean(p.field), baseline: !kong });
  }
}

/**
 * Kong's host validators (kinds/kong-ip.ts), which its /schemas answers do not show: a service's
 * host, a target, an upstream's name, a route's hosts.
 */
function checkHosts(r: Reporter, e: Entity): void {
  const check = (field: string, problemOf: (v: string) => string | undefined) => {
    const v = e.fields[field];
    const problem = typeof v === 'string' && v !== '' ? problemOf(v) : undefined;
    if (problem) r.entity(e, [field], problem);
  };
  if (e.kind === 'service') check('host', hostProblem);
  else if (e.kind === 'target') check('target', targetProblem);
  else if (e.kind === 'upstream') check('name', upstreamNameProblem);
  else if (e.kind === 'route' && Array.isArray(e.fields.hosts)) {
    e.fields.hosts.forEach((h, i) => {
      const problem = typeof h === 'string' && h !== '' ? routeHostCustomProblem(h) : undefined;
      if (problem) r.entity(e, ['hosts', i], problem);
    });
  }
}

function pluginConfigSchemas(opts: ValidateOptions): Map<string, FieldList> {
  const m = new Map<string, FieldList>();
  for (const [name, fields] of Object.entries(opts.pluginSchemas ?? {})) m.set(name, fields);
  // This project's plugins: their own Schema is the truth, even over a fetched one.
  for (const p of PROJECT_PLUGINS) m.set(p.Name, p.Schema as unknown as FieldList);
  return m;
}

function checkPlugin(r: Reporter, e: Entity, schemas: Map<string, FieldList>, known: Set<string>, kong: ValidateOptions['kong']): void {
  if (e.kind !== 'plugin' || typeof e.fields.name !== 'string' || e.fields.name === '') return;
  const name = e.fields.name;
  // Own keys, here and in the tables by plugin name below: a plugin named `constructor` is one
  // the node has or not, never Object's function (which passed for installed, then crashed).
  const live = kong ? (getOwn(kong.schemas.plugins, name) as EntitySchema | undefined) : undefined;
  if (kong ? !live : !known.has(name)) {
    const hint = closest(name, kong ? Object.keys(kong.schemas.plugins) : known);
    const didYouMean = hint ? ` (did you mean '${hint}'?)` : '';
    if (kong) {
      r.entity(e, ['name'], `plugin '${name}'${didYouMean} is not installed on this Kong ${kong.version}: add it to Kong's \`plugins\` setting or remove it from the file`);
    } else {
      r.entity(e, ['name'], `unknown plugin '${name}'${didYouMean}: neither bundled with Kong (up to 3.9) nor one of this project's plugins`, {
        baseline: true,
      });
    }
    return;
  }
  const fields = schemas.get(name);
  if (!fields) {
    checkUrlFields(r, e);
    checkTypedefFields(r, e, (getOwn(PLUGIN_TYPEDEF_FIELDS, name) as TypedefField[] | undefined) ?? []);
    for (const p of bundledPluginLuaProblems(name, e.fields.config)) r.entity(e, p.path, p.message);
    if (live) checkLivePlugin(r, e, live);
    else if (!kong && getOwn(KONG_BUNDLED_PLUGIN_SCHEMAS, name)) checkBundledPluginOffline(r, e, KONG_BUNDLED_PLUGIN_SCHEMAS[name]);
    return;
  }
  const config = e.fields.config ?? {};
  if (!isPlainObject(config)) return;
  const problems = checkRecord(config, fields, { path: ['config'] });
  for (const p of problems) r.entity(e, p.path, p.message, { key: p.atKey });
  if (problems.length === 0) checkProjectPluginConfig(r, e, name, config);
}

/** A bundled plugin's `typedefs.url` fields (kong-url.ts), which neither kong-ctl's nor the node's schemas check. */
function checkUrlFields(r: Reporter, e: Entity): void {
  for (const path of (getOwn(BUNDLED_URL_FIELDS, String(e.fields.name)) as string[][] | undefined) ?? []) {
    let v: unknown = e.fields;
    for (const seg of path) v = isPlainObject(v) ? v[seg] : undefined;
    const problem = typeof v === 'string' && !isVaultReference(v) ? urlProblem(v) : undefined;
    if (problem) r.entity(e, path, problem);
  }
}

/**
 * Fields of Kong's typedefs whose check is Lua (kong-typedefs.ts: header names, paths, SNIs,
 * hosts, IPs or CIDRs): an entity's, or a bundled plugin's.
 */
function checkTypedefFields(r: Reporter, e: Entity, fields: TypedefField[]): void {
  for (const [path, typedef] of fields) {
    for (const v of valuesAt(e.fields, path)) {
      const problem = isVaultReference(v.value) ? undefined : typedefProblem(typedef, v.value);
      if (problem) r.entity(e, v.path, problem, { key: v.key });
    }
  }
}

const PROJECT_PLUGIN_CHECKS = new Map(PROJECT_PLUGINS.map((p) => [p.Name, p]));

/** `issuers[0].public_keys[1]: …` → its path inside the config and the message. */
const PROBLEM_LINE = /^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*): ([\s\S]+)$/;

/**
 * A config this project's plugin would refuse although its Schema accepts it (a check across
 * fields, an unreadable PEM key, a bad regex): the plugin answers such a route with 500 on every
 * request, so it is an error here, at the field the plugin names.
 */
function checkProjectPluginConfig(r: Reporter, e: Entity, name: string, config: Record<string, unknown>): void {
  const plugin = PROJECT_PLUGIN_CHECKS.get(name);
  if (!plugin?.configProblems) return;
  const report = (line: string, opts: ReportOptions): void => {
    const m = PROBLEM_LINE.exec(line);
    if (!m) return r.entity(e, ['config'], line, opts);
    const path: PathSegment[] = ['config'];
    for (const part of m[1]!.matchAll(/([A-Za-z_]\w*)|\[(\d+)\]/g)) path.push(part[1] ?? Number(part[2]));
    r.entity(e, path, m[2]!, opts);
  };
  const problems = plugin.configProblems(config);
  for (const line of problems) report(line, {});
  if (problems.length === 0) for (const line of plugin.configWarnings?.(config) ?? []) report(line, { severity: 'warning' });
}

/** The scopes a plugin's schema refuses (`consumer = typedefs.no_consumer` and the like: `eq: null`). */
function checkPluginScopes(r: Reporter, e: Entity, schema: EntitySchema, baseline = false): void {
  const own = new Map(fieldEntries(schema.fields));
  for (const [scope, key] of Object.entries(e.refs)) {
    const f = own.get(scope);
    if (key && f?.type === 'foreign' && 'eq' in f && f.eq === null) {
      r.entity(e, [scope], `plugin '${String(e.fields.name)}' cannot be applied to a ${scope}: Kong's schema for it refuses that scope`, { baseline });
    }
  }
}

/**
 * Offline, a plugin bundled with Kong against Kong 3.4.2's own schema for it, so a typo in a
 * rate-limiting config shows before any Kong is asked. No later schema is recorded: what a newer
 * Kong may have changed (a field or choice added, a field no longer required, a check across
 * fields) is a warning that points to `--online`; a wrong type or bound, or a refused scope, is
 * an error. diff and apply leave all of it to the node's own schema (baseline).
 */
function checkBundledPluginOffline(r: Reporter, e: Entity, schema: EntitySchema): void {
  checkPluginScopes(r, e, schema, true);
  checkOwnConfig(r, e, schema, { newerMayAccept: `Kong 3.4's ${String(e.fields.name)} plugin` });
}

/**
 * A plugin against the node's `GET /schemas/plugins/{name}`: its config record, the scopes it
 * refuses, its protocols and its entity checks, which Kong would otherwise only report in the
 * middle of an apply.
 */
function checkLivePlugin(r: Reporter, e: Entity, schema: EntitySchema): void {
  checkPluginScopes(r, e, schema);
  const own = new Map(fieldEntries(schema.fields));
  const protocols = own.get('protocols');
  if (protocols && e.fields.protocols !== undefined && e.fields.protocols !== null) {
    for (const p of checkValue(e.fields.protocols, protocols, ['protocols'])) r.entity(e, p.path, p.message, { key: p.atKey });
  }
  checkOwnConfig(r, e, schema);
}

interface OwnConfigCheck {
  /** Offline against a baseline schema: a field it lacks may be one a newer Kong added, for the node to judge. */
  offline?: boolean;
  /**
   * Offline against a schema with no later version recorded (named here): every problem is left
   * to the node by diff and apply (baseline), and what a newer version may have changed (a
   * field or choice added, a field no longer required, a check across fields) is only a warning.
   */
  newerMayAccept?: string;
}

/** What a later version of a schema may accept: an unknown field, a new choice, a field no longer required. */
const laterMayAccept = (p: { message: string; unknownField?: boolean }) =>
  Boolean(p.unknownField) || p.message.startsWith(ONE_OF) || p.message.startsWith(REQUIRED_MISSING);

/**
 * `config` against the subschema that defines it (a plugin's or a vault's), then the
 * subschema's checks across fields (`config.second`…).
 */
function checkOwnConfig(r: Reporter, e: Entity, schema: EntitySchema, how: OwnConfigCheck = {}): void {
  const configField = fieldEntries(schema.fields).find(([n]) => n === 'config')?.[1];
  const config = e.fields.config ?? {};
  if (!configField || configField.type !== 'record' || !isPlainObject(config)) return;
  const report = (p: FieldProblem, later: boolean) => {
    if (!how.newerMayAccept) return r.entity(e, p.path, p.message, { key: p.atKey, baseline: Boolean(how.offline) && p.unknownField });
    if (!later) return r.entity(e, p.path, p.message, { key: p.atKey, baseline: true });
    r.entity(e, p.path, `${p.message} in ${how.newerMayAccept}; a newer Kong may accept it (\`kong-ctl validate --online\` asks yours)`, {
      key: p.atKey,
      severity: 'warning',
    });
  };
  const problems = checkValue(config, configField, ['config']);
  for (const p of problems) report(p, laterMayAccept(p));
  // Checks across fields: only meaningful on a config Kong would accept, and not when
  // deprecated aliases fill fields in ways only Kong's Lua knows.
  const aliases = new Set(fieldEntries(recordShorthands(configField)).map(([n]) => n));
  if (problems.length || Object.keys(config).some((k) => aliases.has(k))) return;
  const record: Record<string, unknown> = { ...e.fields, config };
  for (const p of checkEntityChecks(record, schema.fields, schema.entity_checks ?? [])) report(p, true);
}

/**
 * A vault's `name` picks its implementation, and with it the schema of its `config`: offline the
 * `env` vault every OSS Kong bundles, online the node's `GET /schemas/vaults/{name}`.
 */
function checkVault(r: Reporter, e: Entity, kong: ValidateOptions['kong']): void {
  if (e.kind !== 'vault' || typeof e.fields.name !== 'string' || e.fields.name === '') return;
  const name = e.fields.name;
  const schemas = kong ? (kong.schemas.vaults ?? {}) : KONG_BUNDLED_VAULTS;
  // getOwn: a vault named `constructor` is unknown (it passed as known, with Object for schema).
  const schema = getOwn(schemas, name) as EntitySchema | undefined;
  if (schema) return checkOwnConfig(r, e, schema, { offline: !kong });
  const hint = closest(name, Object.keys(schemas));
  const didYouMean = hint ? ` (did you mean '${hint}'?)` : '';
  if (kong) {
    r.entity(e, ['name'], `vault '${name}'${didYouMean} is not installed on this Kong ${kong.version}: add it to Kong's \`vaults\` setting or remove it from the file`);
  } else {
    r.entity(e, ['name'], `unknown vault '${name}'${didYouMean}: Kong OSS bundles only 'env' (Kong Enterprise adds others)`, { baseline: true });
  }
}

/**
 * With `hash_secret` Kong keeps only a hash of the client secret; one it generated itself is
 * then known to nobody, and a confidential client could never authenticate.
 */
function checkOauth2Secret(r: Reporter, e: Entity): void {
  if (e.kind !== 'oauth2_credential' || e.fields.hash_secret !== true || e.fields.client_type === 'public') return;
  if (e.fields.client_secret === undefined || e.fields.client_secret === null) {
    r.entity(e, ['hash_secret'], 'with hash_secret and no client_secret, Kong generates a secret and keeps only its hash: no client could ever know it. Give client_secret (e.g. from ${{ env "…" }})', {
      severity: 'warning',
    });
  }
}

/** Each redirect URI as daos.lua's custom validator takes it (not shown by `/schemas`). */
function checkOauth2RedirectUris(r: Reporter, e: Entity): void {
  if (e.kind !== 'oauth2_credential' || !Array.isArray(e.fields.redirect_uris)) return;
  e.fields.redirect_uris.forEach((uri, i) => {
    const problem = typeof uri === 'string' ? redirectUriProblem(uri) : undefined;
    if (problem) r.entity(e, ['redirect_uris', i], problem);
  });
}

/**
 * jwt_secrets' conditional entity check (RS* algorithms; later Kongs add PS*, ES*, EdDSA) also
 * runs a custom validator on `rsa_public_key`, which `/schemas` strips: resty.openssl's
 * `pkey.new`, "invalid key". It applies exactly where the node's conditional would require the
 * key, which running that conditional on the entity without its key tells.
 */
function checkJwtPublicKey(r: Reporter, e: Entity, schema: EntitySchema): void {
  const key = e.fields.rsa_public_key;
  if (e.kind !== 'jwt_secret' || typeof key !== 'string' || isVaultReference(key)) return;
  const guards = (schema.entity_checks ?? []).filter(
    (c) => isPlainObject(c) && isPlainObject(c.conditional) && c.conditional.then_field === 'rsa_public_key',
  );
  if (checkEntityChecks({ ...e.fields, rsa_public_key: null }, schema.fields, guards).length === 0) return;
  if (!opensslTakesKey(key)) {
    r.entity(e, ['rsa_public_key'], `invalid key when algorithm is ${JSON.stringify(e.fields.algorithm)} (OpenSSL takes a PEM public or private key, not a certificate)`);
  }
}

/**
 * Certificates and their keys as Kong checks them in Lua, which `/schemas` does not show, so a
 * bad one would pass offline and fail at Kong:
 * - each PEM as `typedefs.certificate` and `typedefs.key` read it (resty.openssl `x509.new`,
 *   `pkey.new`), in kong-ctl's words, OpenSSL's differing between Kong's build and Node's;
 * - then, on what reads, certificates.lua's and ca_certificates.lua's `custom_entity_check`s, in
 *   Kong's words: a key that is the certificate's, an alternative pair of another key type, a CA
 *   certificate that is one, alone and unexpired.
 * Each PEM is parsed once.
 */
function checkCertificates(r: Reporter, e: Entity, now = Date.now()): void {
  if (e.kind !== 'certificate' && e.kind !== 'ca_certificate') return;
  const pem = (name: string): string | undefined => {
    const v = e.fields[name];
    return typeof v === 'string' && v !== '' && !isVaultReference(v) ? v : undefined;
  };
  const cert = (name: string): X509Certificate | undefined => {
    const v = pem(name);
    if (v === undefined) return undefined;
    try {
      return new X509Certificate(v);
    } catch {
      r.entity(e, [name], 'invalid certificate: OpenSSL cannot read it as a PEM certificate');
      return undefined;
    }
  };
  const key = (name: string): KeyObject | undefined => {
    const v = pem(name);
    if (v === undefined) return undefined;
    const k = opensslKey(v);
    if (!k) r.entity(e, [name], 'invalid key: OpenSSL cannot read it as a PEM key');
    return k;
  };
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' }).toString('base64');
  if (e.kind === 'certificate') {
    const main = cert('cert');
    const mainKey = key('key');
    const alt = cert('cert_alt');
    const altKey = key('key_alt');
    if (main && mainKey && spki(main.publicKey) !== spki(mainKey)) r.entity(e, ['key'], 'certificate does not match key');
    if (alt && altKey && spki(alt.publicKey) !== spki(altKey)) r.entity(e, ['key_alt'], 'alternative certificate does not match key');
    if (main && alt && main.publicKey.asymmetricKeyType === alt.publicKey.asymmetricKeyType) {
      r.entity(e, ['cert_alt'], 'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type');
    }
    return;
  }
  const text = pem('cert');
  const x = cert('cert');
  if (text === undefined || !x) return;
  if ((text.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length > 1) r.entity(e, ['cert'], 'please submit only one certificate at a time');
  else if (!x.ca) r.entity(e, ['cert'], 'certificate does not appear to be a CA because it is missing the "CA" basic constraint');
  // A warning: the file is as good as when it was written, the clock made it so (and a check
  // that turns red by itself would break pipelines at random). Kong refuses it all the same.
  else if (Date.parse(x.validTo) < now) {
    r.entity(e, ['cert'], `certificate expired, "Not After" time is in the past (${x.validTo}): Kong refuses to create or update it`, { severity: 'warning' });
  }
}

/** The public key of `pem` as OpenSSL's pkey loader takes it (a key in PEM, public or private, never a certificate), or undefined. */
function opensslKey(pem: string): KeyObject | undefined {
  if (/-----BEGIN [A-Z0-9 ]*CERTIFICATE-----/.test(pem)) return undefined;
  try {
    return createPublicKey(pem);
  } catch {
    return undefined;
  }
}

/** Whether OpenSSL's pkey loader takes `pem`. */
function opensslTakesKey(pem: string): boolean {
  return opensslKey(pem) !== undefined;
}

/**
 * keys.lua's custom entity check and typedefs.pem's custom validator (kong-key-material.ts), which
 * `/schemas` shows only as field sources and a plain record: a `jwk` is JSON whose `kid` is the
 * key's own, a key resty.openssl loads (RSA, EC, OKP) and a record typedefs.jwk takes; a `pem`'s
 * keys load and are one pair. As in Kong, the entity check does not run once `pem` (or the
 * schema, on `jwk` or `kid`) has failed. The mutual exclusion of `jwk` and `pem`, and the need
 * for one, are declarative: the schema check reports them.
 */
function checkKey(r: Reporter, e: Entity): void {
  if (e.kind !== 'key') return;
  const pem = pemProblem(e.fields.pem);
  if (pem) r.entity(e, [pem.field], pem.message);
  const { jwk, kid } = e.fields;
  if (pem || typeof jwk !== 'string' || jwk === '' || typeof kid !== 'string' || kid === '') return;
  const problem = jwkProblem(jwk, kid);
  if (problem) r.entity(e, [problem.field], problem.message);
}

/** A live node without an entity the files use: the plugin that provides it is not enabled, or the node predates it. */
function checkKindAvailable(r: Reporter, e: Entity, kong: NonNullable<ValidateOptions['kong']>): boolean {
  if (kong.schemas.entities[e.kind]) return true;
  const { schema } = KIND_DEFS[e.kind];
  const since = LATER_KINDS.get(e.kind);
  const fix = since ? `${schema} came with Kong ${since}` : 'enable the plugin that provides it';
  r.entity(e, [], `this Kong ${kong.version} has no ${schema} (GET /schemas/${schema} → 404): ${fix}`);
  return false;
}

function checkSelectTags(r: Reporter, result: DesiredResult): void {
  const declaring = result.files.find((f) => {
    const c = f.content;
    return isPlainObject(c) && isPlainObject(c._info) && Array.isArray(c._info.select_tags) && c._info.select_tags.length > 0;
  });
  const report = (path: PathSegment[], message: string, key = false) => {
    if (declaring) r.at(declaring, path, message, { key, code: 'E_SELECT_TAGS' });
    else r.out.push({ code: 'E_SELECT_TAGS', message: `--select-tag: ${message}` });
  };
  if (result.selectTags.length > MAX_SELECT_TAGS) {
    report(
      ['_info', 'select_tags'],
      `at most ${MAX_SELECT_TAGS} select tags are allowed (Kong cannot filter on more), found ${result.selectTags.length}`,
      true,
    );
  }
  const declared = declaring && isPlainObject(declaring.content) && isPlainObject(declaring.content._info)
    ? (declaring.content._info.select_tags as unknown[])
    : result.selectTags;
  declared.forEach((t, i) => {
    if (typeof t === 'string' && !TAG.test(t)) report(['_info', 'select_tags', i], tagMessage(t));
  });
}

/** `_info.default_lookup_tags`: valid tags, and only beside select tags that they do not contain. */
function checkLookupTags(r: Reporter, result: DesiredResult): void {
  for (const [key, kind] of Object.entries(LOOKUP_KEYS)) {
    const tags = result.lookupTags[kind];
    if (!tags) continue;
    const declaring = result.files.find((f) => {
      const c = f.content;
      return isPlainObject(c) && isPlainObject(c._info) && isPlainObject(c._info.default_lookup_tags) && Array.isArray(c._info.default_lookup_tags[key]);
    });
    if (!declaring) continue;
    const path = ['_info', 'default_lookup_tags', key];
    const written = ((declaring.content as { _info: { default_lookup_tags: Record<string, unknown[]> } })._info.default_lookup_tags[key]);
    written.forEach((t, i) => {
      if (typeof t === 'string' && !TAG.test(t)) r.at(declaring, [...path, i], tagMessage(t), { code: 'E_SELECT_TAGS' });
    });
    if (tags.length > MAX_SELECT_TAGS) {
      r.at(declaring, path, `at most ${MAX_SELECT_TAGS} lookup tags are allowed (Kong cannot filter on more), found ${tags.length}`, { key: true, code: 'E_SELECT_TAGS' });
    }
    if (result.selectTags.length === 0) {
      r.at(
        declaring,
        path,
        'default_lookup_tags need select tags (_info.select_tags or --select-tag): without them the files manage the whole gateway, ' +
          `so the ${key} they look up would be deleted`,
        { key: true, code: 'E_SELECT_TAGS' },
      );
    } else if (result.selectTags.every((t) => tags.includes(t))) {
      r.at(
        declaring,
        path,
        `the lookup tags [${tags.join(', ')}] include every select tag: the ${key} they find are in the files' scope, ` +
          'managed (and deleted when absent) rather than looked up',
        { key: true, code: 'E_SELECT_TAGS' },
      );
    }
  }
}

function checkReferences(r: Reporter, result: DesiredResult, liveReferences: boolean): void {
  // A name may belong to an entity of a file that could not be read: say nothing rather than guess.
  if (result.files.some((f) => f.content === undefined) || result.diagnostics.some((d) => !d.source)) return;
  // Names per kind, gathered once: thousands of unresolved references must not each scan every entity.
  const names = new Map<Kind, string[]>();
  const namesOf = (kind: Kind): string[] => {
    let out = names.get(kind);
    if (!out) {
      out = result.state.entities
        .filter((e) => e.kind === kind)
        .flatMap((e) => [e.fields.name, e.fields.username, e.fields.custom_id].filter((v): v is string => typeof v === 'string'));
      names.set(kind, out);
    }
    return out;
  };
  for (const ref of result.references) {
    // Left for the live gateway to resolve (live-references.ts), once Kong has been read.
    if (ref.resolved || mayNameLiveEntity(ref, result, liveReferences)) continue;
    const candidates = namesOf(ref.targetKind);
    const hint = closest(ref.written, candidates);
    const kind = ref.targetKind.replace(/_/g, ' ');
    const didYouMean = hint ? ` (did you mean '${hint}'?)` : '';
    const lookupKey = Object.entries(LOOKUP_KEYS).find(([, k]) => k === ref.targetKind)?.[0];
    // Within select tags, the usual reason is an entity another team's files manage.
    const elsewhere = lookupKey && result.selectTags.length ? `; one managed by other files can be named through _info.default_lookup_tags.${lookupKey}` : '';
    r.entity(ref.entity, [ref.field], `unknown ${kind} '${ref.written}'${didYouMean}: no ${kind} with this name or id in the file(s)${elsewhere}`);
  }
}

function checkDuplicates(r: Reporter, entities: Entity[]): void {
  const firstByKey = new Map<string, Entity>();
  const reported = new Set<Entity>();
  for (const e of entities) {
    if (e.key.endsWith('#undefined')) continue;
    const first = firstByKey.get(e.key);
    if (!first) {
      firstByKey.set(e.key, e);
      continue;
    }
    reported.add(e);
    const field = IDENTITY_FIELD[e.kind];
    if (e.kind === 'plugin') {
      const name = String(e.fields.name);
      r.entity(
        e,
        ['name'],
        `${e.label} is configured twice (first at ${where(first)}): Kong allows one ${name} plugin per {service, route, consumer}`,
      );
    } else r.entity(e, field && e.fields[field] !== undefined ? [field] : [], `duplicate ${e.label} (first at ${where(first)})`);
  }
  // Other unique fields: ids, consumers' custom_id, plugins' instance_name.
  const extra: Array<[Kind | '*', string]> = [['*', 'id'], ['consumer', 'custom_id'], ['plugin', 'instance_name']];
  for (const [kind, field] of extra) {
    const seen = new Map<string, Entity>();
    for (const e of entities) {
      if (reported.has(e) || (kind !== '*' && e.kind !== kind)) continue;
      const v = field === 'id' ? e.id : e.fields[field];
      if (typeof v !== 'string' || v === '') continue;
      const k = `${e.kind}|${v}`;
      const first = seen.get(k);
      if (!first) seen.set(k, e);
      else {
        reported.add(e);
        r.entity(e, [field], `duplicate ${field} '${v}': ${first.label} has it too (first at ${where(first)})`);
      }
    }
  }
}

const liveSources = new WeakMap<Schemas, EntitySchemaSource>();

/** One source per fetched schema set, so that its JSON Schema is compiled once per run. */
function liveSourceOf(kong: NonNullable<ValidateOptions['kong']>): EntitySchemaSource {
  let s = liveSources.get(kong.schemas);
  if (!s) liveSources.set(kong.schemas, (s = liveSchemas(kong.version, kong.schemas.entities)));
  return s;
}

function sortDiagnostics(ds: Diagnostic[], files: DesiredFile[]): Diagnostic[] {
  const order = new Map(files.map((f, i) => [f.name, i]));
  return ds
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const fa = a.d.source ? (order.get(a.d.source.file) ?? -1) : -2;
      const fb = b.d.source ? (order.get(b.d.source.file) ?? -1) : -2;
      if (fa !== fb) return fa - fb;
      const la = a.d.source?.line ?? 0;
      const lb = b.d.source?.line ?? 0;
      if (la !== lb) return la - lb;
      const ca = a.d.source?.column ?? 0;
      const cb = b.d.source?.column ?? 0;
      return ca !== cb ? ca - cb : a.i - b.i;
    })
    .map((x) => x.d);
}

export function validateDesired(result: DesiredResult, opts: ValidateOptions = {}): Diagnostic[] {
  const r = new Reporter(result.files);
  r.out.push(...result.diagnostics);
  const source = opts.kong ? liveSourceOf(opts.kong) : OFFLINE_SCHEMAS;
  checkSchemas(r, result.files, source, opts.kong?.routerFlavor);
  const schemas = pluginConfigSchemas(opts);
  const known = new Set([...KONG_BUNDLED_PLUGINS, ...LATER_BUNDLED_PLUGINS.map((p) => p.name), ...schemas.keys()]);
  for (const e of result.state.entities) {
    if (opts.kong && !checkKindAvailable(r, e, opts.kong)) continue;
    checkPresence(r, e, source.schemaOf(e.kind)!);
    checkIdentity(r, e);
    checkNamesAndTags(r, e, result.selectTags);
    checkRoutePaths(r, e);
    checkRouteSubschemas(r, e, opts.kong);
    checkHosts(r, e);
    checkTypedefFields(r, e, ENTITY_TYPEDEF_FIELDS[e.kind] ?? []);
    checkPlugin(r, e, schemas, known, opts.kong);
    checkVault(r, e, opts.kong);
    checkOauth2Secret(r, e);
    checkOauth2RedirectUris(r, e);
    checkJwtPublicKey(r, e, source.schemaOf(e.kind)!);
    checkCertificates(r, e);
    checkKey(r, e);
  }
  checkSelectTags(r, result);
  checkLookupTags(r, result);
  checkReferences(r, result, Boolean(opts.liveReferences));
  checkDuplicates(r, result.state.entities);
  return sortDiagnostics(r.out, result.files);
}
