/**
 * One parsed file → raw entities: nesting unfolded, own fields separated from foreign keys,
 * child lists and server-managed fields, `url` sugar expanded. Keys and references are
 * resolved later, across all files (load.ts), because a reference may name an entity of
 * another file.
 */
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { Kind } from '../model/entity';
import type { Diagnostic } from '../model/errors';
import { KIND_DEFS } from '../kinds';
import { CHILDREN, SUGAR_FIELDS, TOP_LEVEL, formatEntityPath } from './file-format';
import type { ChildCollection } from './file-format';
import { isPlainObject } from './kong-schema-check';
import type { ParsedFile } from './parse';
import { nodeAt } from './positions';
import type { PathSegment } from './positions';
import type { Substitution } from './template';

export interface RawEntity {
  kind: Kind;
  id?: string;
  fields: Record<string, unknown>;
  /** Foreign keys implied by nesting: field → parent. */
  parents: Record<string, RawEntity>;
  /** Foreign keys written in the file: field → name or id as written, and where. */
  written: Record<string, { value: string; path: PathSegment[] }>;
  file: ParsedFile;
  path: PathSegment[];
  /** Field paths whose value came from `${{ env … }}`. */
  masked: string[];
  /** A plugin's `_config`: the `_plugin_configs` record it takes unset config keys from (plugin-configs.ts). */
  configSource?: string;
}

const SERVER_MANAGED = new Set(['id', 'created_at', 'updated_at']);
/** decK's own keys inside an entity, never sent to Kong. */
const DECK_KEYS: Partial<Record<Kind, string>> = { plugin: '_config' };
/** Kong's declarative annotations (file-schema.ts): Kong checks their type and leaves them out, as kong-ctl does. */
const ANNOTATIONS = new Set(['_comment', '_ignore']);

/** decK writes references as a name or id, or as `{id: …}` / `{name: …}`. */
export function writtenReference(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (isPlainObject(v)) {
    for (const k of ['id', 'name', 'username']) if (typeof v[k] === 'string' && v[k] !== '') return v[k] as string;
  }
  return undefined;
}

/** Substitutions that put a value in the text, in text order (so both their starts and their ends ascend). */
const valuesOf = new WeakMap<Substitution[], Substitution[]>();

function overlaps(node: Node, subs: Substitution[]): boolean {
  const r = node.range;
  if (!r) return false;
  let values = valuesOf.get(subs);
  if (!values) valuesOf.set(subs, (values = subs.filter((s) => !s.failed && s.end > s.start)));
  // The first value ending after the node's start is the only candidate: bisect, since every
  // scalar of every entity asks and a file may hold thousands of substitutions.
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid].end > r[0]) hi = mid;
    else lo = mid + 1;
  }
  return lo < values.length && values[lo].start < r[1];
}

function anyOverlap(node: unknown, subs: Substitution[]): boolean {
  if (isScalar(node)) return overlaps(node, subs);
  if (isMap(node)) return node.items.some((p) => isPair(p) && anyOverlap(p.value, subs));
  if (isSeq(node)) return node.items.some((n) => anyOverlap(n, subs));
  return false;
}

/** Map paths are precise; a value inside a list marks the whole list. */
function collectMasked(node: unknown, prefix: string, subs: Substitution[], out: string[]): void {
  if (isMap(node)) {
    for (const p of node.items) {
      if (!isPair(p) || !isScalar(p.key)) continue;
      const key = String(p.key.value);
      collectMasked(p.value, prefix ? `${prefix}.${key}` : key, subs, out);
    }
  } else if (anyOverlap(node, subs)) out.push(prefix);
}

export function maskedPaths(file: ParsedFile, path: PathSegment[], keep: (field: string) => boolean): string[] {
  if (!file.doc || file.substitutions.length === 0) return [];
  const node = nodeAt(file.doc, path);
  const out: string[] = [];
  if (!isMap(node)) return out;
  for (const p of node.items) {
    if (!isPair(p) || !isScalar(p.key)) continue;
    const key = String(p.key.value);
    if (keep(key)) collectMasked(p.value, key, file.substitutions, out);
  }
  return out;
}

/**
 * Kong's `url` shorthand for services (kong/db/schema/entities/services.lua): protocol, host,
 * port (80 for http, 443 for https, else 80) and path. decK, unlike Kong, requires a scheme.
 */
export function expandServiceUrl(url: string): { fields: Record<string, unknown> } | { error: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(url);
  if (!m) return { error: `invalid url '${url}': expected scheme://host[:port][/path]` };
  const protocol = m[1].toLowerCase();
  const authority = m[2].replace(/^.*@/, '');
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority);
  const host = hp?.[1] ?? '';
  if (!host) return { error: `invalid url '${url}': missing host` };
  const portText = hp?.[2];
  let port: number;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText)) return { error: `invalid url '${url}': bad port '${portText}'` };
    port = Number(portText);
  } else port = protocol === 'https' ? 443 : 80;
  const fields: Record<string, unknown> = { protocol, host, port };
  if (m[3]) fields.path = m[3];
  return { fields };
}

/**
 * Whether a reference written on a nested entity names the entity it is nested under (its id,
 * name or username): redundant, and harmless, as decK reads it.
 */
function namesEntity(v: unknown, e: RawEntity): boolean {
  const w = writtenReference(v);
  return w !== undefined && (w === e.id || w === e.fields.name || w === e.fields.username);
}

