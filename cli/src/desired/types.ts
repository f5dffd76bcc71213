/**
 * What loading the declarative files produces: the desired state plus everything the offline
 * validator and the output need (positions, references as written, substituted secrets).
 */
import type { Document } from 'yaml';
import type { Entity, Kind, SourceRef, State } from '../model/entity';
import type { Diagnostic } from '../model/errors';
import type { LookupTags } from './info';
import type { LineCol, PathSegment } from './positions';
import type { SourceText } from './sources';

export interface LoadOptions {
  /** `-f` values: files, directories (every *.yaml|*.yml|*.json below, sorted), or `-` for stdin. */
  files: string[];
  /** Where `${{ env "…" }}` reads from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** `--select-tag` values. */
  selectTags?: string[];
  /** Reads stdin when a file is `-`. */
  readStdin?: () => Promise<string>;
  /** Texts already in hand (`convert` checks its output before anyone reads it), instead of `files`. */
  sources?: SourceText[];
  /**
   * Files at least this many characters long (after templating) are parsed item by item when
   * their shape allows it, with the same result (default 256 Ki); `Infinity` never does.
   */
  chunkedParseMinChars?: number;
}

/** One loaded file. `content` and `doc` are undefined when it could not be read or parsed. */
export interface DesiredFile {
  /** As shown in messages: the path as given (or found in a directory), `<stdin>` for `-`. */
  name: string;
  content?: unknown;
  doc?: Document;
  /** Where `${{ … }}` could not be rendered (already reported): problems of their stand-in values are consequences, not news. */
  templateFailures: LineCol[];
  /** Line and column (1-based, in the file as written) of the node at `path`, or of its deepest existing ancestor. */
  locate(path: PathSegment[], opts?: { key?: boolean }): LineCol;
}

/** A foreign key as the file wrote it, kept for messages and for the reference check. */
export interface WrittenRef {
  entity: Entity;
  /** `service`, `route`, `consumer`, `client_certificate`. */
  field: string;
  targetKind: Kind;
  /** The name or id written, e.g. `orders`. */
  written: string;
  /** Where the reference is written. */
  source: SourceRef;
  /** True when it names an entity of the file(s). */
  resolved: boolean;
}

export interface DesiredResult {
  /** Flat list of entities; keys from kinds/*.ts identity(). */
  state: State;
  /** `_info.select_tags` and `--select-tag`, merged. */
  selectTags: string[];
  /** `_info.default_lookup_tags` per kind: references the files cannot resolve may name live entities carrying them. */
  lookupTags: LookupTags;
  /** Every value substituted from `${{ env "…" }}`: output masks them as [masked]. */
  secrets: string[];
  /** Problems found while loading (unreadable/unparsable files, templating, format version, select tags, nesting). */
  diagnostics: Diagnostic[];
  formatVersion: string;
  info: { defaults?: Record<string, unknown> };
  /** The files in load order (validateDesired maps paths inside them to positions). */
  files: DesiredFile[];
  /** Foreign keys as written (not those implied by nesting). */
  references: WrittenRef[];
}
