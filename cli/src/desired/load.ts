/**
 * `-f` files → desired state. Reading and templating are the only side effects; everything
 * after is pure: parse, unfold nesting, merge the files (lists concatenated, format version
 * and select tags must agree), apply `_info.defaults`, resolve foreign keys to entity keys
 * against the files' own entities, add the select tags, and with `_info.fail_closed_guard` the
 * guards of the security plugins, whose `mark_passed` it turns on (guard.ts). Problems are
 * collected, never thrown: call validateDesired(result) for the full list (it includes these).
 */
import type { Entity, Kind } from '../model/entity';
import type { Diagnostic } from '../model/errors';
import { KIND_DEFS } from '../kinds';
import { buildEntities, maskedPaths } from './build';
import type { RawEntity } from './build';
import { formatEntityPath } from './file-format';
import { failClosedGuards, guardDiagnostics } from './guard';
import { applyDefaults, checkFormatVersion, mergeDefaults, mergeFailClosedGuard, mergeLookupTags, mergeSelectTags } from './info';
import { parseSource } from './parse';
import type { ParsedFile } from './parse';
import { readSources } from './sources';
import type { DesiredResult, LoadOptions, WrittenRef } from './types';
import { applyPluginConfigs, mergePluginConfigs } from './plugin-configs';

export type { DesiredResult, LoadOptions, DesiredFile, WrittenRef } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fields a reference by name may use, per kind referred to, in the order they are tried (an id always works). */
export const NAME_FIELDS: Partial<Record<Kind, string[]>> = {
  service: ['name'],
  route: ['name'],
  upstream: ['name'],
  consumer: ['username', 'custom_id'],
  certificate: [],
  key_set: ['name'],
};

interface RefIndex {
  byId: Map<string, string>;
  byName: Map<string, string>;
}

function keyOf(e: RawEntity, refs: Record<string, string | null>): string {
  return KIND_DEFS[e.kind].identity({ fields: e.fields, refs, id: e.id });
}

function buildIndex(raws: RawEntity[], keys: Map<RawEntity, string>): Map<Kind, RefIndex> {
  const index = new Map<Kind, RefIndex>();
  for (const e of raws) {
    const names = NAME_FIELDS[e.kind];
    if (!names) continue;
    let ix = index.get(e.kind);
    if (!ix) index.set(e.kind, (ix = { byId: new Map(), byName: new Map() }));
    const key = keys.get(e) as string;
    if (e.id && !ix.byId.has(e.id)) ix.byId.set(e.id, key);
    for (const n of names) {
      const v = e.fields[n];
      if (typeof v === 'string' && !ix.byName.has(v)) ix.byName.set(v, key);
    }
  }
  return index;
}

/** The key a written reference stands for; unresolved ones still get the key they would have. */
function resolve(kind: Kind, written: string, index: Map<Kind, RefIndex>): { key: string; resolved: boolean } {
  const ix = index.get(kind);
  const hit = ix?.byId.get(written) ?? ix?.byName.get(written);
  if (hit) return { key: hit, resolved: true };
  if (UUID.test(written) || kind === 'certificate') return { key: `${kind}:#${written}`, resolved: false };
  return { key: `${kind}:${written}`, resolved: false };
}

function withSelectTags(fields: Record<string, unknown>, selectTags: string[]): Record<string, unknown> {
  if (selectTags.length === 0) return fields;
  const own = fields.tags;
  if (own !== undefined && own !== null && !Array.isArray(own)) return fields; // ill-typed: the schema check reports it
  const tags = [...((own as unknown[] | null | undefined) ?? [])];
  for (const t of selectTags) if (!tags.includes(t)) tags.push(t);
  return { ...fields, tags };
}

