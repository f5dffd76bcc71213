/**
 * `_info.fail_closed_guard: true`: keep the security plugins closed when their plugin server is
 * down. Kong proxies a request WITHOUT an external plugin whose server does not answer (see
 * test/fixtures/kong-pdk/README.md), so kong-ctl adds Kong's bundled `post-function` (priority
 * -1000, after every other plugin in `access`) wherever a security plugin is configured; its Lua
 * refuses with 503 any request the security plugins did not mark as passed in
 * `kong.ctx.shared` (plugins/shared/ctx-marker.ts). Marking costs the plugins a PDK round trip per
 * request, so it is their opt-in `mark_passed`: the guard turns it on for the plugins it guards.
 * docs/fail-closed-guard.md explains it all.
 *
 * Kong runs only the most specific plugin of a name for a request (route+service > route >
 * service > global, kong/runloop/plugins_iterator.lua), so the guard of a scope shadows the
 * guards of the scopes around it: each guard checks the markers of every enabled security plugin
 * that applies at its scope, and any user-written post-function that would shadow a guard, or
 * be shadowed by one, is a conflict.
 */
import type { Entity } from '../model/entity';
import type { Diagnostic } from '../model/errors';
import { KIND_DEFS } from '../kinds';
import { MARK_PASSED, passedMarkerKey } from '../../../plugins/shared/ctx-marker';
import { Name as JWT_CLAIMS } from '../../../plugins/jwt-claims/meta';
import { Name as WEBHOOK_SIGNATURE } from '../../../plugins/webhook-signature/meta';
import { parseEntityPath } from './file-format';
import type { DesiredFile } from './types';

/** The `_info` key that turns the guard on. */
export const GUARD_OPTION = 'fail_closed_guard';
/** Kong's bundled plugin the guard is made of (PRIORITY -1000). */
export const GUARD_PLUGIN = 'post-function';
/** The plugins that can mark what they pass (markPassed in `access`, when `mark_passed` is on): the only list of them. */
export const SECURITY_PLUGINS: readonly string[] = [JWT_CLAIMS, WEBHOOK_SIGNATURE];
/** Kong's own wording for a 503 (kong/error_handlers.lua), sent as `{"message": …}` like kong.response.exit does. */
export const GUARD_REFUSAL = { status: 503, message: 'The upstream server is currently unavailable' } as const;
/** typedefs.protocols_http: the default `protocols` of post-function and of external plugins alike. */
const DEFAULT_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https'];

/** A security plugin as the guard checks it. */
export interface GuardedPlugin {
  name: string;
  /** jwt-claims with `run_on_preflight: false` lets CORS preflights through without marking them. */
  preflightPasses?: boolean;
}

const LUA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The first line of every guard chunk. Apply ordering (apply/fail-closed-order.ts) tells
 * kong-ctl's guards from post-functions users wrote by it, on either side of a change (the live
 * side has only Kong's fields), so renderGuardLua and isFailClosedGuard must agree on it.
 */
const headerLine = (names: string) => `-- kong-ctl fail-closed guard: refuse what ${names} did not pass (docs/fail-closed-guard.md)`;
const HEADER = /^-- kong-ctl fail-closed guard: refuse what .+ did not pass \(docs\/fail-closed-guard\.md\)$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether plugin `fields` are a guard kong-ctl rendered (renderGuardLua), desired or as Kong returns it. */
export function isFailClosedGuard(fields: Readonly<Record<string, unknown>>): boolean {
  if (fields.name !== GUARD_PLUGIN || !isRecord(fields.config)) return false;
  const access = fields.config.access;
  const chunk = Array.isArray(access) ? access[0] : undefined;
  return typeof chunk === 'string' && HEADER.test(chunk.split('\n', 1)[0]);
}

function marker(name: string): string {
  const key = passedMarkerKey(name);
  if (!LUA_NAME.test(key)) throw new Error(`marker '${key}' of '${name}' is not a Lua identifier`);
  return key;
}

/**
 * The guard's Lua, one chunk for `config.access`. Kong's post-function runs the chunk itself on
 * every request as long as it does not return a function (kong/plugins/pre-function/_handler.lua
 * keeps a returned function as the handler instead): this chunk never returns one, and reads
 * `kong.ctx.shared` afresh each time because that table is per request.
 */