function parentLabel(e: RawEntity): string {
  const label = KIND_DEFS[e.kind].label({ fields: e.fields, refs: {}, id: e.id });
  // Without a name or an id (`route #?`), where it is says which one.
  return label.endsWith('#?') ? `the ${e.kind.replace(/_/g, ' ')} at ${formatEntityPath(e.path)}` : label;
}

/** What a top-level entry's parent reference may hold (load.ts NAME_FIELDS), and where the parent is listed. */
const FK_NAMES: Record<string, string> = { upstream: 'name or id', certificate: 'id', consumer: 'username or id' };
const PARENT_LIST: Record<string, string> = { upstream: 'upstreams', certificate: 'certificates', consumer: 'consumers' };

interface BuildContext {
  file: ParsedFile;
  entities: RawEntity[];
  diagnostics: Diagnostic[];
}

function buildOne(
  ctx: BuildContext,
  kind: Kind,
  obj: Record<string, unknown>,
  path: PathSegment[],
  parent?: { entity: RawEntity; via: ChildCollection },
): void {
  const def = KIND_DEFS[kind];
  const children = CHILDREN[kind];
  const childKeys = new Set(children.map((c) => c.key));
  const fkFields = Object.keys(def.foreignKeys);
  const sugar = new Set(SUGAR_FIELDS[kind] ?? []);
  const isField = (k: string) =>
    !SERVER_MANAGED.has(k) && !childKeys.has(k) && !fkFields.includes(k) && !sugar.has(k) && k !== DECK_KEYS[kind] && !ANNOTATIONS.has(k);

  const fields: Record<string, unknown> = {};
  // Copies, so that defaults and select tags never reach into the file's content; a primitive is its own copy.
  for (const [k, v] of Object.entries(obj)) if (isField(k)) fields[k] = typeof v === 'object' && v !== null ? structuredClone(v) : v;
  const masked = maskedPaths(ctx.file, path, (k) => isField(k) || sugar.has(k));

  if (kind === 'service' && typeof obj.url === 'string') {
    const r = expandServiceUrl(obj.url);
    if ('error' in r) {
      ctx.diagnostics.push({
        code: 'E_VALIDATION',
        message: `url: ${r.error}`,
        source: { file: ctx.file.name, ...ctx.file.locate([...path, 'url']), path: formatEntityPath(path) },
      });
    } else {
      const urlMasked = masked.includes('url');
      for (const [k, v] of Object.entries(r.fields)) {
        // Fields written beside `url` win over it, as in decK.
        if (fields[k] === undefined || fields[k] === null) {
          fields[k] = v;
          if (urlMasked) masked.push(k);
        }
      }
    }
  }
  const ownMasked = masked.filter((m) => m !== 'url');

  const raw: RawEntity = {
    kind,
    fields,
    parents: {},
    written: {},
    file: ctx.file,
    path,
    masked: ownMasked,
  };
  if (typeof obj.id === 'string' && obj.id !== '') raw.id = obj.id;
  if (kind === 'plugin' && typeof obj._config === 'string') raw.configSource = obj._config;

  for (const fk of fkFields) {
    if (parent && parent.via.parentField === fk) {
      raw.parents[fk] = parent.entity;
      if (obj[fk] !== undefined && obj[fk] !== null && !namesEntity(obj[fk], parent.entity)) {
        ctx.diagnostics.push({
          code: 'E_VALIDATION',
          message:
            `${fk}: not allowed here: this ${kind.replace(/_/g, ' ')} is nested under ` +
            `${parentLabel(parent.entity)}, which is its ${fk}`,
          source: { file: ctx.file.name, ...ctx.file.locate([...path, fk], { key: true }), path: formatEntityPath(path) },
        });
      }
      continue;
    }
    const w = writtenReference(obj[fk]);
    if (w !== undefined) raw.written[fk] = { value: w, path: [...path, fk] };
  }
  ctx.entities.push(raw);

  for (const c of children) {
    const list = obj[c.key];
    if (!Array.isArray(list)) continue;
    list.forEach((child, i) => {
      if (isPlainObject(child)) buildOne(ctx, c.kind, child, [...path, c.key, i], { entity: raw, via: c });
    });
  }
}

/**
 * Raw entities of one file, parents before children, in file order. Ill-typed parts are
 * skipped: the schema check reports them.
 */
export function buildEntities(file: ParsedFile): { entities: RawEntity[]; diagnostics: Diagnostic[] } {
  const ctx: BuildContext = { file, entities: [], diagnostics: [] };
  const content = file.content;
  if (!isPlainObject(content)) return ctx;
  for (const top of TOP_LEVEL) {
    const list = content[top.key];
    if (!Array.isArray(list)) continue;
    list.forEach((obj, i) => {
      if (!isPlainObject(obj)) return;
      const path = [top.key, i];
      buildOne(ctx, top.kind, obj, path);
      // Kong's own top-level list (`targets:`): the entry joins the parent it names, resolved
      // across the files as any reference is (load.ts); without one it belongs nowhere.
      const fk = top.parentField;
      if (fk && writtenReference(obj[fk]) === undefined && (obj[fk] === undefined || obj[fk] === null)) {
        ctx.diagnostics.push({
          code: 'E_VALIDATION',
          message: `${fk}: required field missing: an entry of the top-level ${top.key} names its ${fk} (by ${FK_NAMES[fk]}), or nests under it (${PARENT_LIST[fk]}[].${top.key})`,
          source: { file: file.name, ...file.locate(path), path: formatEntityPath(path) },
        });
      }
    });
  }
  return { entities: ctx.entities, diagnostics: ctx.diagnostics };
}
