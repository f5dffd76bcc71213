/**
 * The file-level parts of decK's format: `_format_version`, `_info.select_tags`,
 * `_info.default_lookup_tags` and `_info.defaults`, checked and merged across files; and
 * kong-ctl's own `_info.fail_closed_guard` (guard.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Kind } from '../model/entity';
import type { Diagnostic } from '../model/errors';
import { getOwn, setOwn } from '../model/own';
import type { RawEntity } from './build';
import { DEFAULTABLE, FORMAT_VERSION } from './file-format';
import { isPlainObject } from './kong-schema-check';
import type { ParsedFile } from './parse';
import type { PathSegment } from './positions';

/** A source reference to the node at `path` of a file (its key with `key`). */
export function at(file: ParsedFile, path: PathSegment[], key = false) {
  return { file: file.name, ...file.locate(path, { key }), path: '' };
}

function info(file: ParsedFile): Record<string, unknown> {
  const c = file.content;
  return isPlainObject(c) && isPlainObject(c._info) ? c._info : {};
}

export function checkFormatVersion(file: ParsedFile): Diagnostic[] {
  const c = file.content as Record<string, unknown>;
  const v = c._format_version;
  if (v === undefined || v === null)
    return [
      {
        code: 'E_FORMAT_VERSION',
        message:
          `missing _format_version: kong-ctl reads decK's format for Kong 3.x, which starts with _format_version: "${FORMAT_VERSION}"` +
          ' (decK reads a file without it as a Kong 2.x one: `kong-ctl convert -f FILE -o NEW` converts it)',
        source: at(file, []),
      },
    ];
  if (v === FORMAT_VERSION) return [];
  if (typeof v !== 'string') {
    return [
      {
        code: 'E_FORMAT_VERSION',
        message: `_format_version must be the string "${FORMAT_VERSION}", not the ${typeof v} ${JSON.stringify(v)}: quote it`,
        source: at(file, ['_format_version']),
      },
    ];
  }
  const hint = v.startsWith('1.') || v.startsWith('2.') ? ' (`kong-ctl convert -f FILE -o NEW` converts a Kong 2.x file)' : '';
  return [
    {
      code: 'E_FORMAT_VERSION',
      message: `_format_version "${v}" is not supported: kong-ctl reads decK's format for Kong 3.x, _format_version: "${FORMAT_VERSION}"${hint}`,
      source: at(file, ['_format_version']),
    },
  ];
}

function tagList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? [...new Set(v.filter((t): t is string => typeof t === 'string'))] : undefined;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((t) => b.includes(t));
const show = (tags: string[]) => `[${tags.join(', ')}]`;

export interface SelectTagsResult {
  tags: string[];
  /** Where the file(s) declare them, for messages about the tags themselves. */
  declaredAt?: { file: ParsedFile; path: PathSegment[] };
  diagnostics: Diagnostic[];
}

/**
 * Files that declare `_info.select_tags` must declare the same set; `--select-tag` must agree
 * with them when both are given (decK's rule). Files without select tags inherit them.
 */
export function mergeSelectTags(files: ParsedFile[], cli: string[] | undefined): SelectTagsResult {
  const diagnostics: Diagnostic[] = [];
  let first: { file: ParsedFile; tags: string[] } | undefined;
  for (const file of files) {
    if (!file.content) continue;
    const tags = tagList(info(file).select_tags);
    if (!tags || tags.length === 0) continue;
    if (!first) first = { file, tags };
    else if (!sameSet(first.tags, tags)) {
      diagnostics.push({
        code: 'E_SELECT_TAGS',
        message: `_info.select_tags ${show(tags)} differ from ${show(first.tags)} in ${first.file.name}: all files must select the same tags`,
        source: at(file, ['_info', 'select_tags']),
      });
    }
  }
  const flag = [...new Set(cli ?? [])];
  if (first && flag.length > 0 && !sameSet(first.tags, flag)) {
    diagnostics.push({
      code: 'E_SELECT_TAGS',
      message:
        `select tags differ: --select-tag gives ${show(flag)} but _info.select_tags gives ${show(first.tags)}; ` +
        'give them in one place, or the same in both',
      source: at(first.file, ['_info', 'select_tags']),
    });
  }
  return {
    tags: first ? first.tags : flag,
    declaredAt: first ? { file: first.file, path: ['_info', 'select_tags'] } : undefined,
    diagnostics,
  };
}

/** decK's `_info.default_lookup_tags` keys kong-ctl resolves references with, and their kinds. */
export const LOOKUP_KEYS = { services: 'service', routes: 'route', consumers: 'consumer' } as const satisfies Record<string, Kind>;
export type LookupKind = (typeof LOOKUP_KEYS)[keyof typeof LOOKUP_KEYS];
export type LookupTags = Partial<Record<LookupKind, string[]>>;

export interface LookupTagsResult {
  tags: LookupTags;
  diagnostics: Diagnostic[];
}

/**
 * `_info.default_lookup_tags`: per kind, the tags of live entities that references the files
 * cannot resolve themselves may name (looked up in Kong, never changed). Files that declare a
 * kind's lookup tags must declare the same set; files that do not inherit them.
 */
