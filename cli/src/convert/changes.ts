/**
 * What converting a Kong 2.x decK file to `_format_version: "3.0"` changes, found on the file's
 * plain value (no YAML here), as a list of changes applied later to the text or the document.
 */
import { isPlainObject } from '../desired/kong-schema-check';
import type { PathSegment } from '../desired/positions';
import { migrateLegacyPath } from './legacy-path';
import { AUTO_FIELDS, REMOVED_FIELDS, RENAMED_CONFIG_FIELDS, SINGLE_VALUE_HEADERS, appliesTo } from './legacy-plugins';

export const TARGET_FORMAT_VERSION = '3.0';
/** The versions Kong 3.x itself still loads (kong/db/declarative/migrations/route_path.lua). */
export const LEGACY_FORMAT_VERSIONS = ['1.1', '2.1'];

/**
 * A file without `_format_version` is a Kong 2.x one: decK reads it as its default "1.1" (its
 * sync refuses to apply it to Kong 3.x, naming "1.1", and its convert tests convert one).
 */
export function isLegacyFormatVersion(version: unknown): boolean {
  return version === undefined || version === null || LEGACY_FORMAT_VERSIONS.includes(String(version));
}

/** What one change is listed as; a change that writes several values (a new `config`) lists each. */
export interface Report {
  path: PathSegment[];
  message: string;
  /** A pinned value that leaves TLS certificates unverified: the summary asks for a review. */
  insecure?: boolean;
}

interface Listed {
  message: string;
  /** Instead of `path` and `message`: one line per value the change writes. */
  reports?: Report[];
  insecure?: boolean;
}

export type Change =
  | ({ op: 'set'; path: PathSegment[]; value: unknown } & Listed)
  /** A key the mapping does not have yet: `path` is the new pair's; `first` puts it at the top. */
  | ({ op: 'add'; path: PathSegment[]; value: unknown; first?: boolean } & Listed)
  /** `path` is the pair whose key becomes `to`. */
  | ({ op: 'rename'; path: PathSegment[]; to: string } & Listed)
  | ({ op: 'remove'; path: PathSegment[] } & Listed);

/** The lines a change is listed as. */
export function reportsOf(c: Change): Report[] {
  return c.reports ?? [{ path: c.path, message: c.message, insecure: c.insecure }];
}

export interface Refusal {
  path: PathSegment[];
  message: string;
  /** A warning leaves the value as it is; an error stops the conversion. */
  severity: 'error' | 'warning';
}

export interface Found {
  changes: Change[];
  refusals: Refusal[];
}

export const TEMPLATE = /\$\{\{/;
const isEmpty = (v: unknown) =>
  v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
const show = (v: unknown) => JSON.stringify(v);

/** Routes where Kong's own loader migrates them: top level and nested in a top-level service. */
export function routePlaces(content: Record<string, unknown>): PathSegment[][] {
  const places: PathSegment[][] = [];
  const each = (list: unknown, at: PathSegment[]) => {
    if (Array.isArray(list)) list.forEach((_, i) => places.push([...at, i]));
  };
  each(content.routes, ['routes']);
  if (Array.isArray(content.services))
    content.services.forEach((s, i) => isPlainObject(s) && each(s.routes, ['services', i, 'routes']));
  return places;
}

/** Every plugin of the file: top level, and nested in whatever holds a `plugins` list. */
export function pluginPlaces(node: unknown, at: PathSegment[], out: PathSegment[][] = []): PathSegment[][] {
  if (Array.isArray(node)) node.forEach((item, i) => pluginPlaces(item, [...at, i], out));
  else if (isPlainObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'config' && at.length > 0 && at[at.length - 2] === 'plugins') continue;
      if (key === 'plugins' && Array.isArray(value)) value.forEach((p, i) => isPlainObject(p) && out.push([...at, 'plugins', i]));
      pluginPlaces(value, [...at, key], out);
    }
  }
  return out;
}

export function get(root: unknown, path: PathSegment[]): unknown {
  let node = root;
  for (const seg of path) node = (node as Record<PathSegment, unknown> | undefined)?.[seg];
  return node;
}

function routeChanges(content: Record<string, unknown>, found: Found): void {
  for (const place of routePlaces(content)) {
    const paths = get(content, [...place, 'paths']);
    if (!Array.isArray(paths)) continue;
    paths.forEach((p, k) => {
      const at = [...place, 'paths', k];
      if (typeof p !== 'string') return;
      if (TEMPLATE.test(p)) {
        found.refusals.push({ path: at, severity: 'warning', message: `${show(p)} comes from \${{ … }}: check by hand that its value suits Kong 3.x (a regex needs the ~ prefix)` });
        return;
      }
      const m = migrateLegacyPath(p);
      if (m.kind === 'unchanged') return;
      if (m.kind === 'regex' && p.startsWith('~/')) {
        found.refusals.push({
          path: at,
          severity: 'warning',
          message: `${show(p)} already has Kong 3.x's ~ prefix: left as it is (Kong's own migration would read it as a 2.x regex and make it ${show(m.path)})`,
        });
        return;
      }
      const why =
        m.kind === 'regex'
          ? 'Kong 2.x read this path as a regex; Kong 3.x needs the ~ prefix to do so'
          : 'Kong 3.x refuses a path that is not normalized';
      found.changes.push({ op: 'set', path: at, value: m.path, message: `${show(p)} → ${show(m.path)}: ${why}` });
    });
  }
}

