/**
 * Parsing a big decK file piece by piece. `yaml.parseDocument` of a 4 MB file peaks near
 * 400 MB: the CST and the node tree of the whole file exist at once. Most decK files are a
 * top-level block mapping whose lists (`services:`, `consumers:` …) are block sequences, and
 * the items of such a list can be parsed a batch at a time, their node offsets shifted back to
 * where they sit in the file, then grafted into a parse of the rest of the file (the "shell",
 * where each item is a placeholder of the same length). The result is the Document the whole
 * parse gives, as far as anything here reads it: the same contents, the same start offset for
 * every node, the same range for every scalar (where a map or a list ends may differ: nothing
 * reads it). Peak memory follows the batch, not the file.
 *
 * The file is lexed once, by the lexer the whole parse uses, so the batches' parsers see the
 * very tokens the whole parse would. The shape is checked on those tokens, and anything not
 * plainly safe is refused: flow style or anything but keys at the top level, anchors, aliases,
 * tags, merge keys, directives, document markers other than a leading `---`, several
 * documents, tabs in whitespace, control characters. So is any batch or shell that parses
 * with an error or a warning. The caller then parses the whole text, so that problems and their
 * positions are always those of the whole parse.
 */
import { CST, Composer, Lexer, Parser, isMap, isPair, isSeq, parseDocument } from 'yaml';
import type { Document, DocumentOptions, ParseOptions, ParsedNode, SchemaOptions } from 'yaml';

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

/** Items are parsed in batches of about this many characters: enough to amortise a parse, little enough to bound memory. */
export const BATCH_CHARS = 16 * 1024;

/** Characters the lexer's own markers could be taken for (and errors in YAML anyway), and a CR that ends no line. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]|\r(?!\n)/;

/** Where the current line is in the file's top-level structure. */
type State =
  | 'start' // before the first key
  | 'key' // on a top-level key's line, before its `:`
  | 'value' // on a top-level key's line, after its `:`
  | 'block' // after a key whose value starts on a later line
  | 'seq' // inside a top-level block sequence
  | 'other'; // inside any other top-level value

class Refused extends Error {}

interface Sequence {
  /** Position of its key among the top-level keys. */
  keyIndex: number;
  nodes: ParsedNode[];
}

/** Parses tokens of the whole file's lexer as a document of their own. */
function parseTokens(tokens: string[], length: number, options: YamlOptions): Document[] {
  const parser = new Parser();
  function* cst() {
    yield* parser.next(CST.DOCUMENT);
    for (const t of tokens) yield* parser.next(t);
    yield* parser.end();
  }
  return [...new Composer(options).compose(cst(), true, length)];
}

/** Moves every node's range by `delta`. */
function shift(node: unknown, delta: number): void {
  if (!node || typeof node !== 'object') return;
  if (isPair(node)) {
    shift(node.key, delta);
    shift(node.value, delta);
    return;
  }
  const range = (node as { range?: [number, number, number] }).range;
  if (range) {
    range[0] += delta;
    range[1] += delta;
    range[2] += delta;
  }
  if (isMap(node) || isSeq(node)) for (const item of node.items) shift(item, delta);
}

const clean = (doc: Document) => doc.errors.length === 0 && doc.warnings.length === 0;

class PieceParser {
  private readonly sequences: Sequence[] = [];
  private readonly shell: string[] = [];
  private shellPos = 0;

  // The lexer's position.
  private offset = 0;
  private lineStart = 0;
  private atLineStart = true;
  private scalarBody = false;
  private blockHeader = false;
  private afterDocStart = false;
  private documents = 0;
  private flow = 0;

  // The top-level structure.
  private state: State = 'start';
  private keys = 0;
  private seq: Sequence | undefined;
  private seqIndent = 0;
  /** The open item's `-`. */
  private dash = -1;

  // Tokens not parsed yet: those of the open batch, else of the current line. `lineToken` is
  // the index of the current line's first token.
  private tokens: string[] = [];
  private lineToken = 0;
  private batchStart = -1;
  private batchItems = 0;

