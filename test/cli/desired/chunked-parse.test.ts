import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, parseDocument, stringify } from 'yaml';
import type { Document } from 'yaml';
import { loadDesired } from '../../../cli/src/desired/load';
import type { DesiredResult } from '../../../cli/src/desired/load';
import { CHUNKED_PARSE_MIN_CHARS, YAML_OPTIONS } from '../../../cli/src/desired/parse';
import type { PathSegment } from '../../../cli/src/desired/positions';
import { renderEnvTemplate } from '../../../cli/src/desired/template';
import { validateDesired } from '../../../cli/src/desired/validate';
import { parseInPieces } from '../../../cli/src/desired/yaml-chunks';
import { GEN_ENV, MISTAKES, SHAPE_KEEPING, generateDeckFile } from './deck-gen';
import type { Mistake } from './deck-gen';

const load = (text: string, chunkedParseMinChars: number, env = GEN_ENV) =>
  loadDesired({ files: ['-'], env, readStdin: async () => text, chunkedParseMinChars });

/** A result without what cannot be compared: the Documents and the `locate` closures. */
function comparable(r: DesiredResult): unknown {
  return { ...r, files: r.files.map(({ doc: _doc, locate: _locate, ...f }) => f) };
}

/** Every path into `content`, and a few that lead nowhere (their deepest existing node counts). */
function pathsOf(content: unknown, prefix: PathSegment[] = [], out: PathSegment[][] = []): PathSegment[][] {
  out.push(prefix);
  if (Array.isArray(content)) {
    content.forEach((v, i) => pathsOf(v, [...prefix, i], out));
    out.push([...prefix, content.length]);
  } else if (content && typeof content === 'object') {
    for (const [k, v] of Object.entries(content)) pathsOf(v, [...prefix, k], out);
    out.push([...prefix, 'no_such_field', 0]);
  }
  return out;
}

/** What anything here reads of a Document, one line per node: kind, start, and for scalars end and value. */
function nodesOf(node: unknown, at = '', out: string[] = []): string[] {
  if (isScalar(node)) out.push(`${at} scalar ${node.range?.[0]}-${node.range?.[1]} ${JSON.stringify(node.value)}`);
  else if (isMap(node)) {
    out.push(`${at} map ${node.range?.[0]}`);
    node.items.forEach((p, i) => {
      if (!isPair(p)) return;
      nodesOf(p.key, `${at}/${i}k`, out);
      nodesOf(p.value, `${at}/${i}v`, out);
    });
  } else if (isSeq(node)) {
    out.push(`${at} seq ${node.range?.[0]}`);
    node.items.forEach((n, i) => nodesOf(n, `${at}/${i}`, out));
  } else out.push(`${at} ${String(node)}`);
  return out;
}

async function expectSameLoad(text: string, env = GEN_ENV): Promise<void> {
  const pieces = await load(text, 0, env);
  const whole = await load(text, Infinity, env);
  expect(comparable(pieces)).toStrictEqual(comparable(whole));
  expect(validateDesired(pieces)).toStrictEqual(validateDesired(whole));
  for (const [i, f] of whole.files.entries()) {
    for (const p of pathsOf(f.content)) {
      for (const key of [false, true]) expect(pieces.files[i].locate(p, { key }), JSON.stringify(p)).toStrictEqual(f.locate(p, { key }));
    }
  }
}

function expectSameDocument(pieces: Document, whole: Document): void {
  expect(pieces.toJS()).toStrictEqual(whole.toJS());
  expect(nodesOf(pieces.contents)).toStrictEqual(nodesOf(whole.contents));
}

