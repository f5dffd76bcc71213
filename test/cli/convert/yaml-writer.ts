/**
 * The same data written the many ways a person writes YAML (flow or block, quoting, comments,
 * sequence indentation), chosen by a seed so that fast-check can replay a case: convert's
 * property tests check that its in-place edits hold whatever the layout.
 */
import { Document, visit } from 'yaml';

/** A small deterministic generator for the writing choices. */
function chooser(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s % n;
  };
}

export function writeYaml(value: unknown, seed: number): string {
  const pick = chooser(seed);
  const doc = new Document(value);
  visit(doc, {
    Map(_, node) {
      if (pick(4) === 0) node.flow = true;
      if (pick(5) === 0) node.commentBefore = ' a note';
    },
    Seq(_, node) {
      if (pick(3) === 0) node.flow = true;
    },
    Scalar(_, node) {
      if (typeof node.value !== 'string') return;
      node.type = (['PLAIN', 'PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'] as const)[pick(4)];
      if (pick(6) === 0) node.comment = ' why';
    },
  });
  return doc.toString({ indentSeq: pick(2) === 0, lineWidth: 0 });
}