  constructor(
    private readonly text: string,
    private readonly options: YamlOptions,
    private readonly batchChars: number,
  ) {}

  run(): Document {
    if (CONTROL.test(this.text)) throw new Refused('control character, byte order mark or lone CR');
    for (const token of new Lexer().lex(this.text)) this.token(token);
    if (this.offset !== this.text.length) throw new Refused('the tokens do not cover the text');
    if (this.flow !== 0) throw new Refused('unbalanced flow collection');
    if (this.state === 'key') throw new Refused('top-level key without `:`');
    this.lineStart = this.text.length;
    this.lineToken = this.tokens.length;
    this.endSequence();
    return this.assemble();
  }

  private token(token: string): void {
    if (token === CST.DOCUMENT) {
      if (++this.documents > 1) throw new Refused('several documents');
      return;
    }
    this.tokens.push(token);
    if (token === CST.SCALAR) {
      this.scalarBody = true;
      return;
    }
    const start = this.offset;
    this.offset += token.length;
    let type: string | null;
    if (this.scalarBody) {
      this.scalarBody = false;
      if (this.blockHeader) {
        // A block scalar's body: its lines are text, not structure. It starts a line. An empty
        // one still belongs to its header's line, and leaves the next token first on this one.
        this.blockHeader = false;
        if (token === '') this.lineToken = this.tokens.length;
        else if (token.endsWith('\n')) this.newLine();
        else this.atLineStart = false;
        return;
      }
      if (token === '<<') throw new Refused('merge key');
      type = 'plain';
    } else type = CST.tokenType(token);

    switch (type) {
      case 'newline':
        this.afterDocStart = false;
        this.newLine();
        return;
      case 'space':
        if (token.includes('\t')) throw new Refused('tab');
        return;
      case 'comment':
        this.atLineStart = false;
        return;
      case 'anchor':
      case 'alias':
      case 'tag':
      case 'directive-line':
      case 'doc-end':
      case 'flow-error-end':
      case 'byte-order-mark':
      case null:
        throw new Refused(type ?? 'unknown token');
      case 'doc-start':
        if (start !== 0) throw new Refused('document marker');
        this.afterDocStart = true;
        this.atLineStart = false;
        return;
      case 'block-scalar-header':
        this.blockHeader = true;
        break;
      case 'flow-map-start':
      case 'flow-seq-start':
        this.flow++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (--this.flow < 0) throw new Refused('unbalanced flow collection');
        break;
    }
    if (this.afterDocStart) throw new Refused('content after ---');
    if (this.atLineStart) {
      this.atLineStart = false;
      this.lineContent(type, start);
    } else if (this.state === 'key') {
      if (type !== 'map-value-ind') throw new Refused('top-level key without `:`');
      this.state = 'value';
    } else if (this.state === 'value') this.state = 'other';
  }

  private newLine(): void {
    this.atLineStart = true;
    this.lineStart = this.offset;
    if (this.batchStart < 0) this.tokens.length = 0;
    this.lineToken = this.tokens.length;
  }

  /** The first token of a line, other than a comment. */
  private lineContent(type: string, start: number): void {
    const indent = start - this.lineStart;
    if (this.state === 'key') throw new Refused('top-level key without `:`');
    if (this.state === 'value') this.state = 'block';
    if (this.flow > 0 && (indent === 0 || (this.state === 'seq' && indent <= this.seqIndent)))
      throw new Refused('flow collection continued at a low indentation');
    if (this.state === 'seq' && indent > this.seqIndent) return;
    if (type === 'seq-item-ind' && this.state === 'seq' && indent === this.seqIndent) return this.newItem(start);
    if (type === 'seq-item-ind' && this.state === 'block') {
      this.state = 'seq';
      this.seqIndent = indent;
      this.seq = { keyIndex: this.keys - 1, nodes: [] };
      return this.newItem(start);
    }
    if (indent > 0) {
      if (this.state !== 'block' && this.state !== 'other') throw new Refused('unexpected indentation');
      this.state = 'other';
      return;
    }
    if (type !== 'plain' && type !== 'single-quoted-scalar' && type !== 'double-quoted-scalar')
      throw new Refused(`top-level ${type}: not a key`);
    this.endSequence();
    this.keys++;
    this.state = 'key';
  }