describe('parsing a decK file in pieces', () => {
  it('gives the whole parse’s result, diagnostics and positions, for generated block-style files', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.constantFrom(...MISTAKES), async (seed, mistake: Mistake) => {
        const { text } = generateDeckFile(seed, mistake);
        const rendered = renderEnvTemplate(text, GEN_ENV).text;
        const whole = parseDocument(rendered, YAML_OPTIONS);
        // Each item its own batch, a few per batch, all in one.
        for (const batch of [1, 300, Infinity]) {
          const pieces = parseInPieces(rendered, YAML_OPTIONS, batch);
          if (whole.errors.length || whole.warnings.length) expect(pieces).toHaveProperty('fallback');
          if (SHAPE_KEEPING.includes(mistake)) expect(pieces).not.toHaveProperty('fallback');
          if (!('fallback' in pieces)) expectSameDocument(pieces, whole);
        }
        await expectSameLoad(text);
      }),
      { numRuns: 150 },
    );
  });

  it('the generated files do hold what the comparison is about', async () => {
    // Guards the generator: if it stopped producing these, the property above would prove little.
    const texts = Array.from({ length: 200 }, (_, seed) => generateDeckFile(seed).text);
    const all = texts.join('\n');
    for (const feature of ['\r\n', '---', '# note', '"services":', "'name':", '|+', '>-', '|2', '${{ env "DECK_HOST" }}', '\n- name:', '\n  - name:', '  -\n', '- # the next one'])
      expect(all, feature).toContain(feature);
    const results = await Promise.all(texts.slice(0, 40).map((t) => load(t, 0)));
    expect(results.some((r) => r.state.entities.some((e) => e.masked?.length))).toBe(true);
    expect(results.some((r) => r.state.entities.some((e) => e.kind === 'route'))).toBe(true);
    expect(results.some((r) => r.state.entities.some((e) => e.kind === 'keyauth_credential'))).toBe(true);
  });

  it('mistakes inside an entity are reported where the whole parse reports them', async () => {
    const problems = async (mistake: Mistake) => {
      const { text } = generateDeckFile(7, mistake);
      const r = await load(text, 0);
      return validateDesired(r).map((d) => `${d.source?.line}:${d.source?.column} ${d.source?.path ?? ''} ${d.message}`);
    };
    expect((await problems('unknown-field')).some((p) => /services\[\d\] hots: unknown field/.test(p))).toBe(true);
    expect((await problems('bad-type')).some((p) => /connect_timeout: expected an integer/.test(p))).toBe(true);
    expect((await problems('unknown-reference')).some((p) => /unknown service 'svc-O' \(did you mean 'svc-0'\?\)/.test(p))).toBe(true);
    expect((await problems('duplicate-key')).some((p) => /invalid YAML\/JSON: Map keys must be unique/.test(p))).toBe(true);
    expect((await problems('unclosed-quote')).some((p) => /invalid YAML\/JSON/.test(p))).toBe(true);
    for (const m of ['unknown-field', 'bad-type', 'unknown-reference', 'duplicate-key', 'unclosed-quote', 'anchor'] as const) {
      await expectSameLoad(generateDeckFile(7, m).text);
    }
  });

  it('an empty block scalar at the end of an item, a list or the file does not hide the line after it', async () => {
    const text = [
      '_format_version: "3.0"',
      'services:',
      '  - name: a',
      '    host: a',
      '    plugins:',
      '      - name: pre-function',
      '        config:',
      '          access:',
      '            - |',
      '  - name: b',
      '    host: b',
      '    plugins:',
      '      - name: pre-function',
      '        config: {access: []}',
      '        tags: >-',
      'consumers:',
      '  - username: c',
      '    custom_id: |+',
    ].join('\n');
    const pieces = parseInPieces(text, YAML_OPTIONS, 1);
    expect(pieces).not.toHaveProperty('fallback');
    expectSameDocument(pieces as Document, parseDocument(text, YAML_OPTIONS));
    await expectSameLoad(text);
  });

  it('a templated value that is unset, or changes the structure, still loads as the whole parse does', async () => {
    const text = '_format_version: "3.0"\nservices:\n  - name: a\n    host: ${{ env "DECK_MISSING" }}\n  - name: b\n    host: ${{ env "DECK_WEIRD" }}\n';
    await expectSameLoad(text, { DECK_WEIRD: 'x: y' });
    await expectSameLoad(text, { DECK_WEIRD: 'b.internal\n    port: 81', DECK_MISSING: 'a.internal' });
    await expectSameLoad(text, { DECK_WEIRD: 'b.internal\n  - name: c\n    host: c', DECK_MISSING: 'a' });
  });

  it('a big file (the default threshold) is parsed in pieces, in many batches, with the same result', async () => {
    const services = Array.from({ length: 1500 }, (_, i) => ({
      name: `svc-${i}`,
      host: `svc-${i}.internal`,
      port: 8080,
      tags: ['big'],
      routes: [{ name: `rt-${i}`, paths: [`/r/${i}`], methods: ['GET'] }],
      plugins: [{ name: 'rate-limiting', config: { minute: 10 + i, policy: 'local' } }],
    }));
    const consumers = Array.from({ length: 500 }, (_, i) => ({ username: `user-${i}`, custom_id: `c-${i}` }));
    const text = `# generated\n${stringify({ _format_version: '3.0', services, consumers })}`;
    expect(text.length).toBeGreaterThan(CHUNKED_PARSE_MIN_CHARS);
    const pieces = parseInPieces(text, YAML_OPTIONS);
    expect(pieces).not.toHaveProperty('fallback');
    expectSameDocument(pieces as Document, parseDocument(text, YAML_OPTIONS));
    const byDefault = await loadDesired({ files: ['-'], env: {}, readStdin: async () => text });
    const whole = await load(text, Infinity, {});
    expect(comparable(byDefault)).toStrictEqual(comparable(whole));
    expect(byDefault.state.entities).toHaveLength(1500 * 3 + 500);
    expect(validateDesired(byDefault)).toStrictEqual([]);
  });
});