export function renderGuardLua(plugins: readonly GuardedPlugin[]): string {
  if (plugins.length === 0) throw new Error('a guard needs at least one security plugin');
  const ordered = [...plugins].sort((a, b) => order(a.name) - order(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = ordered.map((p) => p.name).join(' and ');
  const lines = [headerLine(names), 'local shared = kong.ctx.shared'];
  const preflight = ordered.filter((p) => p.preflightPasses).map((p) => p.name);
  if (preflight.length > 0) {
    lines.push(
      `-- ${preflight.join(' and ')} let${preflight.length === 1 ? 's' : ''} CORS preflights through unmarked (run_on_preflight: false)`,
      'local preflight = kong.request.get_method() == "OPTIONS" and kong.request.get_header("Access-Control-Request-Method") ~= nil',
    );
  }
  const refused = ordered.map((p) => (p.preflightPasses ? `not (shared.${marker(p.name)} or preflight)` : `not shared.${marker(p.name)}`));
  lines.push(
    `if ${refused.join(' or ')} then`,
    `  return kong.response.exit(${GUARD_REFUSAL.status}, { message = "${GUARD_REFUSAL.message}" })`,
    'end',
  );
  return lines.join('\n');
}

function order(name: string): number {
  const i = SECURITY_PLUGINS.indexOf(name);
  return i < 0 ? SECURITY_PLUGINS.length : i;
}

// ------------------------------------------------------------------ scopes

interface Scope {
  service: string | null;
  route: string | null;
}

const scopeOf = (e: Entity): Scope => ({ service: e.refs.service ?? null, route: e.refs.route ?? null });
const sameScope = (a: Scope, b: Scope) => a.service === b.service && a.route === b.route;
const scopeId = (s: Scope) => `${s.route ?? ''}|${s.service ?? ''}`;

/** Kong's precedence without consumers: route+service (0) > route (1) > service (2) > global (3). */
function rank(s: Scope): number {
  if (s.route && s.service) return 0;
  if (s.route) return 1;
  if (s.service) return 2;
  return 3;
}

const isPlugin = (e: Entity, name: string) => e.kind === 'plugin' && e.fields.name === name;
const enabled = (e: Entity) => e.fields.enabled !== false;
const isSecurity = (e: Entity) => e.kind === 'plugin' && SECURITY_PLUGINS.includes(String(e.fields.name));

/**
 * Whether a plugin with these fields sets its marker on what it passes: a security plugin, run
 * by Kong (enabled), with `mark_passed` on. Apply ordering (apply/fail-closed-order.ts) asks it
 * of both sides of a change.
 */
export function marksPassed(fields: Readonly<Record<string, unknown>>): boolean {
  if (!SECURITY_PLUGINS.includes(String(fields.name)) || fields.enabled === false) return false;
  return isRecord(fields.config) && fields.config[MARK_PASSED] === true;
}

/**
 * Whether a plugin at `p` runs for requests whose post-function is the one at `s`: it matches
 * those requests and is not more specific than `s` (a more specific post-function would win).
 */
function appliesAt(p: Scope, s: Scope, serviceOfRoute: (route: string) => string | null): boolean {
  const service = s.service ?? (s.route ? serviceOfRoute(s.route) : null);
  return (p.route === null || p.route === s.route) && (p.service === null || p.service === service) && rank(p) >= rank(s);
}

/** The scopes whose plugins may apply at `s` (appliesAt decides): global, its service, its route, both. */
function candidateScopes(s: Scope, serviceOfRoute: (route: string) => string | null): Scope[] {
  const service = s.service ?? (s.route ? serviceOfRoute(s.route) : null);
  const out: Scope[] = [{ service: null, route: null }];
  if (service) out.push({ service, route: null });
  if (s.route) out.push({ service: null, route: s.route });
  if (s.route && service) out.push({ service, route: s.route });
  return out;
}

function protocolsOf(e: Entity): string[] {
  const p = e.fields.protocols;
  return Array.isArray(p) ? p.map(String) : DEFAULT_PROTOCOLS;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

function where(e: Entity): string {
  return e.source ? `${e.source.file}:${e.source.line}:${e.source.column}` : e.label;
}

function describe(plugins: Entity[]): string {
  return plugins.map((p) => `${p.label} at ${where(p)}`).join(', ');
}

// ------------------------------------------------------------------ guards

export interface GuardProblem {
  /** The entity the problem is reported on, at `field` inside it. */
  entity: Entity;
  field: string[];
  message: string;
}

export interface GuardResult {
  /** One `post-function` plugin per guarded scope: global first, then services, routes, routes+services (file order within). */
  guards: Entity[];
  /**
   * Guarded security plugins whose config leaves `mark_passed` unset, each (the very object of
   * the input) with its replacement: the same entity, key, label, source and refs, with
   * `config.mark_passed: true`. By object, not by key: a plugin configured twice is reported
   * at each place, so each copy must keep its own source.
   */
  marked: Map<Entity, Entity>;
  problems: GuardProblem[];
}

interface GuardScope {
  scope: Scope;
  /** The security plugins configured on this very scope (the first gives the guard its source). */
  own: Entity[];
  /** Per security plugin name, the instance Kong runs for this scope's requests (the most specific). */
  effective: Entity[];
}

const SUGGESTION = 'write that code in a pre-function instead, or turn _info.fail_closed_guard off';

/**
 * The guard entities for `entities` (the desired state, select tags already added) and the
 * problems that keep a guard from being sound. Pure: the same state always gives the same guards.
 */
export function failClosedGuards(entities: readonly Entity[], selectTags: readonly string[]): GuardResult {
  const problems: GuardProblem[] = [];
  const routes = new Map(entities.filter((e) => e.kind === 'route').map((e) => [e.key, e]));
  const serviceOfRoute = (route: string) => routes.get(route)?.refs.service ?? null;

  const security: Entity[] = [];
  for (const e of entities) {
    if (!isSecurity(e) || !enabled(e)) continue;
    if (e.refs.consumer) {
      const name = String(e.fields.name);
      problems.push({
        entity: e,
        field: ['name'],
        message:
          `_info.fail_closed_guard cannot guard a consumer-scoped ${name}: Kong's post-function cannot be scoped to a ` +
          `consumer (its schema has consumer = null); scope ${name} to a route, a service or globally, or turn the guard off`,
      });
      continue;
    }
    security.push(e);
  }

  const marked = new Map<Entity, Entity>();
  for (const e of security) {
    const mark = withMarkPassed(e);
    if (mark.entity) marked.set(e, mark.entity);
    if (mark.problem) problems.push(mark.problem);
  }

  // Indexed by scope: files with thousands of routes stay linear.
  const byScope = new Map<string, GuardScope>();
  for (const e of security) {
    const scope = scopeOf(e);
    const known = byScope.get(scopeId(scope));
    if (known) known.own.push(e);
    else byScope.set(scopeId(scope), { scope, own: [e], effective: [] });
  }
  const scopes = [...byScope.values()];
  for (const g of scopes) {
    const byName = new Map<string, Entity>();
    for (const candidate of candidateScopes(g.scope, serviceOfRoute)) {
      for (const p of byScope.get(scopeId(candidate))?.own ?? []) {
        if (!appliesAt(scopeOf(p), g.scope, serviceOfRoute)) continue;
        const name = String(p.fields.name);
        const seen = byName.get(name);
        if (!seen || rank(scopeOf(p)) < rank(scopeOf(seen))) byName.set(name, p);
      }
    }
    g.effective = [...byName.values()].sort((a, b) => order(String(a.fields.name)) - order(String(b.fields.name)));
  }

  const blocked = new Set<string>();
  for (const u of entities) {
    if (!isPlugin(u, GUARD_PLUGIN) || u.refs.consumer) continue;
    const problem = userPostFunctionConflict(u, scopes, serviceOfRoute);
    if (!problem) continue;
    problems.push({ entity: u, field: ['name'], message: problem.message });
    if (problem.sameScope) blocked.add(scopeId(scopeOf(u)));
  }

  const guards: Entity[] = [];
  for (const g of [...scopes].sort((a, b) => rank(b.scope) - rank(a.scope))) {
    if (blocked.has(scopeId(g.scope))) continue;
    const protocols = g.effective.map(protocolsOf);
    if (!protocols.every((p) => sameSet(p, protocols[0]))) {
      problems.push({
        entity: g.own[0],
        field: ['protocols'],
        message:
          `_info.fail_closed_guard: ${describe(g.effective)} apply here with different protocols; one guard cannot ` +
          'check each of them on its own protocols only: give them the same protocols',
      });
      continue;
    }
    guards.push(guardEntity(g, sameSet(protocols[0], DEFAULT_PROTOCOLS) ? undefined : protocols[0], selectTags));
  }
  return { guards, marked, problems };
}

/**
 * A guarded plugin must set its marker (`mark_passed`, off by default since it costs a PDK round
 * trip per request): unset, kong-ctl turns it on; false or null, the guard would refuse
 * everything the plugin passes. A config or value of the wrong type is the schema check's to report.
 */
function withMarkPassed(e: Entity): { entity?: Entity; problem?: GuardProblem } {
  const config = e.fields.config ?? {};
  if (!isRecord(config)) return {};
  const value = config[MARK_PASSED];
  if (value === undefined) return { entity: { ...e, fields: { ...e.fields, config: { ...config, [MARK_PASSED]: true } } } };
  if (value === false || value === null) return { problem: markerRefused(e, value) };
  return {};
}

function markerRefused(e: Entity, value: false | null): GuardProblem {
  const name = String(e.fields.name);
  return {
    entity: e,
    field: ['config', MARK_PASSED],
    message:
      `_info.fail_closed_guard needs ${name} to mark the requests it lets through, but config.${MARK_PASSED} is ` +
      `${String(value)}: the guard kong-ctl adds would refuse every one of them with ${GUARD_REFUSAL.status}; remove ` +
      `config.${MARK_PASSED} (kong-ctl then sets it to true) or set it to true, or turn _info.fail_closed_guard off`,
  };
}

function userPostFunctionConflict(
  u: Entity,
  scopes: GuardScope[],
  serviceOfRoute: (route: string) => string | null,
): { message: string; sameScope: boolean } | undefined {
  const mine = scopeOf(u);
  const same = scopes.find((g) => sameScope(g.scope, mine));
  if (same) {
    return {
      sameScope: true,
      message:
        `${u.label} is on a scope where _info.fail_closed_guard adds kong-ctl's guard for ${describe(same.own)}: ` +
        `Kong allows one post-function per scope; ${SUGGESTION}`,
    };
  }
  // A disabled plugin shadows nothing: Kong only loads enabled ones.
  if (!enabled(u)) return undefined;
  const shadowed = scopes.filter((g) => appliesAt(g.scope, mine, serviceOfRoute));
  if (shadowed.length > 0) {
    return {
      sameScope: false,
      message:
        `${u.label} would replace kong-ctl's fail-closed guard for ${describe(shadowed.flatMap((g) => g.own))} on its ` +
        `requests (Kong runs only the most specific post-function of a request), so they would fail open there; ${SUGGESTION}`,
    };
  }
  const shadowing = scopes.filter((g) => appliesAt(mine, g.scope, serviceOfRoute));
  if (shadowing.length > 0) {
    return {
      sameScope: false,
      message:
        `kong-ctl's fail-closed guard for ${describe(shadowing.flatMap((g) => g.own))} would replace ${u.label} on ` +
        `those plugins' requests (Kong runs only the most specific post-function of a request); ${SUGGESTION}`,
    };
  }
  return undefined;
}

function guardEntity(g: GuardScope, protocols: string[] | undefined, selectTags: readonly string[]): Entity {
  const owner = g.own[0];
  const plugins: GuardedPlugin[] = g.effective.map((p) => {
    const config = p.fields.config as Record<string, unknown> | null | undefined;
    return p.fields.name === JWT_CLAIMS && config?.run_on_preflight === false ? { name: JWT_CLAIMS, preflightPasses: true } : { name: String(p.fields.name) };
  });
  const fields: Record<string, unknown> = { name: GUARD_PLUGIN, config: { access: [renderGuardLua(plugins)] } };
  if (protocols) fields.protocols = [...protocols];
  if (selectTags.length > 0) fields.tags = [...selectTags];
  const refs = { service: g.scope.service, route: g.scope.route, consumer: null };
  const def = KIND_DEFS.plugin;
  const guard: Entity = { kind: 'plugin', key: def.identity({ fields, refs }), label: def.label({ fields, refs }), fields, refs };
  if (owner.source) guard.source = { ...owner.source };
  return guard;
}

/** Problems → diagnostics at file:line:column of the field concerned. */
export function guardDiagnostics(files: readonly DesiredFile[], problems: readonly GuardProblem[]): Diagnostic[] {
  return problems.map((p) => {
    const s = p.entity.source;
    const file = s && files.find((f) => f.name === s.file);
    if (!s || !file) return { code: 'E_VALIDATION', message: `${p.entity.label}: ${p.message}` };
    const pos = file.locate([...parseEntityPath(s.path), ...p.field]);
    return { code: 'E_VALIDATION', message: p.message, source: { file: s.file, ...pos, path: s.path } };
  });
}