  private newItem(dash: number): void {
    this.endItem();
    if (this.batchStart < 0) {
      // The first item: what came before it is the shell's.
      this.tokens = this.tokens.slice(this.lineToken);
      this.lineToken = 0;
      this.batchStart = this.lineStart;
    } else if (this.lineStart - this.batchStart >= this.batchChars) this.parseBatch();
    this.batchItems++;
    this.dash = dash;
  }

  /** The open item ends where the current line starts: the shell gets a placeholder of the same length. */
  private endItem(): void {
    if (this.dash < 0) return;
    const end = this.lineStart;
    this.shell.push(this.text.slice(this.shellPos, this.dash + 1));
    const rest = this.text.slice(this.dash + 1, end);
    this.shellPos = end;
    this.dash = -1;
    if (!/\S/.test(rest)) {
      this.shell.push(rest);
      return;
    }
    const newline = rest.endsWith('\n') ? 1 : 0;
    const body = rest.length - newline;
    if (body < 2) throw new Refused('no room for a placeholder');
    this.shell.push(' 0' + ' '.repeat(body - 2) + (newline ? '\n' : ''));
  }

  /** Parses the items of the open batch, all tokens before the current line. */
  private parseBatch(): void {
    const seq = this.seq as Sequence;
    const from = this.batchStart;
    const docs = parseTokens(this.tokens.slice(0, this.lineToken), this.lineStart - from, this.options);
    const items = docs.length === 1 && clean(docs[0]) && isSeq(docs[0].contents) ? docs[0].contents.items : undefined;
    if (!items || items.length !== this.batchItems) throw new Refused(`the items at ${from}..${this.lineStart} do not parse cleanly`);
    for (const node of items) {
      shift(node, from);
      seq.nodes.push(node as ParsedNode);
    }
    this.tokens = this.tokens.slice(this.lineToken);
    this.lineToken = 0;
    this.batchStart = this.lineStart;
    this.batchItems = 0;
  }

  /** Ends the open sequence, if any, where the current line starts. */
  private endSequence(): void {
    if (!this.seq) return;
    this.endItem();
    this.parseBatch();
    this.sequences.push(this.seq);
    this.seq = undefined;
    this.batchStart = -1;
  }

  /** The shell, parsed, with the parsed items in place of the placeholders. */
  private assemble(): Document {
    this.shell.push(this.text.slice(this.shellPos));
    const doc = parseDocument(this.shell.join(''), this.options);
    if (!clean(doc)) throw new Refused('the top level does not parse cleanly');
    const top = doc.contents;
    if (!isMap(top)) throw new Refused('the top level is not a mapping');
    for (const s of this.sequences) {
      const list = top.items[s.keyIndex]?.value;
      if (!isSeq(list) || list.items.length !== s.nodes.length) throw new Refused('the top level does not parse as planned');
      list.items = s.nodes;
    }
    return doc;
  }
}

/**
 * The Document `parseDocument(text, options)` gives, assembled from pieces; or why the text is
 * not in a shape that allows it (the caller then parses the whole text).
 */
export function parseInPieces(text: string, options: YamlOptions, batchChars = BATCH_CHARS): Document | { fallback: string } {
  try {
    return new PieceParser(text, options, batchChars).run();
  } catch (err) {
    if (err instanceof Refused) return { fallback: err.message };
    throw err;
  }
}

/**
 * `parseDocument(text, options)`, in pieces when the text is at least `minChars` long and in
 * the safe shape. Any error or warning comes from the whole parse.
 */
export function parseYaml(text: string, options: YamlOptions, minChars: number): Document {
  if (text.length >= minChars) {
    const doc = parseInPieces(text, options);
    if (!('fallback' in doc)) return doc;
  }
  return parseDocument(text, options);
}