function pluginChanges(content: Record<string, unknown>, found: Found): void {
  for (const place of pluginPlaces(content, [])) {
    const plugin = get(content, place) as Record<string, unknown>;
    const name = plugin.name;
    const config = isPlainObject(plugin.config) ? plugin.config : undefined;
    for (const r of REMOVED_FIELDS) {
      if (!appliesTo(r.plugins, name)) continue;
      const holder = r.where === 'plugin' ? plugin : config;
      if (!holder || !(r.field in holder)) continue;
      const path = r.where === 'plugin' ? [...place, r.field] : [...place, 'config', r.field];
      found.changes.push({ op: 'remove', path, message: `removed: ${r.why}` });
    }
    if (!config) continue;
    for (const a of AUTO_FIELDS) {
      if (!appliesTo(a.plugins, name) || (a.field in config && config[a.field] !== null)) continue;
      const value = a.generate();
      const op = a.field in config ? 'set' : 'add';
      found.changes.push({ op, path: [...place, 'config', a.field], value, message: `added ${show(value)}, ${a.why}` });
    }
    for (const r of RENAMED_CONFIG_FIELDS) {
      if (!appliesTo(r.plugins, name) || !(r.from in config)) continue;
      const from = [...place, 'config', r.from];
      const to = [...place, 'config', r.to];
      if (!(r.to in config) || isEmpty(config[r.to])) {
        if (r.to in config) found.changes.push({ op: 'remove', path: to, message: `removed, empty: ${r.from} takes its place` });
        found.changes.push({ op: 'rename', path: from, to: r.to, message: `${r.from} → ${r.to}: ${r.why}` });
      } else if (isEmpty(config[r.from])) {
        found.changes.push({ op: 'remove', path: from, message: `removed, empty: ${r.why}, and ${r.to} is set` });
      } else {
        found.refusals.push({
          path: from,
          severity: 'error',
          message: `both ${r.from} and ${r.to} are set: ${r.why}, and which of the two lists this plugin should keep is yours to say`,
        });
      }
    }
    if (name === SINGLE_VALUE_HEADERS.plugin && isPlainObject(config[SINGLE_VALUE_HEADERS.field])) {
      for (const [header, value] of Object.entries(config[SINGLE_VALUE_HEADERS.field] as Record<string, unknown>)) {
        if (!Array.isArray(value)) continue;
        const path = [...place, 'config', SINGLE_VALUE_HEADERS.field, header];
        const why = 'Kong 3.0 takes one string per header';
        if (value.length === 0) found.changes.push({ op: 'remove', path, message: `removed: an empty list sends no header, and ${why}` });
        else if (value.every((v) => typeof v === 'string')) {
          const joined = value.join(', ');
          const how = value.length > 1 ? ' (values of one header joined with ", ", as HTTP reads them)' : '';
          found.changes.push({ op: 'set', path, value: joined, message: `${show(value)} → ${show(joined)}: ${why}${how}` });
        }
      }
    }
  }
}

/** The changes for a file whose `_format_version` is legacy (checked by the caller). */
export function findChanges(content: Record<string, unknown>): Found {
  const version: Change =
    content._format_version === undefined
      ? {
          op: 'add',
          path: ['_format_version'],
          value: TARGET_FORMAT_VERSION,
          first: true,
          message: `added "${TARGET_FORMAT_VERSION}": the file has none, which decK reads as "1.1", a Kong 2.x file`,
        }
      : {
          op: 'set',
          path: ['_format_version'],
          value: TARGET_FORMAT_VERSION,
          message: `${content._format_version === null ? 'null' : show(String(content._format_version))} → "${TARGET_FORMAT_VERSION}"`,
        };
  const found: Found = { changes: [version], refusals: [] };
  routeChanges(content, found);
  pluginChanges(content, found);
  return found;
}

/** The changes applied to a copy of the plain value: what the converted file must read as. */
export function applyToValue(content: Record<string, unknown>, changes: Change[]): Record<string, unknown> {
  const out = structuredClone(content);
  for (const c of changes) {
    const parent = get(out, c.path.slice(0, -1)) as Record<PathSegment, unknown>;
    const last = c.path[c.path.length - 1];
    if (c.op === 'set') parent[last] = c.value;
    else if (c.op === 'add') {
      const rest = { ...parent };
      for (const k of Object.keys(parent)) delete parent[k];
      Object.assign(parent, c.first ? { [last]: c.value, ...rest } : { ...rest, [last]: c.value });
    } else if (c.op === 'remove') delete parent[last];
    else {
      parent[c.to] = parent[last];
      delete parent[last];
    }
  }
  return out;
}
