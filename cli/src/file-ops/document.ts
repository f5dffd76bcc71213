/**
 * A decK file held as a `yaml` Document, so that the file commands (add-tags, add-plugins,
 * patch, merge…) edit nodes in place: comments, key order, quoting and anchors outside what
 * changed stay as written. decK's file commands re-serialize the data and lose all of that.
 * `${{ env "DECK_…" }}` templates are kept as written: these commands transform files, they do
 * not render them. decK renders them on the raw text before the YAML is read (a template may hold
 * quotes inside a quoted string), so each is hidden behind a plain placeholder while the YAML is
 * read and edited, and put back in the text written. Selectors see the placeholder.
 */
import { Document, LineCounter, isMap, parseDocument, type ToStringOptions } from 'yaml';
import { KongCtlError } from '../model/errors';
import { YAML_OPTIONS, yamlProblemText } from '../desired/parse';
import type { SourceText } from '../desired/sources';
import { isPlainObject } from '../desired/kong-schema-check';

export type OutputFormat = 'yaml' | 'json';

export interface DeckDocument {
  name: string;
  doc: Document;
  /** The text was JSON (one flow mapping): the output follows it unless told otherwise. */
  json: boolean;
  /** Block sequences written at their key's own column (`key:\n- a`), as go-yaml writes them. */
  seqAtKeyColumn: boolean;
  lines: LineCounter;
  /** Placeholder → the template it stands for (merge brings in those of the other files). */
  templates: Map<string, string>;
  /** The text as read, and the document rendered as read: what tells an untouched document. */
  written: string;
  renderedAsRead: string;
}

const TEMPLATE = /\$\{\{[\s\S]*?\}\}/g;
const PLACEHOLDER = /__kong_ctl_template_\d+__/g;
let placeholders = 0;

function hideTemplates(text: string): { text: string; templates: Map<string, string> } {
  const templates = new Map<string, string>();
  const hidden = text.replace(TEMPLATE, (t) => {
    const p = `__kong_ctl_template_${placeholders++}__`;
    templates.set(p, t);
    return p;
  });
  return { text: hidden, templates };
}

/**
 * The templates put back. In JSON, a template's `env "NAME"` becomes decK's other spelling
 * `env \`NAME\``, since the quotes would end the JSON string decK renders it in; and one that makes
 * a number or a boolean (`| toInt`…) stands unquoted, as the value it renders to.
 */
export function restoreTemplates(d: DeckDocument, text: string, json = false): string {
  if (d.templates.size === 0) return text;
  if (!json) return text.replace(PLACEHOLDER, (p) => d.templates.get(p) ?? p);
  const backquoted = (t: string) => t.replace(/env\s+"((?:[^"\\`]|\\.)*)"/g, (_, name: string) => `env \`${name}\``);
  return text
    .replace(/"(__kong_ctl_template_\d+__)"/g, (whole, p: string) => {
      const t = d.templates.get(p);
      return t !== undefined && /\|\s*to(?:Int|Bool|Float)\s*\}\}$/.test(t) ? backquoted(t) : whole;
    })
    .replace(PLACEHOLDER, (p) => {
      const t = d.templates.get(p);
      return t === undefined ? p : JSON.stringify(backquoted(t)).slice(1, -1);
    });
}

/**
 * Data read from the document with its templates put back, keys too: the file as written. Each
 * file has its own placeholders, so two files' data compare equal only this way.
 */
export function asWritten(d: DeckDocument, v: unknown): unknown {
  if (typeof v === 'string') return restoreTemplates(d, v);
  if (Array.isArray(v)) return v.map((x) => asWritten(d, x));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [restoreTemplates(d, k), asWritten(d, x)]));
  return v;
}

const MAX_ALIAS_COUNT = 1000;

/** The file's text as a Document whose top is a mapping; a parse problem is an error at file:line:column. */
export function parseDeckDocument(src: SourceText): DeckDocument {
  const lines = new LineCounter();
  const { text, templates } = hideTemplates(src.text);
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  const where = (offset: number) => {
    const p = lines.linePos(offset);
    return `${src.name}:${p.line}:${p.col}`;
  };
  const first = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY') ?? doc.errors[0];
  if (first) throw new KongCtlError('E_FILE_PARSE', `${where(first.pos[0])}: invalid YAML/JSON: ${yamlProblemText(first.message)}`);
  if (doc.contents === null || doc.contents === undefined) doc.contents = doc.createNode({}) as never;
  if (!isMap(doc.contents)) {
    throw new KongCtlError('E_FILE_PARSE', `${where(doc.contents.range?.[0] ?? 0)}: the top of a decK file must be a mapping (_format_version, services…)`);
  }
  const json = /^\s*\{/.test(src.text);
  const seqAtKeyColumn = /^([ \t]*)[^\s#-][^\n]*:[ \t]*\r?\n\1- /m.test(src.text);
  return { name: src.name, doc, json, seqAtKeyColumn, lines, templates, written: src.text, renderedAsRead: doc.toString(yamlOptions(seqAtKeyColumn)) };
}

function yamlOptions(seqAtKeyColumn: boolean): ToStringOptions {
  return { lineWidth: 0, indentSeq: !seqAtKeyColumn, flowCollectionPadding: false };
}

/** The plain data of the document (aliases and merge keys resolved), as the selectors see it. */
export function dataOf(d: DeckDocument): Record<string, unknown> {
  return d.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as Record<string, unknown>;
}

/** `line:column` of a node in its file, for messages. */
export function positionOf(d: DeckDocument, node: { range?: [number, number, number] | null } | null | undefined): string {
  const p = d.lines.linePos(node?.range?.[0] ?? 0);
  return `${d.name}:${p.line}:${p.col}`;
}

/**
 * The document as text. YAML keeps what was written (comments, quoting, anchors), with no line
 * folding; JSON is plain data with two-space indentation. A JSON input written as YAML becomes
 * block style, not one long flow mapping.
 */
export function renderDeckDocument(d: DeckDocument, format: OutputFormat): string {
  if (format === 'json') return restoreTemplates(d, JSON.stringify(dataOf(d), null, 2) + '\n', true);
  const options = yamlOptions(d.seqAtKeyColumn);
  if (d.json) return restoreTemplates(d, new Document(dataOf(d)).toString(options));
  const text = d.doc.toString(options);
  // A document no change touched goes back as it was read, byte for byte: the yaml library
  // writes even an untouched one in its own layout (the indentation of a sequence, the spaces
  // before a comment, a folded scalar, the final newline).
  return text === d.renderedAsRead ? d.written : restoreTemplates(d, text);
}

/** --format, else the output file's extension, else the input's own format. */
export function outputFormatOf(format: string | undefined, outputFile: string | undefined, input: DeckDocument): OutputFormat {
  if (format !== undefined) {
    const f = format.toLowerCase();
    if (f !== 'yaml' && f !== 'json') throw new KongCtlError('E_USAGE', `--format must be yaml or json, not '${format}'`);
    return f;
  }
  if (outputFile && outputFile !== '-') return /\.json$/i.test(outputFile) ? 'json' : 'yaml';
  return input.json ? 'json' : 'yaml';
}
