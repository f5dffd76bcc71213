/**
 * One source text → templated, parsed, positioned file. YAML and JSON both go through the
 * `yaml` parser (JSON is YAML 1.2) so that every node keeps its range.
 */
import { isScalar, visit, type Document } from 'yaml';
import type { Diagnostic } from '../model/errors';
import { isPlainObject } from './kong-schema-check';
import { PositionMap, nodeAt, nodeStart } from './positions';
import type { SourceText } from './sources';
import { renderEnvTemplate } from './template';
import type { Substitution } from './template';
import type { DesiredFile } from './types';
import { parseYaml } from './yaml-chunks';

/** decK reads YAML with go-yaml, which honours `<<` merge keys: so do we. */
export const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, merge: true } as const;

/** The yaml parser's wording of a problem, without its "at line x, column y" suffix: positions are ours. */
export function yamlProblemText(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
}

/** Below this many characters a file is always parsed as one document (pieces would gain nothing). */
export const CHUNKED_PARSE_MIN_CHARS = 256 * 1024;

export interface ParsedFile extends DesiredFile {
  substitutions: Substitution[];
  positions: PositionMap;
}

/**
 * Each key written a second time in a mapping, at its second place. The parser says only "Map
 * keys must be unique", and where the first one's value is empty (`routes:` then `routes:`
 * again) it points at that empty value: a reader of the message could not tell which key, nor
 * find the one to remove. (decK keeps the last one silently: a second `services:` would drop
 * the first one's services.)
 */
function duplicateKeys(doc: Document): Array<{ key: string; first: number; repeat: number }> {
  const out: Array<{ key: string; first: number; repeat: number }> = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Map<unknown, number>();
      for (const pair of map.items) {
        const k = pair.key;
        // Merge keys (`<<`) may repeat: the parser allows it too (YAML_OPTIONS.merge).
        if (!isScalar(k) || (k.value === '<<' && YAML_OPTIONS.merge)) continue;
        const start = k.range?.[0] ?? 0;
        const first = seen.get(k.value);
        if (first === undefined) seen.set(k.value, start);
        else out.push({ key: String(k.value), first, repeat: start });
      }
    },
  });
  return out;
}

export function parseSource(
  src: SourceText,
  env: NodeJS.ProcessEnv,
  chunkedParseMinChars = CHUNKED_PARSE_MIN_CHARS,
): { file: ParsedFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const rendered = renderEnvTemplate(src.text, env);
  const positions = new PositionMap(src.text, rendered.substitutions);
  const at = (originalOffset: number) => ({ file: src.name, ...positions.lineCol(originalOffset), path: '' });
  for (const p of rendered.problems)
    diagnostics.push({ code: p.kind === 'unset' ? 'E_ENV_UNSET' : 'E_FILE_PARSE', message: p.message, source: at(p.offset) });

  const file: ParsedFile = {
    name: src.name,
    substitutions: rendered.substitutions,
    positions,
    templateFailures: rendered.substitutions.filter((s) => s.failed).map((s) => positions.lineCol(s.origStart)),
    locate(path, opts) {
      if (!this.doc) return { line: 1, column: 1 };
      return positions.fromRendered(nodeStart(nodeAt(this.doc, path, opts)));
    },
  };

  // A big file is parsed in pieces when its shape allows (yaml-chunks.ts): the same Document,
  // a fraction of the memory.
  const doc = parseYaml(rendered.text, YAML_OPTIONS, chunkedParseMinChars);
  // After a syntax error the parser's further errors mostly echo it; duplicate keys stand alone.
  const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  const duplicates = doc.errors.some((e) => e.code === 'DUPLICATE_KEY') ? duplicateKeys(doc) : [];
  for (const e of doc.errors.filter((x) => x === firstSyntax || (x.code === 'DUPLICATE_KEY' && !duplicates.length))) {
    // The parser's own wording, without its "at line x, column y" suffix: the position is ours.
    const message = yamlProblemText(e.message);
    diagnostics.push({ code: 'E_FILE_PARSE', message: `invalid YAML/JSON: ${message}`, source: at(positions.toOriginal(e.pos[0])) });
  }
  // The parser's wording too, with the key named, at the key to remove.
  for (const d of duplicates) {
    const first = positions.fromRendered(d.first).line;
    diagnostics.push({
      code: 'E_FILE_PARSE',
      message: `invalid YAML/JSON: Map keys must be unique: '${d.key}' is already at line ${first}`,
      source: at(positions.toOriginal(d.repeat)),
    });
  }
  if (doc.errors.length > 0) return { file, diagnostics };
  for (const w of doc.warnings) {
    diagnostics.push({
      code: 'E_FILE_PARSE',
      severity: 'warning',
      message: yamlProblemText(w.message),
      source: at(positions.toOriginal(w.pos[0])),
    });
  }
  let content: unknown;
  try {
    content = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    diagnostics.push({ code: 'E_FILE_PARSE', message: `invalid YAML/JSON: ${(err as Error).message}`, source: at(0) });
    return { file, diagnostics };
  }
  if (content === null || content === undefined) content = {};
  if (!isPlainObject(content)) {
    diagnostics.push({
      code: 'E_FILE_PARSE',
      message: 'expected a mapping at the top of the file (_format_version, services, consumers, …)',
      source: at(positions.toOriginal(nodeStart(doc.contents))),
    });
    return { file, diagnostics };
  }
  file.doc = doc;
  file.content = content;
  return { file, diagnostics };
}
