/**
 * Real files made Kong 2.x files, then converted back: the repository's example and the test
 * fixture (comments, anchors, flow and block styles), written as a 2.x user would have them:
 * `_format_version: "1.1"`, regex paths without `~`, `run_on` on every plugin. Converting must
 * give back the very text, byte for byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { convertLegacyFile } from '../../../cli/src/convert/convert';
import { migrateLegacyPath } from '../../../cli/src/convert/legacy-path';

const ROOT = join(__dirname, '..', '..', '..');
const FILES = ['kong/kong.yaml', 'test/fixtures/files/kong.yaml'];

interface Edit {
  at: number;
  remove: number;
  insert: string;
}

/** The same file as Kong 2.x read it. */
function asKong2(text: string): { text: string; paths: number; plugins: number } {
  const doc = parseDocument(text);
  const edits: Edit[] = [];
  let paths = 0;
  let plugins = 0;
  const version = doc.get('_format_version', true) as Node;
  edits.push({ at: version.range![0], remove: version.range![1] - version.range![0], insert: '"1.1"' });
  const walk = (node: unknown, key?: string): void => {
    if (isSeq(node)) {
      for (const item of node.items) {
        if (key === 'paths' && isScalar(item) && typeof item.value === 'string' && item.value.startsWith('~')) {
          const legacy = item.value.slice(1);
          // Only a path Kong 2.x would have read as this very regex can be written without `~`.
          if (migrateLegacyPath(legacy).path === item.value) {
            const tilde = text.indexOf('~', item.range![0]);
            edits.push({ at: tilde, remove: 1, insert: '' });
            paths++;
          }
        }
        if (key === 'plugins' && isMap(item) && !item.flow) {
          const name = item.items.find((p) => isScalar(p.key) && p.key.value === 'name');
          const k = name!.key as Node;
          const lineStart = text.lastIndexOf('\n', k.range![0]) + 1;
          const column = k.range![0] - lineStart;
          const lineEnd = text.indexOf('\n', k.range![0]) + 1;
          edits.push({ at: lineEnd, remove: 0, insert: `${' '.repeat(column)}run_on: first\n` });
          plugins++;
        }
        walk(item);
      }
    } else if (isMap(node)) {
      for (const p of node.items) if (isScalar(p.key)) walk(p.value, String(p.key.value));
    }
  };
  walk(doc.contents);
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  return { text: out, paths, plugins };
}

describe('convert gives back a real file from its Kong 2.x form', () => {
  it.each(FILES)('%s', (name) => {
    const original = readFileSync(join(ROOT, name), 'utf8');
    const legacy = asKong2(original);
    expect(legacy.plugins).toBeGreaterThan(3);
    if (name.startsWith('test/')) expect(legacy.paths).toBe(1);
    expect(legacy.text).not.toBe(original);
    const r = convertLegacyFile({ name, text: legacy.text });
    expect(r.status).toBe('converted');
    if (r.status !== 'converted') return;
    expect(r.layoutKept).toBe(true);
    expect(r.text).toBe(original);
    expect(r.changes).toHaveLength(1 + legacy.paths + legacy.plugins);
  });
});