describe('what is not in the safe shape is parsed whole', () => {
  const head = '_format_version: "3.0"\nservices:\n';
  const cases: Array<[string, string, RegExp]> = [
    ['an anchor and an alias', `${head}  - &s\n    name: a\n    host: a\n  - name: b\n    host: b\nroutes:\n  - name: r\n    paths: [/x]\n    service: *s\n`, /anchor/],
    ['a merge key', `${head}  - name: a\n    <<: {host: a, port: 80}\n`, /merge key/],
    ['a tag', `${head}  - name: a\n    host: !!str a\n`, /tag/],
    ['a directive', `%YAML 1.2\n---\n${head}  - name: a\n    host: a\n`, /directive/],
    ['several documents', `${head}  - name: a\n    host: a\n---\nconsumers: []\n`, /document marker|several documents/],
    ['a document end marker', `${head}  - name: a\n    host: a\n...\n`, /doc-end/],
    ['JSON', `{"_format_version": "3.0", "services": [{"name": "a", "host": "a"}]}\n`, /flow|not a key/],
    ['a flow list continued at the left', `${head}  - name: a\n    host: a\n    tags: [x,\n  y]\n`, /flow/],
    ['an indented top level', `  _format_version: "3.0"\n  services: []\n`, /indentation/],
    ['a tab in indentation', `${head}  - name: a\n\t host: a\n`, /tab/],
    ['an explicit key at the top', `? services\n: []\n_format_version: "3.0"\n`, /not a key/],
    ['a byte order mark', `\ufeff${head}  - name: a\n    host: a\n`, /byte order mark/],
    ['a CR that ends no line', `${head}  - name: a\r    host: a\n`, /lone CR/],
    ['a syntax error inside an item', `${head}  - name: a\n    host: "a\n  - name: b\n    host: b\n`, /do not parse cleanly/],
    ['a duplicate key inside an item', `${head}  - name: a\n    host: a\n    host: b\n`, /do not parse cleanly/],
    ['a duplicate top-level key', `${head}  - name: a\n    host: a\nservices:\n  - name: b\n    host: b\n`, /top level does not parse cleanly/],
    ['a top-level key without a value indicator', `${head}  - name: a\n    host: a\nconsumers\n`, /without `:`/],
  ];

  for (const [what, text, reason] of cases) {
    it(what, async () => {
      expect(parseInPieces(text, YAML_OPTIONS)).toStrictEqual({ fallback: expect.stringMatching(reason) });
      // Through the loader, problems included, nothing changes.
      if (!text.startsWith('\ufeff')) await expectSameLoad(text);
    });
  }

  it('the shape that is refused still loads, problems and positions those of the whole parse', async () => {
    const text = `${head}  - name: a\n    host: a\n    host: b\n  - name: b\n    host: "b\n`;
    const r = await load(text, 0);
    expect(validateDesired(r).map((d) => `${d.source?.line}:${d.source?.column} ${d.message}`)).toStrictEqual([
      "5:5 invalid YAML/JSON: Map keys must be unique: 'host' is already at line 4",
      '8:1 invalid YAML/JSON: Missing closing "quote',
    ]);
  });
});