export function mergeLookupTags(files: ParsedFile[]): LookupTagsResult {
  const tags: LookupTags = {};
  /** Where each kind's tags were first declared, for the message of a file that disagrees. */
  const declaredIn: Partial<Record<LookupKind, ParsedFile>> = {};
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    if (!file.content) continue;
    const lookup = info(file).default_lookup_tags;
    if (!isPlainObject(lookup)) continue;
    for (const [key, kind] of Object.entries(LOOKUP_KEYS)) {
      const list = tagList(lookup[key]);
      if (!list || list.length === 0) continue;
      const first = declaredIn[kind];
      if (!first) {
        tags[kind] = list;
        declaredIn[kind] = file;
      } else if (!sameSet(tags[kind]!, list)) {
        diagnostics.push({
          code: 'E_SELECT_TAGS',
          message: `_info.default_lookup_tags.${key} ${show(list)} differ from ${show(tags[kind]!)} in ${first.name}: all files must look ${key} up by the same tags`,
          source: at(file, ['_info', 'default_lookup_tags', key], true),
        });
      }
    }
  }
  return { tags, diagnostics };
}

export interface FailClosedGuardResult {
  on: boolean;
  diagnostics: Diagnostic[];
}

/**
 * `_info.fail_closed_guard`: files that set it must agree, files that do not inherit it (like
 * select tags). A value that is not a boolean is left to the schema check, which reports it.
 */
export function mergeFailClosedGuard(files: ParsedFile[]): FailClosedGuardResult {
  const diagnostics: Diagnostic[] = [];
  let first: { file: ParsedFile; on: boolean } | undefined;
  for (const file of files) {
    if (!file.content) continue;
    const v = info(file).fail_closed_guard;
    if (typeof v !== 'boolean') continue;
    if (!first) first = { file, on: v };
    else if (v !== first.on) {
      diagnostics.push({
        code: 'E_VALIDATION',
        message: `_info.fail_closed_guard is ${v} here but ${first.on} in ${first.file.name}: all files must agree on the fail-closed guard`,
        source: at(file, ['_info', 'fail_closed_guard']),
      });
    }
  }
  return { on: first?.on ?? false, diagnostics };
}

export interface DefaultsResult {
  /** Per kind (`service`, `route`, `upstream`, `target`): field → default. */
  defaults: Record<string, Record<string, unknown>>;
  /** Per kind: default fields whose value came from `${{ env … }}`. */
  masked: Record<string, string[]>;
  diagnostics: Diagnostic[];
}

export function mergeDefaults(files: ParsedFile[], maskedOf: (f: ParsedFile, p: PathSegment[]) => string[]): DefaultsResult {
  const defaults: Record<string, Record<string, unknown>> = {};
  const masked: Record<string, string[]> = {};
  const origin: Record<string, ParsedFile> = {};
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    if (!file.content) continue;
    const d = info(file).defaults;
    if (!isPlainObject(d)) continue;
    for (const kind of DEFAULTABLE) {
      const forKind = d[kind];
      if (!isPlainObject(forKind)) continue;
      const merged = (defaults[kind] ??= {});
      for (const [field, value] of Object.entries(forKind)) {
        const id = `${kind}.${field}`;
        // Own keys: a field written `constructor` (unknown, reported as such) is no earlier default.
        if (getOwn(merged, field) === undefined) {
          setOwn(merged, field, structuredClone(value));
          origin[id] = file;
        } else if (!isDeepStrictEqual(merged[field], value)) {
          diagnostics.push({
            code: 'E_VALIDATION',
            message:
              `_info.defaults.${id} is ${JSON.stringify(value)} here but ${JSON.stringify(merged[field])} ` +
              `in ${origin[id].name}: files must not disagree on defaults`,
            source: at(file, ['_info', 'defaults', kind, field]),
          });
        }
      }
      masked[kind] = [...(masked[kind] ?? []), ...maskedOf(file, ['_info', 'defaults', kind])];
    }
  }
  return { defaults, masked, diagnostics };
}

function fillMissing(target: Record<string, unknown>, defaults: Record<string, unknown>, prefix: string, filled: string[]): void {
  for (const [k, v] of Object.entries(defaults)) {
    const t = getOwn(target, k);
    if (t === undefined || t === null) {
      setOwn(target, k, structuredClone(v));
      filled.push(prefix + k);
    } else if (isPlainObject(t) && isPlainObject(v)) fillMissing(t, v, `${prefix}${k}.`, filled);
  }
}

/** decK's defaulter: fields the entity leaves unset (or null) take the `_info.defaults` value, records deeply. */
export function applyDefaults(e: RawEntity, d: DefaultsResult): void {
  const forKind = d.defaults[e.kind];
  if (!forKind) return;
  const filled: string[] = [];
  fillMissing(e.fields, forKind, '', filled);
  for (const m of d.masked[e.kind] ?? []) {
    if (filled.some((f) => m === f || m.startsWith(`${f}.`) || f.startsWith(`${m}.`))) e.masked.push(m);
  }
}
