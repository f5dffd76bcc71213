/**
 * Kubernetes keeps one object per kind and name (in a namespace): a second manifest of the same
 * name replaces the first when applied, without a word. Names come from slugs of Kong names
 * (`Orders` and `orders` are both `orders`), so two different entities can meet; the conversion
 * is refused then, naming both, rather than writing manifests that lose one of them. The very
 * same manifest twice (one certificate in two places) is harmless and kept.
 */
import { isDeepStrictEqual } from 'node:util';
import { KongCtlError } from '../../model/errors';
import { ORDER, type KicContent, type Manifest } from './types';

function nameOf(m: Manifest): string | undefined {
  const meta = m.metadata as { name?: unknown } | undefined;
  return typeof meta?.name === 'string' ? meta.name : undefined;
}

export function checkDistinctNames(out: KicContent): void {
  const seen = new Map<string, Manifest>();
  const clashes: Array<{ kind: string; name: string }> = [];
  for (const bucket of ORDER) {
    for (const m of out[bucket]) {
      const name = nameOf(m);
      if (name === undefined) continue;
      const key = `${String(m.kind)}/${name}`;
      const earlier = seen.get(key);
      if (!earlier) seen.set(key, m);
      else if (!isDeepStrictEqual(earlier, m) && !clashes.some((c) => `${c.kind}/${c.name}` === key)) clashes.push({ kind: String(m.kind), name });
    }
  }
  if (clashes.length) {
    throw new KongCtlError(
      'E_USAGE',
      `kong2kic: ${clashes.map((c) => `two different ${c.kind}s would both be named '${c.name}'`).join('; ')}: ` +
        'Kubernetes would keep only one of each; rename one of the entities so that their names differ in lower case letters, digits and dashes',
    );
  }
}
