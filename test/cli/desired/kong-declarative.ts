/**
 * Shared by the ports of Kong's own unit tests of its declarative config
 * (spec/01-unit/01-db/01-schema/11-declarative_config in https://github.com/Kong/kong, Apache-2.0;
 * test/fixtures/kong-declarative/README.md says which versions, which cases, and why some are
 * not ported). Each case is a file Kong's test feeds to `DeclarativeConfig:validate` or
 * `:flatten` (or, in 05, the errors Kong found in one), with Kong's verdict as its test asserts
 * it, and `kong-ctl validate`'s verdict as the command reaches it offline (loadValidated).
 *
 * For a file Kong refuses, every error Kong reports must have a kong-ctl problem at the same
 * entity (Kong's lists count from 1, kong-ctl's from 0) naming the same field, unless the case
 * says why not (`differs`); kong-ctl's own list is asserted whole, so an extra problem is seen
 * and, where the case keeps it, explained beside it.
 */
import { expect } from 'vitest';
import { loadValidated } from '../../../cli/src/commands/desired';
import { renderDeclarative } from '../../../cli/src/apply/declarative';
import { KIND_DEFS } from '../../../cli/src/kinds';
import type { Entity, State } from '../../../cli/src/model/entity';
import type { Diagnostic } from '../../../cli/src/model/errors';

/** Kong's collections of entities, at the top of its format and nested, as its error tables nest them. */
const COLLECTIONS = new Set([
  'services', 'routes', 'plugins', 'consumers', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates', 'vaults',
  'keyauth_credentials', 'basicauth_credentials', 'hmacauth_credentials', 'jwt_secrets', 'acls', 'oauth2_credentials', 'oauth2_tokens',
  'key_sets', 'keys',
]);

export interface KongCase {
  /** Kong's `describe … it`, and which of its inputs when it has several. */
  kong: string;
  /** The file: Kong's input, with `_format_version: "3.0"` (README: kong-ctl reads 3.x files only). */
  yaml: string;
  /**
   * Kong's errors when it refuses the file, as its error table has them, one per leaf: the path
   * written as Kong counts (`services[1].routes[1].paths[1]`, `@entity` for an entity's own
   * errors), the message as Kong gives it. Absent: Kong accepts the file.
   */
  kongErrors?: Array<[path: string, message: string]>;
  /**
   * When Kong accepts the file and its test shows what it loads (03-flatten_spec): its entities
   * per collection, each by its name (username, target…) and the parents its foreign keys name
   * (`http-log service=svc1 consumer=my-consumer`); what kong-ctl renders must be the same.
   */
  flat?: Record<string, string[]>;
  /** kong-ctl's problems, all of them: `line:column entity-path: message`, warnings prefixed `warning `. */
  kongCtl: string[];
  /** Kong errors (paths of kongErrors) kong-ctl reports at another place or not at all, and why. */
  differs?: Record<string, string>;
  /** Kong errors kong-ctl reports as a warning only, and why. */
  warns?: Record<string, string>;
  /** Why kong-ctl's verdict is not Kong's, when it is not. */
  verdictDiffers?: string;
}

/** Why kong-ctl refuses what Kong takes, where the cases meet it (docs/from-deck.md, "Kong's own declarative format"). */
export const WHY = {
  unresolvedNames:
    "Kong's schema validation takes names it has not resolved; Kong's load of the file refuses them (03-flatten_spec), as kong-ctl does",
  oauth2Tokens: 'oauth2 tokens are what Kong issues to clients at run time: kong-ctl does not manage them, and says so at their key (README, "Entities managed")',
  routeIdentity: 'kong-ctl matches the routes of the files with those of Kong by name (or id): a route with neither is refused',
  oauth2Identity: 'kong-ctl refuses an oauth2 credential without a client_id (or id): Kong would generate a new one on every apply',
};

export const UNNAMED_ROUTE = 'a route needs a name or an id: without one kong-ctl cannot match it with the route in Kong';
export const OAUTH2_NO_CLIENT_ID = 'an oauth2 credential needs a client_id or an id: Kong would generate a new client_id on every apply';

/** Kong's YAML strings are indented in its Lua source; the files here are dedented, backslashes kept. */
export function y(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings.raw }, ...values).replace(/^\n/, '');
  const lines = text.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n').replace(/[ \n]*$/, '\n');
}

function brief(d: Diagnostic): string {
  const s = d.source!;
  return `${d.severity === 'warning' ? 'warning ' : ''}${s.line}:${s.column}${s.path ? ` ${s.path}` : ''}: ${d.message}`;
}