/** Raw entities → entities: foreign keys resolved to keys, select tags added, keys and labels computed. */
function assemble(raws: RawEntity[], selectTags: string[]): { entities: Entity[]; references: WrittenRef[] } {
  // Entities that can be referred to are identified without foreign keys: key them first.
  const keys = new Map<RawEntity, string>();
  for (const e of raws) if (NAME_FIELDS[e.kind]) keys.set(e, keyOf(e, {}));
  const index = buildIndex(raws, keys);

  const entities: Entity[] = [];
  const references: WrittenRef[] = [];
  for (const raw of raws) {
    const def = KIND_DEFS[raw.kind];
    const refs: Record<string, string | null> = {};
    const written: Array<{ field: string; target: Kind; resolved: boolean }> = [];
    for (const [fk, target] of Object.entries(def.foreignKeys)) {
      const parent = raw.parents[fk];
      if (parent) refs[fk] = keys.get(parent) ?? keyOf(parent, {});
      else if (raw.written[fk]) {
        const r = resolve(target, raw.written[fk].value, index);
        refs[fk] = r.key;
        written.push({ field: fk, target, resolved: r.resolved });
      } else refs[fk] = null;
    }
    const fields = withSelectTags(raw.fields, selectTags);
    const entity: Entity = {
      kind: raw.kind,
      key: def.identity({ fields, refs, id: raw.id }),
      label: def.label({ fields, refs, id: raw.id }),
      fields,
      refs,
      source: { file: raw.file.name, ...raw.file.locate(raw.path), path: formatEntityPath(raw.path) },
    };
    if (raw.id) entity.id = raw.id;
    if (raw.masked.length) entity.masked = [...new Set(raw.masked)];
    entities.push(entity);
    for (const w of written) {
      references.push({
        entity,
        field: w.field,
        targetKind: w.target,
        written: raw.written[w.field].value,
        resolved: w.resolved,
        source: { file: raw.file.name, ...raw.file.locate(raw.written[w.field].path), path: formatEntityPath(raw.path) },
      });
    }
  }

  return { entities, references };
}

export async function loadDesired(opts: LoadOptions): Promise<DesiredResult> {
  const env = opts.env ?? process.env;
  const diagnostics: Diagnostic[] = [];
  const read = opts.sources ? { sources: opts.sources, diagnostics: [] } : await readSources(opts.files, opts.readStdin);
  diagnostics.push(...read.diagnostics);

  const files: ParsedFile[] = [];
  const raws: RawEntity[] = [];
  let formatVersion = '';
  for (const src of read.sources) {
    const parsed = parseSource(src, env, opts.chunkedParseMinChars);
    files.push(parsed.file);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.file.content) continue;
    const fv = checkFormatVersion(parsed.file);
    diagnostics.push(...fv);
    const v = (parsed.file.content as Record<string, unknown>)._format_version;
    if (!formatVersion && typeof v === 'string') formatVersion = v;
    const built = buildEntities(parsed.file);
    raws.push(...built.entities);
    diagnostics.push(...built.diagnostics);
  }

  const select = mergeSelectTags(files, opts.selectTags);
  diagnostics.push(...select.diagnostics);
  const lookup = mergeLookupTags(files);
  diagnostics.push(...lookup.diagnostics);
  const shared = mergePluginConfigs(files);
  diagnostics.push(...shared.diagnostics, ...applyPluginConfigs(raws, shared.configs));
  const defaults = mergeDefaults(files, (f, p) => maskedPaths(f, p, () => true));
  diagnostics.push(...defaults.diagnostics);
  for (const e of raws) applyDefaults(e, defaults);

  let { entities, references } = assemble(raws, select.tags);
  const guard = mergeFailClosedGuard(files);
  diagnostics.push(...guard.diagnostics);
  if (guard.on) {
    const g = failClosedGuards(entities, select.tags);
    // The guarded plugins as they must reach Kong (mark_passed on), in their places.
    entities = [...entities.map((e) => g.marked.get(e) ?? e), ...g.guards];
    references = references.map((r) => ({ ...r, entity: g.marked.get(r.entity) ?? r.entity }));
    diagnostics.push(...guardDiagnostics(files, g.problems));
  }

  const substituted = files.flatMap((f) => f.substitutions.filter((s) => !s.failed && s.value !== ''));
  const secrets = [...new Set(substituted.map((s) => s.value))];
  const infoDefaults = Object.keys(defaults.defaults).length ? { defaults: defaults.defaults } : {};
  return {
    state: { entities },
    selectTags: select.tags,
    lookupTags: lookup.tags,
    secrets,
    diagnostics,
    formatVersion,
    info: infoDefaults,
    files,
    references,
  };
}