export async function kongCtlValidate(yaml: string): Promise<{ errors: number; diagnostics: Diagnostic[]; state: State }> {
  const loaded = await loadValidated({ files: [], sources: [{ name: 'kong.yaml', text: yaml }], env: {} });
  return { errors: loaded.errors, diagnostics: loaded.diagnostics, state: loaded.result.state };
}

/** What names an entity in Kong's flattened output, as the cases write it. */
function nameOf(e: Entity): string {
  const f = e.fields;
  return String(f.name ?? f.username ?? f.target ?? f.key ?? f.group ?? e.id);
}

/** kong-ctl's rendered document (`kong-ctl render`), summarised as `flat` is written. */
function renderedSummary(state: State): Record<string, string[]> {
  const byKey = new Map(state.entities.map((e) => [e.key, e]));
  const out: Record<string, string[]> = {};
  for (const r of renderDeclarative(state).entities) {
    const parents = Object.keys(KIND_DEFS[r.kind].foreignKeys)
      .filter((fk) => r.object[fk] !== undefined)
      .map((fk) => ` ${fk}=${nameOf(byKey.get(r.entity.refs[fk]!)!)}`);
    (out[KIND_DEFS[r.kind].schema] ??= []).push(`${nameOf(r.entity)}${parents.join('')}`);
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

interface KongError {
  /** kong-ctl's notation, from 0: `services[0].routes[1]`. */
  entity: string;
  /** Inside it, from 0: `paths[0]`, `config.http_endpoint`; '' for the entity's own errors (`@entity`). */
  field: string;
}

/** `services[1].routes[2].paths[1]` → the entity `services[0].routes[1]` and the field `paths[0]`. */
function kongPath(path: string): KongError {
  const segs = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) - 1 : m[1]));
  let cut = 0;
  while (cut + 1 < segs.length && typeof segs[cut] === 'string' && COLLECTIONS.has(segs[cut] as string) && typeof segs[cut + 1] === 'number') cut += 2;
  const show = (xs: Array<string | number>) => xs.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
  const field = segs.slice(cut).filter((s) => s !== '@entity');
  return { entity: show(segs.slice(0, cut)), field: show(field) };
}

/**
 * The kong-ctl problem that reports Kong's error, if any: same entity, and the same field when
 * Kong names one. A field inside another is the same place (Kong's `route.id` of a reference
 * kong-ctl reports at `route`; kong-ctl's `paths[0]` of Kong's `paths`).
 */
function reporting(ds: Diagnostic[], e: KongError): Diagnostic | undefined {
  const within = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
  const errorsFirst = [...ds.filter((d) => d.severity !== 'warning'), ...ds.filter((d) => d.severity === 'warning')];
  return errorsFirst.find((d) => {
    if ((d.source?.path ?? '') !== e.entity) return false;
    if (!e.field) return true;
    const field = /^[A-Za-z_][\w.[\]]*(?=:? )/.exec(d.message)?.[0];
    return field !== undefined && (within(field, e.field) || within(e.field, field));
  });
}

/** Runs one case: kong-ctl's whole list, its verdict against Kong's, and each of Kong's errors found at its place. */
export async function checkCase(c: KongCase): Promise<void> {
  const { errors, diagnostics, state } = await kongCtlValidate(c.yaml);
  expect(diagnostics.map(brief)).toEqual(c.kongCtl);
  const kongRefuses = c.kongErrors !== undefined;
  if (c.verdictDiffers) expect(errors > 0, c.verdictDiffers).toBe(!kongRefuses);
  else expect(errors > 0, kongRefuses ? 'Kong refuses the file' : 'Kong accepts the file').toBe(kongRefuses);
  for (const [path, message] of c.kongErrors ?? []) {
    if (c.differs?.[path]) continue;
    const found = reporting(diagnostics, kongPath(path));
    expect(found, `Kong: ${path}: ${message}`).toBeDefined();
    expect(found!.severity === 'warning', `Kong: ${path}: ${message}: kong-ctl warns only`).toBe(Boolean(c.warns?.[path]));
  }
  const paths = (c.kongErrors ?? []).map(([p]) => p);
  for (const path of [...Object.keys(c.differs ?? {}), ...Object.keys(c.warns ?? {})]) expect(paths, `names a Kong error: ${path}`).toContain(path);
  if (c.flat) {
    const kong = Object.fromEntries(Object.entries(c.flat).map(([k, v]) => [k, [...v].sort()]));
    expect(renderedSummary(state)).toEqual(kong);
  }
}
